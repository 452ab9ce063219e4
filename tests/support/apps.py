"""The gallery and streaming services for tests, as they run in production: hypercorn on a
free loopback port, a fresh migrated database, and a bucket, queue and user pool in moto.

Import the fixtures into a test module: ``from tests.support.apps import stack_fixture  # noqa: F401``.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import httpx
import jwt
import psycopg
import pytest
from botocore.config import Config

from tests.support import model, services
from videoforge.migrate import migrate

ROOT = Path(__file__).resolve().parents[2]
REGION = "ap-southeast-2"
PASSWORD = "Corr3ct-Horse-Battery!"
MIB = 1024 * 1024


@dataclass
class Service:
    url: str
    process: subprocess.Popen
    log: Path


@dataclass
class Stack:
    gallery: str
    streaming: str
    env: dict[str, str]
    dsn: str
    bucket: str
    queue_url: str
    pool_id: str
    client_id: str
    aws_url: str
    tmp: Path
    s3: object = field(repr=False)
    sqs: object = field(repr=False)
    cognito: object = field(repr=False)
    _tokens: dict[str, dict] = field(default_factory=dict, repr=False)

    def user(self, name: str) -> dict:
        """Sign up (auto-confirmed) and sign in through the gallery API; real Cognito tokens."""
        if name not in self._tokens:
            email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
            r = httpx.post(
                f"{self.gallery}/api/gallery/auth/sign-up", json={"email": email, "password": PASSWORD}
            )
            assert r.status_code == 201, r.text
            assert r.json() == {"userConfirmed": True}
            r = httpx.post(
                f"{self.gallery}/api/gallery/auth/sign-in", json={"email": email, "password": PASSWORD}
            )
            assert r.status_code == 200, r.text
            tokens = r.json()
            claims = jwt.decode(tokens["accessToken"], options={"verify_signature": False})
            self._tokens[name] = {**tokens, "email": email, "sub": claims["sub"]}
        return self._tokens[name]

    def headers(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.user(name)['accessToken']}"}

    def playback_url(self, user: str, video_id: str) -> str:
        """The master playlist URL with a playback token (what a player is given), absolute."""
        r = httpx.post(
            f"{self.streaming}/api/stream/video/{video_id}/playback-token", headers=self.headers(user)
        )
        assert r.status_code == 201, r.text
        return self.streaming + r.json()["playlistUrl"]

    def db(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn, autocommit=True)

    def drain(self, wait: int = 1) -> list[dict]:
        """Every message now on the queue (received and deleted), parsed."""
        messages: list[dict] = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait, VisibilityTimeout=60
            ).get("Messages", [])
            if not got:
                return messages
            for m in got:
                messages.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])

    def upload_video(self, user: str, data: bytes, name: str = "clip.mp4") -> str:
        """generate-upload-url, PUT over HTTP, confirm: a queued video's id."""
        r = httpx.post(
            f"{self.gallery}/api/gallery/generate-upload-url",
            json={"fileName": name, "contentType": "video/mp4", "size": len(data)},
            headers=self.headers(user),
        )
        assert r.status_code == 200, r.text
        ticket = r.json()
        put = httpx.put(ticket["upload"]["url"], content=data, headers=ticket["upload"]["headers"])
        assert put.status_code == 200, put.text
        r = httpx.post(
            f"{self.gallery}/api/gallery/confirm-upload",
            json={"videoId": ticket["videoId"]},
            headers=self.headers(user),
        )
        assert r.status_code == 200, r.text
        return ticket["videoId"]


def launch_service(module: str, env: dict[str, str], log_dir: Path, port: int | None = None) -> Service:
    port = port or services.free_port()
    log = log_dir / f"{module.split('.')[0]}-{port}.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", "--graceful-timeout", "1", module],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    return Service(f"http://127.0.0.1:{port}", proc, log)


def wait_healthy(service: Service, expect_healthy: bool = True) -> Service:
    def up() -> bool:
        if service.process.poll() is not None:
            raise RuntimeError(f"{service.log.name} exited: {service.log.read_text()[-2000:]}")
        status = httpx.get(f"{service.url}/health", timeout=5).status_code
        return status == 200 if expect_healthy else status in (200, 503)

    try:
        services.wait_for(up, 60, service.log.name)
    except Exception:
        services.stop(service.process)
        raise
    return service


def start_service(module: str, env: dict[str, str], log_dir: Path, expect_healthy: bool = True) -> Service:
    return wait_healthy(launch_service(module, env, log_dir), expect_healthy)


def stop_all(*running: Service) -> None:
    for service in running:
        if service.process.poll() is None:
            service.process.terminate()
    for service in running:
        services.stop(service.process)


def service_env(pg: services.Postgres, dbname: str, **overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DB_", "COGNITO_", "UPLOAD_", "PLAYLIST_", "RATE_", "TRUSTED_"))
    }
    env.update(
        {
            "PYTHONPATH": os.pathsep.join([str(ROOT / "apps"), str(ROOT)]),
            "DB_HOST": pg.host,
            "DB_PORT": str(pg.port),
            "DB_NAME": dbname,
            "DB_USER": pg.user,
            "DB_PASSWORD": "unused-trust-auth",
            "DB_POOL_MIN": "1",
            "DB_POOL_MAX": "4",
            "COGNITO_AUTO_CONFIRM": "true",
            "UPLOAD_MULTIPART_THRESHOLD": str(6 * MIB),
            "UPLOAD_PART_SIZE": str(5 * MIB),
            "UPLOAD_MAX_BYTES": str(64 * MIB),
            # Tests of other areas start many uploads as one user; the limits have their own test.
            "UPLOAD_MAX_CONCURRENT_PER_USER": "1000",
            "UPLOAD_MAX_BYTES_IN_FLIGHT_PER_USER": str(64 * 1024 * MIB),
            # Every test signs up and in from this one address; the rate limits have their own test.
            "RATE_LIMITS": "{}",
            "LOG_LEVEL": "INFO",
            # The model's ladder names, as the roles render them: what confirm's job asks for.
            "RENDITIONS": ",".join(model.rendition_names()),
            # Where each service's API lives, as the roles give it.
            "API_PREFIXES": json.dumps(model.api_prefixes()),
        }
    )
    env.update(overrides)
    return env


