"""What the Quart services share: the app factory (settings, pool, AWS clients, token
verifier, presigner, error handlers, OpenAPI, JSON logs) and the honest health check."""

from __future__ import annotations

import asyncio
import logging
import time

import boto3
from botocore.config import Config
from pydantic import BaseModel
from quart import Blueprint, Quart, Response, g, request
from quart_schema import Info, QuartSchema, hide, validate_response

from videoforge import db
from videoforge import logging as vf_logging
from videoforge.asgi import BodyBeforeResponse
from videoforge.auth import BEARER_SCHEME, TokenVerifier
from videoforge.errors import ApiError, register_error_handlers
from videoforge.jobs import HLS_ROOT
from videoforge.openapi import ServiceOpenAPI
from videoforge.presign import Presigner
from videoforge.settings import Settings
from videoforge.web_settings import WebSettings

log = logging.getLogger("videoforge.web")


def api_prefix(service: str) -> str:
    """Where a service's API lives behind the edge (the listener rules route /api/<service>/*)."""
    return f"/api/{service}"


def mount(app: Quart, *blueprints: Blueprint) -> None:
    """Register blueprints under the app's API prefix; a blueprint declares only its own part."""
    for blueprint in blueprints:
        app.register_blueprint(blueprint, url_prefix=app.config["PREFIX"] + (blueprint.url_prefix or ""))


class Health(BaseModel):
    service: str
    status: str
    database: bool
    s3: bool
    sqs: bool | None = None


class Aws:
    """boto3 clients: ``s3`` for the service's own calls (AWS_ENDPOINT_URL), ``s3_public`` for
    the URLs handed to browsers (S3_PUBLIC_ENDPOINT_URL, path-style when an endpoint is set)."""

    def __init__(self, settings: Settings) -> None:
        self.session = boto3.Session(region_name=settings.aws_region)
        retries = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10)
        self.s3 = self.session.client(
            "s3",
            endpoint_url=settings.aws_endpoint_url,
            config=retries.merge(Config(signature_version="s3v4")),
        )
        # Virtual-hosted on AWS gives the regional host (bucket.s3.<region>.amazonaws.com): no
        # 307 from the global endpoint for a new bucket outside us-east-1.
        public_style = {"addressing_style": "path" if settings.s3_public_endpoint_url else "virtual"}
        self.s3_public = self.session.client(
            "s3",
            endpoint_url=settings.s3_public_endpoint_url,
            config=Config(signature_version="s3v4", s3=public_style),
        )
        self.sqs = self.session.client("sqs", endpoint_url=settings.aws_endpoint_url, config=retries)
        self.cognito = self.session.client(
            "cognito-idp", endpoint_url=settings.aws_endpoint_url, config=retries
        )
        quick = Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=3)
        self._health_s3 = self.session.client("s3", endpoint_url=settings.aws_endpoint_url, config=quick)
        self._health_sqs = self.session.client("sqs", endpoint_url=settings.aws_endpoint_url, config=quick)
        self.bucket = settings.s3_bucket
        self.queue_url = settings.sqs_queue_url
        self.region = settings.aws_region
        self._presigner: Presigner | None = None
        self._endpoint_url = settings.aws_endpoint_url
        self._retries = retries
        self._cloudfront = None

    @property
    def cloudfront(self):
        # Made on first use: only the gallery invalidates, and only when the CDN is on.
        if self._cloudfront is None:
            self._cloudfront = self.session.client(
                "cloudfront", endpoint_url=self._endpoint_url, config=self._retries
            )
        return self._cloudfront

    @property
    def presigner(self) -> Presigner:
        # Built on first use: it needs credentials, which a container may only have once running.
        if self._presigner is None:
            self._presigner = Presigner(
                self.s3_public, self.bucket, self.region, self.session.get_credentials
            )
        return self._presigner

    def s3_reachable(self) -> bool:
        try:
            # Not HeadBucket: that needs s3:ListBucket with no prefix condition, and the task
            # roles may list only under the prefixes they use (role iam).
            self._health_s3.list_objects_v2(Bucket=self.bucket, Prefix=HLS_ROOT, MaxKeys=1)
            return True
        except Exception as exc:
            log.warning("S3 unreachable: %s", exc)
            return False

    def sqs_reachable(self) -> bool:
        try:
            self._health_sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["QueueArn"])
            return True
        except Exception as exc:
            log.warning("SQS unreachable: %s", exc)
            return False


