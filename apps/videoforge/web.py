"""What the Quart services share: the app factory (settings, pool, AWS clients, token
verifier, presigner, error handlers, OpenAPI, JSON logs) and the health checks: liveness for
the load balancer, readiness of the dependencies for monitoring."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import psycopg
from psycopg_pool import PoolTimeout
from pydantic import BaseModel
from quart import Blueprint, Quart, Response, g, request
from quart_schema import Info, QuartSchema, hide, validate_response
from werkzeug.exceptions import BadRequest

from videoforge import aws as vf_aws
from videoforge import db, ratelimit
from videoforge import logging as vf_logging
from videoforge.asgi import BodyBeforeResponse
from videoforge.auth import BEARER_SCHEME, TokenVerifier
from videoforge.errors import ApiError, not_found, register_error_handlers
from videoforge.jobs import HLS_ROOT
from videoforge.openapi import ServiceOpenAPI
from videoforge.presign import Presigner
from videoforge.settings import Settings
from videoforge.web_settings import WebSettings

log = logging.getLogger("videoforge.web")

# The largest request body a service reads: every body is JSON (media goes to S3 directly).
MAX_BODY_BYTES = 1024 * 1024


def mount(app: Quart, *blueprints: Blueprint) -> None:
    """Register blueprints under the app's API prefix; a blueprint declares only its own part."""
    for blueprint in blueprints:
        app.register_blueprint(blueprint, url_prefix=app.config["PREFIX"] + (blueprint.url_prefix or ""))


class Liveness(BaseModel):
    """The process serves requests (what the load balancer and the container check ask)."""

    service: str
    status: str


class Readiness(BaseModel):
    """Whether each dependency answers: ``ok``, ``degraded`` (S3 or the queue do not) or
    ``unavailable`` (the database does not)."""

    service: str
    status: str
    database: bool
    s3: bool
    sqs: bool | None = None


class Aws:
    """boto3 clients (videoforge.aws): ``s3`` for the service's own calls (AWS_ENDPOINT_URL),
    ``s3_public`` for the URLs handed to browsers (S3_PUBLIC_ENDPOINT_URL, path-style when an
    endpoint is set), and the health check's own quick ones."""

    def __init__(self, settings: Settings) -> None:
        self.session = vf_aws.session(settings)
        endpoint = settings.aws_endpoint_url
        self.s3 = vf_aws.client(self.session, "s3", vf_aws.INTERACTIVE, endpoint)
        # Virtual-hosted on AWS gives the regional host (bucket.s3.<region>.amazonaws.com): no
        # 307 from the global endpoint for a new bucket outside us-east-1.
        self.s3_public = vf_aws.client(
            self.session,
            "s3",
            vf_aws.INTERACTIVE,
            settings.s3_public_endpoint_url,
            addressing_style="path" if settings.s3_public_endpoint_url else "virtual",
        )
        self.sqs = vf_aws.client(self.session, "sqs", vf_aws.INTERACTIVE, endpoint)
        self.cognito = vf_aws.client(self.session, "cognito-idp", vf_aws.INTERACTIVE, endpoint)
        self._health_s3 = vf_aws.client(self.session, "s3", vf_aws.PROBE, endpoint)
        self._health_sqs = vf_aws.client(self.session, "sqs", vf_aws.PROBE, endpoint)
        self.bucket = settings.s3_bucket
        self.queue_url = settings.sqs_queue_url
        self.region = settings.aws_region
        self._presigner: Presigner | None = None
        self._endpoint_url = endpoint
        self._cloudfront = None
        self._ssm = None

    @property
    def cloudfront(self):
        # Made on first use: only the gallery invalidates, and only when the CDN is on.
        if self._cloudfront is None:
            self._cloudfront = vf_aws.client(
                self.session, "cloudfront", vf_aws.INTERACTIVE, self._endpoint_url
            )
        return self._cloudfront

    @property
    def ssm(self):
        # Made on first use: only the streaming service reads a secret (its CDN signing key).
        if self._ssm is None:
            self._ssm = vf_aws.client(self.session, "ssm", vf_aws.INTERACTIVE, self._endpoint_url)
        return self._ssm

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


def create_app(name: str, *, uses_queue: bool) -> Quart:
    """A Quart app for the service ``name`` ("gallery" or "streaming"), its API under the prefix
    the model gives it (API_PREFIXES)."""
    settings = Settings.from_env()
    web_settings = WebSettings.from_env()
    vf_logging.configure(settings.log_level)
    prefix = web_settings.api_prefix(name)
    app = Quart(name)
    app.config["PREFIX"] = prefix
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
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
    _stop_background_first(app)
    db.init_pool(
        app,
        settings.db_conninfo,
        settings.db_pool_min,
        settings.db_pool_max,
        db.session_options(settings.db_statement_timeout_ms, settings.db_idle_in_transaction_timeout_ms),
    )
    run_periodically(app, "clear rate limits", RATE_LIMIT_SWEEP_SECONDS, _clear_rate_limits)
    _add_request_hooks(app)
    _add_health(app, name, uses_queue)
    # A balancer's next request never meets a connection the service closed without saying so.
    app.asgi_app = BodyBeforeResponse(app.asgi_app)
    return app


