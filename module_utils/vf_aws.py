"""Shared plumbing for the VideoForge modules: one AWS client wrapper, one error type.

Every AWS call a module makes goes through ``AwsClient.call`` (or ``paginate``), which
retries throttling and server errors with exponential backoff and turns botocore's
exceptions into ``AwsError``. Modules turn ``AwsError`` into ``fail_json`` with the AWS
error code and message (``error_report``). Helpers here take plain values, never the module.

The endpoint comes from the environment (``AWS_ENDPOINT_URL``, which boto3 honours) or
the ``endpoint_url`` option: the local emulator and real AWS differ only in configuration.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

try:
    import boto3
    import botocore.config
    import botocore.exceptions
    import botocore.loaders
    import botocore.parsers
    import botocore.session
    import jmespath

    HAS_BOTO3 = True
except ImportError:  # pragma: no cover - reported by require_boto3
    HAS_BOTO3 = False

RETRYABLE_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "RequestThrottled",
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "PriorRequestNotComplete",
        "ResourceInUse",
        "ResourceContention",
    }
)


class AwsError(Exception):
    """An AWS call failed: carries the operation, the AWS error code and its message."""

    def __init__(self, operation: str, code: str, message: str, status: int | None = None):
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message
        self.status = status


def aws_argument_spec() -> dict[str, Any]:
    """Options every VideoForge AWS module takes."""
    return {
        "region": {"type": "str", "aliases": ["aws_region"]},
        "endpoint_url": {"type": "str", "aliases": ["aws_endpoint_url"]},
        "retries": {"type": "int", "default": 6},
    }


def require_boto3(fail: Callable[..., Any]) -> None:
    if not HAS_BOTO3:
        fail(msg="boto3 and botocore are required: pip install -r requirements.txt")


# Arguments that make a create idempotent: a retried request returns what the first one made.
IDEMPOTENCY_PARAMS = frozenset(
    {"ClientToken", "clientToken", "IdempotencyToken", "CreatorRequestId", "CallerReference"}
)
READ_PREFIXES = ("describe_", "list_", "get_", "head_", "lookup_", "discover_")
# Writes that set a value: sending the same one twice leaves what one send leaves.
SETTING_PREFIXES = ("put_", "set_", "modify_", "update_", "tag_", "untag_", "add_tags", "remove_tags")


@dataclass(frozen=True)
class NotYet:
    """Answers that mean "what this request names is not usable yet" (AWS's eventual
    consistency right after a create), and for how long to keep asking: (code, a fragment of
    the message) pairs; an empty fragment matches any message with that code."""

    answers: tuple[tuple[str, str], ...]
    seconds: float = 120.0

    def matches(self, code: str, message: str) -> bool:
        return any(code == c and fragment in message for c, fragment in self.answers)


# A role or instance profile made a moment ago (IAM is eventually consistent, seconds to a minute).
ROLE_NOT_YET = NotYet(
    (
        ("ClientException", "Role is not valid"),
        ("InvalidParameterException", "Unable to assume role"),
        ("ValidationError", "Invalid IAM Instance Profile"),
        ("InvalidParameterValue", "iamInstanceProfile"),
        ("InvalidParameterValue", "Invalid IAM Instance Profile"),
    )
)
# A certificate issued or imported a moment ago, not yet known to the load balancers.
CERTIFICATE_NOT_YET = NotYet((("CertificateNotFound", ""), ("UnsupportedCertificate", "")), seconds=300.0)


class AwsClient:
    """A boto3 client whose every call is retried with backoff and raises ``AwsError``.

    What is retried: throttling and server errors (the request was refused, so asking again is
    safe), a connection that could not be made (nothing was sent), and the caller's
    ``retry_codes`` (eventual consistency: a role or certificate not usable yet). A read timeout
    or a connection dropped mid-request may come after AWS carried the request out: only reads,
    calls carrying an idempotency token and calls the caller marks ``idempotent`` are retried
    then; anything else fails, and the next run reads back what exists and reconciles it.
    """

    def __init__(self, client: Any, retries: int = 6, base_delay: float = 0.5, max_delay: float = 20.0):
        self.client = client
        self.retries = retries
        self.base_delay = base_delay
        self.max_delay = max_delay

    def call(
        self,
        operation: str,
        *,
        retry_codes: frozenset[str] = frozenset(),
        idempotent: bool = False,
        not_yet: NotYet | None = None,
        **params: Any,
    ) -> Any:
        """Call ``operation`` (snake_case boto3 name); retry what is transient and safe to repeat.

        ``not_yet`` names the answers AWS gives while something the request uses was created a
        moment ago and has not reached every part of AWS (a role, a certificate): those are
        retried for ``not_yet.seconds``, however many retries that takes."""
        method = getattr(self.client, operation)
        repeatable = (
            idempotent
            or operation.startswith(READ_PREFIXES + SETTING_PREFIXES)
            or bool(IDEMPOTENCY_PARAMS & set(params))
        )
        attempt, refused_since = 0, None
        while True:
            try:
                return method(**params)
            except botocore.exceptions.ClientError as exc:
                err = exc.response.get("Error", {})
                code, message = str(err.get("Code", "Unknown")), str(err.get("Message", exc))
                status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
                if not_yet and not_yet.matches(code, message):
                    refused_since = time.monotonic() if refused_since is None else refused_since
                    if time.monotonic() - refused_since >= not_yet.seconds:
                        raise AwsError(operation, code, message, status) from exc
                    time.sleep(min(backoff_delay(attempt, self.base_delay, self.max_delay) + 1.0, 10.0))
                    attempt += 1
                    continue
                retryable = code in RETRYABLE_CODES or code in retry_codes or (status or 0) >= 500
                if not retryable or attempt >= self.retries:
                    raise AwsError(operation, code, message, status) from exc
            except (
                botocore.exceptions.EndpointConnectionError,
                botocore.exceptions.ConnectTimeoutError,
            ) as exc:
                if attempt >= self.retries:  # never sent: always safe to send again
                    raise AwsError(operation, "ConnectionError", str(exc)) from exc
            except (botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectionClosedError) as exc:
                if not repeatable:
                    raise AwsError(
                        operation,
                        "ReadTimeout",
                        f"{exc}; AWS may have carried it out: run again to reconcile",
                    ) from exc
                if attempt >= self.retries:
                    raise AwsError(operation, "ConnectionError", str(exc)) from exc
            except botocore.exceptions.ParamValidationError as exc:
                raise AwsError(operation, "ParamValidation", str(exc)) from exc
            except botocore.parsers.ResponseParserError as exc:
                # Not an AWS answer (an HTML error page of a proxy, or an endpoint without this API).
                raise AwsError(operation, "ResponseParserError", str(exc)[:300]) from exc
            except botocore.exceptions.BotoCoreError as exc:
                raise AwsError(operation, type(exc).__name__, str(exc)) from exc
            time.sleep(backoff_delay(attempt, self.base_delay, self.max_delay))
            attempt += 1

    def paginate(self, operation: str, result_key: str, **params: Any) -> list[Any]:
        """All items of a paginated ``operation`` under ``result_key``."""
        items: list[Any] = []
        for page in self.pages(operation, **params):
            items.extend(page.get(result_key) or [])
        return items

    def pages(self, operation: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every page of ``operation``, each yielded once. Each page is one ``call`` (retried in
        place, with the same token), so a throttle or a dropped connection mid-listing resumes
        from the page that failed. A page may be empty and still carry a token: only the absence
        of a token (or ``more_results`` false) ends the listing."""
        config = pagination_config(self.client, operation)
        inputs, outputs = _as_list(config["input_token"]), _as_list(config["output_token"])
        request, previous = dict(params), None
        while True:
            page = self.call(operation, idempotent=True, **request)
            yield page
            tokens = [jmespath.search(expression, page) for expression in outputs]
            more = config.get("more_results")
            if all(t is None or t == "" for t in tokens) or (more and not jmespath.search(more, page)):
                return
            if tokens == previous:
                raise AwsError(operation, "PaginationError", f"the same next token came back twice: {tokens}")
            previous = tokens
            for name, token in zip(inputs, tokens, strict=True):
                if token is None:
                    request.pop(name, None)
                else:
                    request[name] = token

    def wait_until(
        self,
        describe: Callable[[], Any],
        done: Callable[[Any], bool],
        timeout: float,
        what: str,
        interval: float = 2.0,
    ) -> Any:
        """Poll ``describe`` until ``done(result)``; raise ``AwsError`` naming ``what`` on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            result = describe()
            if done(result):
                return result
            if time.monotonic() >= deadline:
                raise AwsError("wait", "Timeout", f"gave up after {timeout:.0f}s waiting for {what}")
            time.sleep(interval)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def pagination_config(client: Any, operation: str) -> dict[str, Any]:
    """The service's pagination rule for ``operation`` (input_token, output_token as JMESPath,
    more_results): the very one botocore's own paginator follows. It is read from the client's
    paginator, which loads it through the client's model cache."""
    if not client.can_paginate(operation):
        raise AwsError(operation, "NotPageable", f"{operation} does not paginate")
    return client.get_paginator(operation)._pagination_cfg


