"""The CDN twin for tests: a distribution in the emulator, a signing key pair (the private
half an SSM SecureString, as the cdn role keeps it), the twin's configuration and process."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import boto3
import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support import services

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class SigningKey:
    key_pair_id: str
    private_pem: str
    public_pem: str
    parameter: str
    key_group_id: str


def pem(private: rsa.RSAPrivateKey) -> tuple[str, str]:
    """The private half as PKCS#8 PEM (as the cdn role stores it) and the public half as
    CloudFront takes it (SubjectPublicKeyInfo PEM)."""
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def signing_key(aws_url: str, region: str) -> SigningKey:
    """An RSA key pair: the public half a CloudFront public key in a key group of its own, the
    private half in SSM."""
    private_pem, public_pem = pem(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    cloudfront = boto3.client("cloudfront", endpoint_url=aws_url, region_name="us-east-1")
    name = f"vf-test-{uuid.uuid4().hex[:8]}"
    key_id = cloudfront.create_public_key(
        PublicKeyConfig={"CallerReference": name, "Name": name, "EncodedKey": public_pem}
    )["PublicKey"]["Id"]
    group = cloudfront.create_key_group(KeyGroupConfig={"Name": name, "Items": [key_id]})["KeyGroup"]["Id"]
    parameter = f"/vf-test/{name}/cdn-signing-key"
    ssm = boto3.client("ssm", endpoint_url=aws_url, region_name=region)
    ssm.put_parameter(Name=parameter, Value=private_pem, Type="SecureString")
    return SigningKey(key_id, private_pem, public_pem, parameter, group)


def distribution(aws_url: str, bucket: str) -> str:
    """A distribution in the emulator (the twin polls its invalidations): its id."""
    cloudfront = boto3.client("cloudfront", endpoint_url=aws_url, region_name="us-east-1")
    reference = f"vf-test-{uuid.uuid4().hex[:8]}"
    origin = {
        "Id": "media",
        "DomainName": f"{bucket}.s3.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    config = {
        "CallerReference": reference,
        "Comment": reference,
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [origin]},
        "DefaultCacheBehavior": {"TargetOriginId": "media", "ViewerProtocolPolicy": "redirect-to-https"},
    }
    return cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def media_policy(bucket: str, distribution_arn: str, lists: bool = True) -> dict:
    """The bucket policy role storage writes behind CloudFront: the distribution (its service
    principal, for its ARN only) reads hls/ and thumbnails/ and, with ``lists``, lists hls/ (so a
    missing object is 404 rather than 403)."""
    only_this = {"StringEquals": {"AWS:SourceArn": distribution_arn}}
    statements = [
        {
            "Sid": "CloudFrontReadsMedia",
            "Effect": "Allow",
            "Principal": {"Service": "cloudfront.amazonaws.com"},
            "Action": ["s3:GetObject"],
            "Resource": [f"arn:aws:s3:::{bucket}/hls/*", f"arn:aws:s3:::{bucket}/thumbnails/*"],
            "Condition": only_this,
        }
    ]
    if lists:
        statements.append(
            {
                "Sid": "CloudFrontListsMedia",
                "Effect": "Allow",
                "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
                "Condition": {**only_this, "StringLike": {"s3:prefix": ["hls/*"]}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def admit(aws_url: str, region: str, bucket: str, distribution_id: str, lists: bool = True) -> str:
    """Let the distribution read the bucket (``media_policy``): its ARN."""
    cloudfront = boto3.client("cloudfront", endpoint_url=aws_url, region_name="us-east-1")
    arn = cloudfront.get_distribution(Id=distribution_id)["Distribution"]["ARN"]
    s3 = boto3.client("s3", endpoint_url=aws_url, region_name=region)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(media_policy(bucket, arn, lists)))
    return arn


@dataclass
class Twin:
    url: str
    http_url: str
    admin_url: str
    config: Path
    log: Path
    process: subprocess.Popen
    pki_dir: Path

    @property
    def tls(self) -> ssl.SSLContext:
        """Trusts the twin's own authority (its certificate is checked, not waved through)."""
        return ssl.create_default_context(cafile=str(self.pki_dir / "root.crt"))

    def client(self, **options) -> httpx.Client:
        return httpx.Client(verify=self.tls, timeout=30, **options)

    def stats(self) -> dict:
        with urllib.request.urlopen(f"{self.admin_url}/_videoforge/cdn", timeout=10) as resp:
            return json.load(resp)

    def stop(self) -> None:
        services.stop(self.process)


def twin_ports() -> dict[str, int]:
    return {name: services.free_port() for name in ("https_port", "http_port", "admin_port")}


def start_twin(config: dict, tmp: Path, ports: dict[str, int] | None = None) -> Twin:
    """``python -m twin.cdn`` with ``config`` (its listen ports and pki_dir filled in here)."""
    ports = ports or twin_ports()
    config = {**config, "listen": {"address": "127.0.0.1", **ports}, "pki_dir": str(tmp / "pki")}
    path = tmp / f"cdn-{ports['https_port']}.json"
    path.write_text(json.dumps(config, indent=2))
    log = tmp / f"cdn-{ports['https_port']}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "twin.cdn", "--config", str(path)],
        cwd=ROOT,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    twin = Twin(
        url=f"https://127.0.0.1:{ports['https_port']}",
        http_url=f"http://127.0.0.1:{ports['http_port']}",
        admin_url=f"http://127.0.0.1:{ports['admin_port']}",
        config=path,
        log=log,
        process=proc,
        pki_dir=tmp / "pki",
    )

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"the CDN twin exited: {log.read_text()[-3000:]}")
        twin.stats()
        return True

    try:
        services.wait_for(up, 60, "the CDN twin")
    except Exception:
        twin.stop()
        raise
    return twin


def wait_for_stat(twin: Twin, name: str, above: int, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        stats = twin.stats()
        if stats[name] > above or time.monotonic() > deadline:
            return stats
        time.sleep(0.2)
