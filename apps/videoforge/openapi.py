"""The OpenAPI document says exactly what a service does (schemathesis checks it).

quart-schema builds the document from the routes' declared schemas; this provider adds what
every route of ours has in common, so no route can forget it:
- 400 on routes that take a body or a query string (validation errors), 413 on routes that
  take a body (larger than MAX_BODY_BYTES), 401 and 503 on
  routes that take a token (invalid token; keys unavailable), 404 on routes with a video id,
  503 wherever the database is needed; all as the one error shape;
- Retry-After on every 429;
- path ids typed as UUIDs, request bodies required;
- responses in their real media type (HLS playlists are not JSON), bodiless ones without
  content, response headers where OpenAPI puts them;
- hooks (``app.extensions["openapi_hooks"]``) for what only the running service knows, such as
  the accepted content types, which come from settings.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel
from quart_schema import document_response
from quart_schema.conversion import model_schema
from quart_schema.openapi import OpenAPIProvider
from werkzeug.routing import Rule
from werkzeug.routing.converters import UUIDConverter

OpenAPIHook = Callable[[dict[str, Any]], None]


class Error(BaseModel):
    """{"code", "message"}; validation errors add "details"."""

    code: str
    message: str
    details: list[Any] | None = None


class NoContent(BaseModel):
    """No body."""

    MEDIA_TYPE: ClassVar[str | None] = None


def errors(*statuses: int) -> Callable:
    """Document the error answers a route gives beyond the common ones (the error shape)."""

    def decorate(func):
        for status in statuses:
            func = document_response(Error, status)(func)
        return func

    return decorate


ERROR_RESPONSE = {
    "description": Error.__doc__,
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


RATE_LIMITED_RESPONSE = {
    **ERROR_RESPONSE,
    "headers": {
        "Retry-After": {
            "description": "seconds until the request may be made again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def media_type_of(model: type) -> str | None:
    """A response model's media type: ``MEDIA_TYPE`` on the model (None: no body), else JSON."""
    return getattr(model, "MEDIA_TYPE", "application/json")


class ServiceOpenAPI(OpenAPIProvider):
    def schema(self) -> dict[str, Any]:
        document = super().schema()
        error = model_schema(Error, preference="pydantic")
        document["components"]["schemas"]["Error"] = error
        for hook in self._app.extensions.get("openapi_hooks", []):
            hook(document)
        return document

    def build_paths(self, rule: Rule) -> tuple[dict, dict]:
        paths, components = super().build_paths(rule)
        for operations in paths.values():
            for operation in operations.values():
                self._common_responses(rule, operation)
                if "requestBody" in operation:
                    operation["requestBody"]["required"] = True
        return paths, components

    def _common_responses(self, rule: Rule, operation: dict[str, Any]) -> None:
        responses = operation["responses"]
        statuses = [503]  # database (or token keys) unavailable: every route but health has it
        if "requestBody" in operation or any(p["in"] == "query" for p in operation["parameters"]):
            statuses.append(400)
        if "requestBody" in operation:
            statuses.append(413)
        if any(s for s in operation.get("security", [])):
            statuses.append(401)
        if any(isinstance(c, UUIDConverter) for c in rule._converters.values()):
            statuses.append(404)
        for status in statuses:
            responses.setdefault(status, ERROR_RESPONSE)
        if 429 in responses:
            responses[429] = RATE_LIMITED_RESPONSE

    def build_querystring_parameters(self, model: type) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        # An optional parameter is one that may be left out, not one that may be "null".
        parameters, definitions = super().build_querystring_parameters(model)
        for parameter in parameters:
            schema = parameter["schema"]
            alternatives = [s for s in schema.get("anyOf", []) if s != {"type": "null"}]
            if len(alternatives) == 1 and len(schema["anyOf"]) == 2:
                schema.pop("anyOf")
                schema.pop("default", None)
                schema.update(alternatives[0])
        return parameters, definitions

    def build_path_parameter(self, name: str, converter: Any) -> dict[str, Any]:
        parameter = super().build_path_parameter(name, converter)
        if isinstance(converter, UUIDConverter):
            parameter["schema"] = {"type": "string", "format": "uuid"}
        return parameter

    def build_response_object(
        self, model: type, headers_model: type | None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        media_type = media_type_of(model)
        if model is Error:
            return ERROR_RESPONSE, {}
        if media_type == "application/json":
            response, definitions = super().build_response_object(model, None)
        else:
            response, definitions = {"description": inspect.getdoc(model) or ""}, {}
            if media_type is not None:
                response["content"] = {media_type: {"schema": {"type": "string"}}}
        if headers_model is not None:
            schema = model_schema(headers_model, preference="pydantic")
            response["headers"] = {
                name.replace("_", "-"): {
                    "schema": {k: v for k, v in prop.items() if k not in ("title", "description", "default")},
                    **({"description": prop["description"]} if "description" in prop else {}),
                }
                for name, prop in schema["properties"].items()
            }
        return response, definitions