def backoff_delay(attempt: int, base: float = 0.5, cap: float = 20.0) -> float:
    """Full-jitter exponential backoff (the AWS architecture blog's recommendation)."""
    return random.uniform(0, min(cap, base * (2**attempt)))  # noqa: S311 - jitter, not crypto


# The services the modules call. ``warm`` loads their models into the process's one loader.
SERVICES = (
    "acm", "application-autoscaling", "autoscaling", "cloudfront", "cloudwatch", "cognito-idp", "ec2", "ecr",
    "ecs", "elbv2", "iam", "logs", "rds", "route53", "s3", "servicediscovery", "sqs", "ssm", "sts",
)  # fmt: skip
_loader: Any = None


def shared_loader() -> Any:
    """The process's one botocore data loader: every client made here reads its service model,
    endpoint rules and paginators through it, so each is parsed once per process, not per client
    (about 0.1 s a client). A fork inherits it with whatever it has loaded."""
    global _loader
    if _loader is None:
        _loader = botocore.loaders.create_loader()
    return _loader


def warm(services: tuple[str, ...] = SERVICES) -> None:
    """Load ``services``' models (and the endpoint and partition data every client reads) into the
    shared loader. The controller does this once per run before it forks module runs."""
    loader = shared_loader()
    for name in ("endpoints", "partitions", "sdk-default-configuration", "_retry"):
        loader.load_data(name)
    for service in services:
        for kind in ("service-2", "endpoint-rule-set-1", "paginators-1", "waiters-2"):
            try:
                loader.load_service_model(service, kind)
            except botocore.exceptions.DataNotFoundError:
                pass  # not every service has waiters