def create_app(name: str, service: str, *, uses_queue: bool) -> Quart:
    """A Quart app for ``service`` ("gallery" or "stream") under /api/<service>."""
    settings = Settings.from_env()
    web_settings = WebSettings.from_env()
    vf_logging.configure(settings.log_level)
    prefix = api_prefix(service)
    app = Quart(name)
    app.config["PREFIX"] = prefix
    app.extensions["settings"] = settings
    app.extensions["web_settings"] = web_settings
    app.extensions["aws"] = Aws(settings)
    app.extensions["token_verifier"] = TokenVerifier(
        settings.cognito_jwks_url,
        settings.aws_region,
        settings.cognito_user_pool_id,
        settings.cognito_client_id,
    )
    QuartSchema(
        app,
        openapi_path=f"{prefix}/openapi.json",
        swagger_ui_path=f"{prefix}/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
        convert_casing=True,
        info=Info(title=f"VideoForge {name}", version="1.0.0"),
        security_schemes=BEARER_SCHEME,
        openapi_provider_class=ServiceOpenAPI,
    )
    app.extensions["openapi_hooks"] = []
    register_error_handlers(app)
    db.init_pool(app, settings.db_conninfo, settings.db_pool_min, settings.db_pool_max)
    _add_request_hooks(app)
    _add_health(app, name, uses_queue)
    # A balancer's next request never meets a connection the service closed without saying so.
    app.asgi_app = BodyBeforeResponse(app.asgi_app)
    return app


def _add_request_hooks(app: Quart) -> None:
    @app.before_request
    async def start_timer() -> None:
        g.started = time.perf_counter()

    @app.before_request
    async def json_is_text() -> None:
        # Quart decodes a JSON body before its own error handling: bytes that are not UTF-8
        # would surface as a 500.
        if request.is_json:
            try:
                (await request.get_data()).decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(400, "invalid_body", "the request body is not UTF-8 JSON") from None

    @app.after_request
    async def access_log(response: Response) -> Response:
        started = getattr(g, "started", None)
        log.info(
            "request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
            },
        )
        return response


def _add_health(app: Quart, name: str, uses_queue: bool) -> None:
    @validate_response(Health, 200)
    @validate_response(Health, 503)
    async def health() -> tuple[Health, int]:
        """Database, S3 (and SQS) reachability; 503 when the database is unreachable."""
        aws: Aws = app.extensions["aws"]
        checks = [db.ping(), asyncio.to_thread(aws.s3_reachable)]
        if uses_queue:
            checks.append(asyncio.to_thread(aws.sqs_reachable))
        results = await asyncio.gather(*checks)
        database, s3 = results[0], results[1]
        sqs = results[2] if uses_queue else None
        # Only the database takes the task out of the load balancer: without S3/SQS the
        # service still answers reads (and says so); without the database it cannot.
        status = "unavailable" if not database else "ok" if s3 and sqs is not False else "degraded"
        body = Health(service=name, status=status, database=database, s3=s3, sqs=sqs)
        return body, 200 if database else 503

    # /health is the load balancer's target check, not part of the API: through the edge that
    # path is the web client's. The API's own is under the prefix.
    @hide
    async def target_check():
        return await health()

    app.add_url_rule("/health", "health", target_check, methods=["GET"])
    app.add_url_rule(f"{app.config['PREFIX']}/health", "prefixed_health", health, methods=["GET"])


def aws() -> Aws:
    from quart import current_app

    return current_app.extensions["aws"]


def web_settings() -> WebSettings:
    from quart import current_app

    return current_app.extensions["web_settings"]


def settings() -> Settings:
    from quart import current_app

    return current_app.extensions["settings"]