def create_database(pg: services.Postgres, prefix: str = "vf") -> tuple[str, str]:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg.dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    dsn = pg.dsn(name)
    migrate(dsn)
    return name, dsn


def create_user_pool(cognito, name: str) -> tuple[str, str]:
    pool_id = cognito.create_user_pool(PoolName=name, AutoVerifiedAttributes=["email"])["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName=f"{name}-web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def moto_signing_key() -> dict:
    """The private JWK moto signs every pool's tokens with: lets a test forge a token that is
    correctly signed but wrong in one claim (expired, wrong use)."""
    import moto.cognitoidp

    path = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    return json.loads(gzip.decompress(path.read_bytes()))


def build_stack(aws, pg, tmp: Path, **settings: str) -> tuple[Stack, list[Service]]:
    """A bucket, queue and user pool in moto, a migrated database, both services running
    (with ``settings`` added to their environment)."""
    config = Config(region_name=REGION, signature_version="s3v4", s3={"addressing_style": "path"})
    s3 = boto3.client("s3", endpoint_url=aws.url, config=config)
    sqs = boto3.client("sqs", endpoint_url=aws.url, region_name=REGION)
    cognito = boto3.client("cognito-idp", endpoint_url=aws.url, region_name=REGION)
    suffix = uuid.uuid4().hex[:8]
    bucket = f"vf-test-{suffix}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    queue_url = sqs.create_queue(QueueName=f"vf-jobs-{suffix}")["QueueUrl"]
    pool_id, client_id = create_user_pool(cognito, f"vf-users-{suffix}")
    dbname, dsn = create_database(pg)
    env = service_env(
        pg,
        dbname,
        S3_BUCKET=bucket,
        SQS_QUEUE_URL=queue_url,
        AWS_ENDPOINT_URL=aws.url,
        S3_PUBLIC_ENDPOINT_URL=aws.url,
        AWS_REGION=REGION,
        COGNITO_USER_POOL_ID=pool_id,
        COGNITO_CLIENT_ID=client_id,
        COGNITO_JWKS_URL=f"{aws.url}/{pool_id}/.well-known/jwks.json",
        **settings,
    )
    gallery = launch_service("gallery.app:app", env, tmp)
    streaming = launch_service("streaming.app:app", env, tmp)
    try:
        wait_healthy(gallery)
        wait_healthy(streaming)
    except Exception:
        stop_all(gallery, streaming)
        raise
    stack = Stack(
        gallery=gallery.url,
        streaming=streaming.url,
        env=env,
        dsn=dsn,
        bucket=bucket,
        queue_url=queue_url,
        pool_id=pool_id,
        client_id=client_id,
        aws_url=aws.url,
        tmp=tmp,
        s3=s3,
        sqs=sqs,
        cognito=cognito,
    )
    return stack, [gallery, streaming]


def intact(stack: Stack) -> bool:
    """False once someone reset the emulator (tests of other areas do): rebuild then."""
    try:
        stack.s3.head_bucket(Bucket=stack.bucket)
        stack.cognito.describe_user_pool(UserPoolId=stack.pool_id)
        stack.sqs.get_queue_attributes(QueueUrl=stack.queue_url, AttributeNames=["QueueArn"])
    except Exception:
        return False
    return all(s.process.poll() is None for s in getattr(stack, "_services", []))


class StackHolder:
    def __init__(self, aws, pg, tmp: Path) -> None:
        self.aws, self.pg, self.tmp = aws, pg, tmp
        self.stack: Stack | None = None
        self.services: list[Service] = []

    def get(self) -> Stack:
        if self.stack is None or not intact(self.stack):
            self.close()
            self.stack, self.services = build_stack(self.aws, self.pg, self.tmp)
        return self.stack

    def close(self) -> None:
        stop_all(*self.services)
        for service in self.services:
            tail = service.log.read_text(errors="replace")
            if "Traceback" in tail:
                print(f"--- {service.log.name} ---\n{tail[-5000:]}")
        self.services = []


# One holder per test session. A session-scoped fixture imported into several modules would
# be instantiated once per module, so the holder lives here and is closed at session end.
_HOLDERS: dict[tuple[str, int], StackHolder] = {}


@pytest.fixture(scope="module", name="stack")
def stack_fixture(aws, pg, request, tmp_path_factory) -> Stack:
    """The services, shared by the session; rebuilt if another area reset the emulator."""
    key = (aws.url, pg.port)
    holder = _HOLDERS.get(key)
    if holder is None:
        holder = _HOLDERS[key] = StackHolder(aws, pg, tmp_path_factory.mktemp("apps"))
        request.config.add_cleanup(holder.close)
    return holder.get()


def wait_until(check, timeout: float = 10.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)
