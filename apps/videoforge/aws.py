"""boto3 clients as every app makes them: retries, timeouts, connection pool, signature version
and endpoint decided here once, per kind of caller.

Retries are botocore's "standard" mode (throttling and transient errors, with its own capped,
jittered back-off); the profile says how many retries and how long a connection or an answer
may take. The endpoint is the settings' (AWS_ENDPOINT_URL, unset on AWS), or the one browsers
use for presigned S3 URLs.
"""

from __future__ import annotations

from dataclasses import dataclass

import boto3
from botocore.config import Config

from videoforge.settings import Settings


@dataclass(frozen=True)
class ClientProfile:
    retries: int  # after the first try (botocore's retries "max_attempts")
    connect_timeout: float
    read_timeout: float
    pool: int = 10  # connections kept per client (threads calling at once)


# A request someone waits on (the web services): give up soon enough to answer them.
INTERACTIVE = ClientProfile(retries=3, connect_timeout=3, read_timeout=10)
# A health check: quick tries, so the check answers within the load balancer's timeout.
PROBE = ClientProfile(retries=1, connect_timeout=2, read_timeout=3)
# The processor: long polls (up to SQS's 20 s, so the read timeout is longer), parallel ranged
# GETs and segment uploads from several threads (the pool), and patience at boot.
WORKER = ClientProfile(retries=5, connect_timeout=10, read_timeout=60, pool=32)


def session(settings: Settings) -> boto3.Session:
    return boto3.Session(region_name=settings.aws_region)


def client(
    aws: boto3.Session,
    service: str,
    profile: ClientProfile,
    endpoint_url: str | None,
    *,
    addressing_style: str | None = None,
):
    """A client of ``service`` with the profile's retries, timeouts and pool; S3 signs with
    SigV4 (the only signature S3 takes in newer regions), path- or virtual-hosted-style as asked."""
    config = Config(
        retries={"max_attempts": profile.retries, "mode": "standard"},
        connect_timeout=profile.connect_timeout,
        read_timeout=profile.read_timeout,
        max_pool_connections=profile.pool,
    )
    if service == "s3":
        s3 = {"addressing_style": addressing_style} if addressing_style else None
        config = config.merge(Config(signature_version="s3v4", s3=s3))
    return aws.client(service, endpoint_url=endpoint_url, config=config)


def clients(settings: Settings, profile: ClientProfile, *services: str) -> tuple:
    """Clients of ``services`` on one session, at the settings' endpoint."""
    aws = session(settings)
    return tuple(client(aws, name, profile, settings.aws_endpoint_url) for name in services)
