"""One error type, answered as {"code", "message"} JSON; nothing else ever reaches a client."""

from __future__ import annotations

import json
import logging

import psycopg
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as AwsConnectionError
from psycopg_pool import PoolTimeout
from quart import Quart, request
from quart_schema import RequestSchemaValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger("videoforge.errors")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: object | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


def not_found(what: str = "video") -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def unauthorized(message: str = "a valid access token is required") -> ApiError:
    return ApiError(401, "unauthorized", message)


def _validation_details(exc: Exception) -> object:
    errors = getattr(exc, "json", None)
    if callable(errors):
        try:
            return json.loads(errors(include_url=False, include_context=False, include_input=False))
        except TypeError:
            return json.loads(errors())
    return [str(exc)]


def register_error_handlers(app: Quart) -> None:
    @app.errorhandler(ApiError)
    async def api_error(exc: ApiError):
        headers = {"WWW-Authenticate": 'Bearer realm="videoforge"'} if exc.status == 401 else {}
        return exc.body(), exc.status, {**headers, **exc.headers}

    @app.errorhandler(RequestSchemaValidationError)
    async def validation_error(exc: RequestSchemaValidationError):
        details = _validation_details(exc.validation_error)
        return {"code": "validation_error", "message": "the request is not valid", "details": details}, 400

    @app.errorhandler(HTTPException)
    async def http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        # Keep what the exception says about itself (405's Allow), not its HTML content type.
        headers = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return {"code": code, "message": exc.description or exc.name}, exc.code or 500, headers

    # A statement cancelled by statement_timeout is an OperationalError; a transaction ended by
    # idle_in_transaction_session_timeout is not, yet it is the same: retry.
    @app.errorhandler(psycopg.OperationalError)
    @app.errorhandler(psycopg.errors.IdleInTransactionSessionTimeout)
    @app.errorhandler(PoolTimeout)
    async def database_unavailable(exc: Exception):
        log.error("database unavailable on %s %s: %s", request.method, request.path, exc)
        return {"code": "database_unavailable", "message": "the database is unavailable; retry"}, 503

    # An AWS service this request needs (S3, say) did not answer, or answered a server error
    # after the client's retries: a missing dependency (503, retry), not a fault of ours.
    @app.errorhandler(AwsConnectionError)
    @app.errorhandler(HTTPClientError)
    @app.errorhandler(ClientError)
    async def dependency_unavailable(exc: Exception):
        status = getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 503)
        if status < 500:
            return await unexpected(exc)
        log.error("dependency unavailable on %s %s: %s", request.method, request.path, exc)
        message = "a service this request needs is unavailable; retry"
        return {"code": "dependency_unavailable", "message": message}, 503

    @app.errorhandler(Exception)
    async def unexpected(exc: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        return {"code": "internal_error", "message": "internal server error"}, 500