def new_session() -> Any:
    """A boto3 session of its own (credentials and region from the environment as always) whose
    models come from the shared loader."""
    core = botocore.session.get_session()
    core.register_component("data_loader", shared_loader())
    return boto3.session.Session(botocore_session=core)


def connect(
    service: str, region: str | None = None, endpoint_url: str | None = None, retries: int = 6
) -> AwsClient:
    """An ``AwsClient`` for ``service``; region and endpoint fall back to the environment."""
    region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    # AwsClient makes the retries (it knows which calls are safe to repeat), so botocore makes one
    # attempt; its adaptive mode still slows the sending rate after throttling responses.
    config = botocore.config.Config(retries={"max_attempts": 1, "mode": "adaptive"}, connect_timeout=10)
    kwargs: dict[str, Any] = {"region_name": region, "config": config}
    if endpoint_url:
        kwargs["endpoint_url"] = endpoint_url
    return AwsClient(new_session().client(service, **kwargs), retries=retries)


def error_report(err: AwsError) -> dict[str, Any]:
    """An ``AwsError`` as a failed module's ``msg`` and ``error``, code and message intact."""
    return {
        "msg": f"{err.operation} failed: {err.code}: {err.message}",
        "error": {"code": err.code, "message": err.message, "operation": err.operation},
    }


# --- the clients of one module run, and the calls every module shares -------------------


class Aws:
    """The AWS clients of one module run, each made on first use (a client costs about 0.1 s).

    ``check_mode`` is there for a read that waits on AWS (a certificate being issued): waiting
    is pointless when nothing was asked of AWS. ``hide`` keeps a secret out of every output."""

    def __init__(self, params: Mapping[str, Any], check_mode: bool = False, hidden: set | None = None):
        self.params = params
        self.check_mode = check_mode
        self._hidden = hidden if hidden is not None else set()
        self._clients: dict[str, AwsClient] = {}
        self._account_id: str | None = None

    def account_id(self) -> str:
        """The caller's account, asked of STS once per run (a family's items share it)."""
        if self._account_id is None:
            self._account_id = self("sts").call("get_caller_identity")["Account"]
        return self._account_id

    def hide(self, secret: str) -> None:
        """Mask ``secret`` wherever it would appear in the module's output."""
        self._hidden.add(secret)

    def __call__(self, service: str) -> AwsClient:
        if service not in self._clients:
            p = self.params
            self._clients[service] = connect(service, p.get("region"), p.get("endpoint_url"), p["retries"])
        return self._clients[service]


def apply_call(aws: Aws, plan: Any, params: Mapping[str, Any]) -> None:
    """The apply step of a plan that is one AWS call (``vf_module.Call``: a deletion)."""
    call = plan.steps["call"]
    aws(call.service).call(call.operation, retry_codes=call.retry_codes, **call.params)