# Expired rate-limit rows are dropped this often (by every task: the statement is cheap).
RATE_LIMIT_SWEEP_SECONDS = 300.0


async def _clear_rate_limits() -> None:
    async with db.pool().connection() as conn:
        await ratelimit.clear_expired(conn)


def run_periodically(
    app: Quart,
    name: str,
    seconds: float,
    work: Callable[[], Awaitable[object]],
    wake: asyncio.Event | None = None,
) -> None:
    """Run ``work`` while the app serves, every ``seconds`` or as soon as ``wake`` is set (not at
    once: a task that starts and stops at once has nothing in flight). A failure is logged and
    the next round comes as usual."""

    async def loop() -> None:
        while True:
            try:
                if wake is None:
                    await asyncio.sleep(seconds)
                else:
                    await asyncio.wait_for(wake.wait(), seconds)
            except TimeoutError:
                pass
            if wake is not None:
                wake.clear()
            try:
                await work()
            except (psycopg.OperationalError, PoolTimeout) as exc:  # the database is away: no trace
                log.warning("%s failed: %s", name, exc)
            except Exception:
                log.exception("%s failed", name)

    @app.before_serving
    async def start() -> None:
        app.extensions["background"].append(asyncio.create_task(loop(), name=name))


def _stop_background_first(app: Quart) -> None:
    """Registered before the pool: the loops end before the pool they use is closed."""
    app.extensions["background"] = []

    @app.after_serving
    async def stop_background() -> None:
        tasks, app.extensions["background"] = app.extensions["background"], []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _add_request_hooks(app: Quart) -> None:
    @app.before_request
    async def start_timer() -> None:
        g.started = time.perf_counter()

    @app.before_request
    async def path_is_text() -> None:
        # A control character (NUL above all: PostgreSQL text cannot hold it) names nothing
        # here: the 404 any unknown name gets, before a route passes it to a query.
        if any(ord(c) < 0x20 or ord(c) == 0x7F for c in request.path):
            raise not_found("path")

    @app.before_request
    async def json_is_sound() -> None:
        # Quart decodes a JSON body before its own error handling: bytes that are not UTF-8, or
        # nesting deeper than the decoder recurses, would surface as a 500. A body larger than
        # MAX_CONTENT_LENGTH is refused (413) while it is read.
        if not request.is_json:
            return
        try:
            (await request.get_data()).decode("utf-8")
        except UnicodeDecodeError:
            raise ApiError(400, "invalid_body", "the request body is not UTF-8 JSON") from None
        try:
            await request.get_json()  # cached for the route
        except RecursionError:
            raise ApiError(400, "invalid_body", "the JSON body is nested too deeply") from None
        except BadRequest:
            pass  # not JSON: a route that reads the body answers that itself

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
    """Liveness at /health (docs/ARCHITECTURE.md, "Health that tells the truth"): it asks no
    dependency, so a database failover does not take every task out of the balancer and the
    container check does not kill them; readiness at /health/ready, for monitoring."""

    @validate_response(Liveness, 200)
    async def live() -> tuple[Liveness, int]:
        """The service answers requests; says nothing of its dependencies (see health/ready)."""
        return Liveness(service=name, status="ok"), 200

    @validate_response(Readiness, 200)
    @validate_response(Readiness, 503)
    async def ready() -> tuple[Readiness, int]:
        """Database, S3 (and SQS) reachability: 200 when all answer, else 503 naming which not."""
        aws: Aws = app.extensions["aws"]
        checks = [db.ping(), asyncio.to_thread(aws.s3_reachable)]
        if uses_queue:
            checks.append(asyncio.to_thread(aws.sqs_reachable))
        results = await asyncio.gather(*checks)
        database, s3 = results[0], results[1]
        sqs = results[2] if uses_queue else None
        status = "unavailable" if not database else "ok" if s3 and sqs is not False else "degraded"
        body = Readiness(service=name, status=status, database=database, s3=s3, sqs=sqs)
        return body, 200 if status == "ok" else 503

    # /health is the load balancer's target check, not part of the API: through the edge that
    # path is the web client's. The API's own are under the prefix.
    @hide
    async def target_live():
        return await live()

    @hide
    async def target_ready():
        return await ready()

    prefix = app.config["PREFIX"]
    app.add_url_rule("/health", "health", target_live, methods=["GET"])
    app.add_url_rule("/health/ready", "ready", target_ready, methods=["GET"])
    app.add_url_rule(f"{prefix}/health", "prefixed_health", live, methods=["GET"])
    app.add_url_rule(f"{prefix}/health/ready", "prefixed_ready", ready, methods=["GET"])


def aws() -> Aws:
    from quart import current_app

    return current_app.extensions["aws"]


def web_settings() -> WebSettings:
    from quart import current_app

    return current_app.extensions["web_settings"]


def settings() -> Settings:
    from quart import current_app

    return current_app.extensions["settings"]
