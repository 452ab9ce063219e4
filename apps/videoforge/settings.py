"""Settings from environment variables.

The names (DB_HOST, S3_BUCKET, SQS_QUEUE_URL, ...; docs/ARCHITECTURE.md, "The apps") are the
same in the ECS task definitions, the processor's SSM-backed environment file and the
local env files rendered by the playbook: environments differ only in values.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _env(name: str, default: str | None = None) -> str:
    value = os.environ.get(name, default)
    if value is None:
        raise RuntimeError(f"missing required environment variable {name}")
    return value


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


@dataclass(frozen=True)
class Settings:
    aws_region: str
    aws_endpoint_url: str | None
    s3_bucket: str
    # The address browsers use for presigned URLs; defaults to the AWS endpoint.
    s3_public_endpoint_url: str | None
    sqs_queue_url: str
    db_host: str
    db_port: int
    db_name: str
    db_user: str
    db_password: str
    db_pool_min: int
    db_pool_max: int
    cognito_user_pool_id: str
    cognito_client_id: str
    cognito_jwks_url: str
    # TLS to the database: libpq's sslmode ("verify-full" on AWS, checking the server's name
    # and certificate against DB_SSLROOTCERT, the RDS CA bundle) and that bundle's path.
    db_sslmode: str = "prefer"
    db_sslrootcert: str = ""
    # Bounds on a web service's database sessions (DB_STATEMENT_TIMEOUT_MS,
    # DB_IDLE_IN_TRANSACTION_TIMEOUT_MS): no query runs longer, and no transaction stays open
    # idle longer (the longest is one that waits on an interactive AWS call, about 40 s), so
    # neither can hold locks or a connection for ever.
    db_statement_timeout_ms: int = 15_000
    db_idle_in_transaction_timeout_ms: int = 60_000
    # The model's ladder names (RENDITIONS), rendered by the roles; the job asks for these.
    renditions: tuple[str, ...] = ()
    log_level: str = "INFO"

    @property
    def db_conninfo(self) -> str:
        # make_conninfo quotes values, so an empty password or one with spaces stays one value.
        from psycopg.conninfo import make_conninfo

        return make_conninfo(
            host=self.db_host,
            port=self.db_port,
            dbname=self.db_name,
            user=self.db_user,
            password=self.db_password or None,
            sslmode=self.db_sslmode,
            sslrootcert=self.db_sslrootcert or None,
            application_name="videoforge",
        )

    @classmethod
    def from_env(cls) -> Settings:
        region = _env("AWS_REGION", os.environ.get("AWS_DEFAULT_REGION", "ap-southeast-2"))
        endpoint = os.environ.get("AWS_ENDPOINT_URL") or None
        pool_id = os.environ.get("COGNITO_USER_POOL_ID", "")
        jwks_default = (
            f"https://cognito-idp.{region}.amazonaws.com/{pool_id}/.well-known/jwks.json" if pool_id else ""
        )
        return cls(
            aws_region=region,
            aws_endpoint_url=endpoint,
            s3_bucket=_env("S3_BUCKET", ""),
            s3_public_endpoint_url=os.environ.get("S3_PUBLIC_ENDPOINT_URL") or endpoint,
            sqs_queue_url=_env("SQS_QUEUE_URL", ""),
            db_host=_env("DB_HOST", "127.0.0.1"),
            db_port=_int("DB_PORT", 5432),
            db_name=_env("DB_NAME", "videoforge"),
            db_user=_env("DB_USER", "videoforge"),
            db_password=_env("DB_PASSWORD", ""),
            db_pool_min=_int("DB_POOL_MIN", 1),
            db_pool_max=_int("DB_POOL_MAX", 10),
            db_sslmode=os.environ.get("DB_SSLMODE") or "prefer",
            db_sslrootcert=os.environ.get("DB_SSLROOTCERT", ""),
            db_statement_timeout_ms=_int("DB_STATEMENT_TIMEOUT_MS", cls.db_statement_timeout_ms),
            db_idle_in_transaction_timeout_ms=_int(
                "DB_IDLE_IN_TRANSACTION_TIMEOUT_MS", cls.db_idle_in_transaction_timeout_ms
            ),
            cognito_user_pool_id=pool_id,
            cognito_client_id=os.environ.get("COGNITO_CLIENT_ID", ""),
            cognito_jwks_url=os.environ.get("COGNITO_JWKS_URL") or jwks_default,
            renditions=tuple(r for r in os.environ.get("RENDITIONS", "").split(",") if r),
            log_level=os.environ.get("LOG_LEVEL", "INFO"),
        )