@dataclass(frozen=True)
class TagApi:
    """How one service sets and removes a resource's tags."""

    set_call: str
    remove_call: str
    resource_key: str  # the argument that names the resource
    tags_shape: str  # "Key" (a [{Key, Value}] list), "key" ([{key, value}]) or "dict"
    tags_key: str = "Tags"
    keys_key: str = "TagKeys"
    resource_list: bool = False  # the resource goes in a list (elbv2, ec2)
    keys_as_tags: bool = False  # removal names keys as [{Key}] (ec2)
    extra: tuple = ()  # fixed arguments, as (name, value) pairs

    def args(self, resource: str) -> dict[str, Any]:
        return {self.resource_key: [resource] if self.resource_list else resource, **dict(self.extra)}

    def tags(self, tags: Mapping[str, str]) -> Any:
        if self.tags_shape == "dict":
            return dict(tags)
        return dict_to_tags(tags, self.tags_shape, "Value" if self.tags_shape == "Key" else "value")


TAG_APIS = {
    "elbv2": TagApi("add_tags", "remove_tags", "ResourceArns", "Key", resource_list=True),
    "ecs": TagApi("tag_resource", "untag_resource", "resourceArn", "key", "tags", "tagKeys"),
    "ecr": TagApi("tag_resource", "untag_resource", "resourceArn", "Key", "tags", "tagKeys"),
    "logs": TagApi("tag_resource", "untag_resource", "resourceArn", "dict", "tags", "tagKeys"),
    "sqs": TagApi("tag_queue", "untag_queue", "QueueUrl", "dict"),
    "ssm": TagApi(
        "add_tags_to_resource",
        "remove_tags_from_resource",
        "ResourceId",
        "Key",
        extra=(("ResourceType", "Parameter"),),
    ),
    "ec2": TagApi(
        "create_tags",
        "delete_tags",
        "Resources",
        "Key",
        keys_key="Tags",
        resource_list=True,
        keys_as_tags=True,
    ),
    "iam": TagApi("tag_role", "untag_role", "RoleName", "Key"),
    "cognito-idp": TagApi("tag_resource", "untag_resource", "ResourceArn", "dict"),
}


def apply_tags(
    client: AwsClient, service: str, resource: str, to_set: Mapping[str, str], to_remove: list[str]
) -> None:
    """Remove, then set, tags on ``resource`` (an ARN, or what the service names it by)."""
    api = TAG_APIS[service]
    if to_remove:
        keys = [{"Key": k} for k in to_remove] if api.keys_as_tags else list(to_remove)
        client.call(api.remove_call, **api.args(resource), **{api.keys_key: keys})
    if to_set:
        client.call(api.set_call, **api.args(resource), **{api.tags_key: api.tags(to_set)})


# --- comparison helpers shared by every module's pure "what differs" function ----------


def tags_to_dict(
    tags: list[Mapping[str, str]] | None, key: str = "Key", value: str = "Value"
) -> dict[str, str]:
    """AWS tag lists (``[{"Key": k, "Value": v}]``) as a plain dict."""
    return {t[key]: t[value] for t in tags or []}


def dict_to_tags(
    tags: Mapping[str, str] | None, key: str = "Key", value: str = "Value"
) -> list[dict[str, str]]:
    return [{key: k, value: str(v)} for k, v in sorted((tags or {}).items())]


def tag_changes(
    current: Mapping[str, str], desired: Mapping[str, str], purge: bool
) -> tuple[dict[str, str], list[str]]:
    """(tags to set, tag keys to remove) to go from ``current`` to ``desired``."""
    to_set = {k: str(v) for k, v in desired.items() if current.get(k) != str(v)}
    to_remove = sorted(k for k in current if k not in desired and not k.startswith("aws:")) if purge else []
    return to_set, to_remove


def canonical_json(value: Any) -> str:
    """A policy document as one canonical string: key order and whitespace do not matter."""
    if isinstance(value, str):
        value = json.loads(value) if value.strip() else {}
    return json.dumps(normalize(value), sort_keys=True, separators=(",", ":"))


def normalize(value: Any) -> Any:
    """Numbers and booleans as AWS returns them in string-typed attributes; single-item lists of
    policy statements' principals and actions compared as sets."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, Mapping):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [normalize(v) for v in value]
        if all(isinstance(i, str) for i in items):
            return sorted(set(items)) if len(items) != 1 else items[0]
        return items
    return value
