"""A hostile AWS on demand: pages of one item, throttling, eventual consistency.

moto is kind where AWS is not: every list fits on one page, nothing is throttled, a role
is usable the instant it exists. With ``--faults`` (or ``VF_AWS_FAULTS``, a comma list)
this middleware stands in front of the endpoint and takes the kindness away:

- ``paging``: every paginated read answers one item per page, with the API's real
  tokens (Marker, NextToken, nextToken ...): see ``paging``;
- ``throttle``: a seeded, deterministic share of calls is answered with the service's
  real throttling error (ThrottlingException, Throttling, RequestLimitExceeded,
  TooManyRequestsException, SlowDown), and some with a 500 or 503;
- ``consistency``: for a few seconds after it was created, an IAM role or instance
  profile cannot be used (RegisterTaskDefinition: "Role is not valid"; launch templates
  naming the profile, in Auto Scaling groups: "Invalid IAM Instance Profile name";
  RunInstances: the same) and a just-issued certificate cannot be attached to a listener
  (CertificateNotFound);
- ``latency``: every call waits, before it is answered, a seeded draw from ``LATENCY``
  (log-normal: by default a read's median 60 ms and 95th percentile 150 ms, as from a
  machine outside the region; a write takes ``WRITE_FACTOR`` times as long), so the count
  of calls made one after another shows in the wall time as it does over a network.

Counters (pages cut to one, throttles, server errors, refusals, delayed calls and their
milliseconds) are in ``GET /_videoforge/state`` under ``faults``; under ``latency`` the
delays drawn for reads and for writes (count, median, 95th percentile).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from twin.emulator import paging
from twin.emulator.classify import Call
from twin.emulator.persistence import Incoming

KINDS = frozenset({"paging", "throttle", "consistency", "latency"})
# Signing names whose botocore service is called otherwise (elasticloadbalancing: by version).
SERVICES = {"monitoring": ["cloudwatch"], "elasticloadbalancing": ["elbv2", "elb"], "email": ["ses"]}
THROTTLE_CODES = {"ec2": "RequestLimitExceeded", "s3": "SlowDown", "cognito-idp": "TooManyRequestsException"}


@dataclass(frozen=True)
class Latency:
    """A log-normal delay, told by its median and 95th percentile (seconds)."""

    median: float
    p95: float

    @property
    def sigma(self) -> float:
        return math.log(self.p95 / self.median) / Z95

    def seconds(self, normal: float) -> float:
        """The delay at ``normal``, a draw from the standard normal distribution."""
        return self.median * math.exp(self.sigma * normal)

    def times(self, factor: float) -> Latency:
        return Latency(self.median * factor, self.p95 * factor)


Z95 = 1.6448536269514722  # the standard normal's 95th percentile
# A read from a machine outside the region: tens of milliseconds, with a long tail.
LATENCY = Latency(median=0.060, p95=0.150)
# A write commits before AWS answers: each service's writes are slower than its reads.
WRITE_FACTOR = 1.5


@dataclass(frozen=True)
class Config:
    kinds: frozenset[str]
    seed: int = 1
    rate: float = 0.1  # share of calls answered with a throttle or a server error
    settle: float = 5.0  # seconds a new role, profile or certificate is not yet usable
    latency: Latency = LATENCY  # a read's delay; a write's is WRITE_FACTOR times it

    @classmethod
    def parse(
        cls, kinds: str, seed: int = 1, rate: float = 0.1, settle: float = 5.0, latency: Latency = LATENCY
    ) -> Config:
        chosen = frozenset(k.strip() for k in kinds.split(",") if k.strip())
        unknown = chosen - KINDS
        if unknown:
            raise ValueError(f"unknown faults {sorted(unknown)}: choose from {sorted(KINDS)}")
        if not 0 < latency.median <= latency.p95:
            raise ValueError(f"latency: the median {latency.median} s must be above 0 and at most the p95")
        return cls(chosen, seed, rate, settle, latency)


# --- botocore's view of an operation --------------------------------------------------


@functools.cache
def _session() -> Any:
    import botocore.session

    return botocore.session.get_session()


@functools.cache
def service_model(name: str) -> Any | None:
    try:
        return _session().get_service_model(name)
    except Exception:  # unknown to botocore
        return None


def protocol_of(model: Any) -> str:
    """The protocol botocore speaks to this service (a model may list several)."""
    return getattr(model, "resolved_protocol", None) or model.protocol


def model_for(signing_name: str, version: str | None) -> Any | None:
    candidates = [m for m in map(service_model, SERVICES.get(signing_name, [signing_name])) if m]
    for model in candidates:
        if version is None or model.api_version == version:
            return model
    return candidates[0] if candidates else None


@functools.cache
def _rest_routes(service: str) -> list[tuple[str, re.Pattern, set[str], int, str]]:
    """(method, path pattern, required query keys, literal length, operation) for a REST API."""
    model = service_model(service)
    routes = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        path, _, query = http["requestUri"].partition("?")
        pattern = re.sub(
            r"\{[^}]+\+\}",
            "(.+)",
            re.sub(r"\{[^}+]+\}", "([^/]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}")),
        )
        keys = {q.split("=", 1)[0] for q in query.split("&") if q}
        literal = len(re.sub(r"\{[^}]+\}", "", path)) + 10 * len(keys)
        routes.append((http["method"], re.compile(f"^{pattern.rstrip('/')}/?$"), keys, literal, name))
    return routes


def operation_of(model: Any, call: Call, path: str, query: dict[str, list[str]]) -> str | None:
    if protocol_of(model) in ("json", "query", "ec2") or call.action:
        return call.action if call.action in model.operation_names else None
    best = None
    for method, pattern, keys, literal, name in _rest_routes(model.service_name):
        if method == call.method and pattern.match(path) and keys <= set(query):
            if best is None or literal > best[0]:
                best = (literal, name)
    return best[1] if best else None


# --- the middleware ------------------------------------------------------------------------


class Faults:
    """WSGI middleware: see the module's docstring. ``status`` receives the counters."""

    def __init__(self, app: Callable, config: Config, status: dict[str, Any]) -> None:
        self.app = app
        self.config = config
        self.counters = {"requests": 0, "pages_of_one": 0, "throttled": 0, "server_errors": 0, "refused": 0}
        self.counters |= {"delayed": 0, "delay_ms": 0}
        status["faults"] = {"enabled": sorted(config.kinds), "seed": config.seed, "counters": self.counters}
        self.fresh = Fresh(config.settle)
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()
        if "latency" in config.kinds:
            self.delays = Delays(config.seed, config.latency)
            status["faults"]["latency"] = self.delays.summary

    def count(self, name: str) -> None:
        with self._lock:
            self.counters[name] += 1

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        incoming = Incoming.read(environ)
        call = incoming.call
        model = None
        if call.kind != "admin" and call.service not in ("query", "moto"):
            version = (parse_qs(incoming.body.decode("utf-8", "replace")).get("Version") or [None])[0]
            model = model_for(call.service, version)
        if model is None:
            return self.app(environ, start_response)
        self.count("requests")
        if "latency" in self.config.kinds:
            self._wait(call.is_read)
        fault = self._drawn(next(self._sequence))
        if fault:
            return respond(start_response, model, *fault_answer(model, fault))
        kinds = self.config.kinds
        if "consistency" in kinds:
            refusal = self.fresh.refusal(model.service_name, call, incoming.body)
            if refusal:
                self.count("refused")
                return respond(start_response, model, 400, *refusal)
        if "paging" in kinds and call.is_read:
            answer = self._paged(environ, start_response, model, incoming)
            if answer is not None:
                return answer
        if "consistency" in kinds and self.fresh.watches(model.service_name, call.action):
            return self._noting(environ, start_response, model.service_name, incoming)
        return self.app(environ, start_response)

    def _wait(self, read: bool) -> None:
        """The network's time, before the endpoint sees the call (the server is threaded:
        calls made side by side wait side by side, as they would over a network)."""
        seconds = self.delays.draw(read)
        with self._lock:
            self.counters["delayed"] += 1
            self.counters["delay_ms"] += round(seconds * 1000)
        time.sleep(seconds)

    def _drawn(self, sequence: int) -> str | None:
        """The fault this call gets: "throttle", "500", "503", or None (seeded, deterministic)."""
        if "throttle" not in self.config.kinds:
            return None
        draw = random.Random(f"{self.config.seed}-{sequence}").random()  # noqa: S311 - faults, not secrets
        if draw >= self.config.rate:
            return None
        if draw < self.config.rate / 4:
            self.count("server_errors")
            return "500" if sequence % 2 else "503"
        self.count("throttled")
        return "throttle"

    def _paged(self, environ: dict, start_response: Callable, model: Any, incoming: Incoming) -> Any:
        """Forward a read asking for one item per page; cut the answer where moto ignored that."""
        operation = operation_of(model, incoming.call, incoming.path, incoming.query)
        pages = paging.pagination(_session(), model, operation) if operation else None
        if pages is None:
            return None
        offset = paging.ask_for_one(environ, protocol_of(model), pages, incoming.body)
        self.count("pages_of_one")
        status: list[str] = []
        headers: list[list] = []

        def holding(line: str, response_headers: list, exc_info: Any = None) -> Callable:
            status.append(line)
            headers.append(response_headers)
            return lambda data: None

        answer = b"".join(self.app(environ, holding))
        if status and status[0].startswith("2"):
            answer, _ = paging.cut_to_one(protocol_of(model), pages, answer, offset)
        kept = [(k, v) for k, v in headers[0] if k.lower() != "content-length"] if headers else []
        start_response(
            status[0] if status else "500 Internal Server Error",
            [*kept, ("Content-Length", str(len(answer)))],
        )
        return [answer]

    def _noting(
        self, environ: dict, start_response: Callable, service: str, incoming: Incoming
    ) -> list[bytes]:
        """Forward, and note what the answer creates (roles, profiles, certificates, templates)."""
        status: list[int] = []

        def noting(line: str, headers: list, exc_info: Any = None) -> Callable:
            status.append(int(line.split(" ", 1)[0]))
            return start_response(line, headers, exc_info)

        answer = b"".join(self.app(environ, noting))
        if status and status[0] < 400:
            self.fresh.note(service, incoming.call.action or "", incoming.body, answer)
        return [answer]


class Delays:
    """Seeded delays, one sequence for reads and one for writes, so the delays a run's reads
    get do not depend on how its writes interleave with them; and what was drawn."""

    def __init__(self, seed: int, latency: Latency) -> None:
        self.seed = seed
        self.latency = {"read": latency, "write": latency.times(WRITE_FACTOR)}
        self._sequences = {kind: itertools.count(1) for kind in self.latency}
        self._drawn: dict[str, list[float]] = {kind: [] for kind in self.latency}  # sorted, ms
        self._lock = threading.Lock()
        self.summary: dict[str, Any] = {
            "declared": {
                kind: {"median_ms": round(d.median * 1000, 1), "p95_ms": round(d.p95 * 1000, 1)}
                for kind, d in self.latency.items()
            },
            **{kind: {"calls": 0, "median_ms": None, "p95_ms": None, "total_ms": 0} for kind in self.latency},
        }

    def draw(self, read: bool) -> float:
        kind = "read" if read else "write"
        with self._lock:
            sequence = next(self._sequences[kind])
        normal = random.Random(f"{self.seed}-{kind}-{sequence}").gauss(0.0, 1.0)  # noqa: S311 - not secrets
        seconds = self.latency[kind].seconds(normal)
        self._note(kind, seconds * 1000)
        return seconds

    def _note(self, kind: str, ms: float) -> None:
        with self._lock:
            drawn = self._drawn[kind]
            bisect.insort(drawn, ms)
            seen = self.summary[kind]
            seen["calls"] = len(drawn)
            seen["median_ms"] = round(drawn[len(drawn) // 2], 1)
            seen["p95_ms"] = round(drawn[min(len(drawn) - 1, math.ceil(len(drawn) * 0.95) - 1)], 1)
            seen["total_ms"] = round(seen["total_ms"] + ms)


def fault_answer(model: Any, fault: str) -> tuple[int, str, str]:
    """(status, code, message) of an injected fault, as this service answers it."""
    if fault == "500":
        return (
            500,
            "InternalError" if protocol_of(model) in ("ec2", "rest-xml") else "InternalFailure",
            ("We encountered an internal error. Please try again."),
        )
    if fault == "503":
        return (
            503,
            "Unavailable" if protocol_of(model) == "ec2" else "ServiceUnavailable",
            ("The service is unavailable. Please try again shortly."),
        )
    code = THROTTLE_CODES.get(model.service_name) or (
        "Throttling" if protocol_of(model) in ("query", "rest-xml") else "ThrottlingException"
    )
    status = 503 if code in ("SlowDown", "RequestLimitExceeded") else 400
    return status, code, "Please reduce your request rate." if code == "SlowDown" else "Rate exceeded"


def respond(start_response: Callable, model: Any, status: int, code: str, message: str) -> list[bytes]:
    """An AWS error answer in the service's own protocol."""
    request_id = f"vf-fault-{int(time.time() * 1000)}"
    if protocol_of(model) in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        headers = [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-ErrorType", code)]
    elif protocol_of(model) == "ec2":
        body = (
            f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    elif model.service_name == "s3":
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId>"
        body, headers = (body + "</Error>").encode(), [("Content-Type", "application/xml")]
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
            f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    reason = {400: "Bad Request", 500: "Internal Server Error", 503: "Service Unavailable"}.get(
        status, "Error"
    )
    start_response(f"{status} {reason}", [*headers, ("Content-Length", str(len(body)))])
    return [body]


# --- eventual consistency --------------------------------------------------------------------


class Fresh:
    """What was created moments ago and is not yet usable, and what depends on it."""

    WATCHED = {
        ("iam", "CreateRole"),
        ("iam", "CreateInstanceProfile"),
        ("iam", "AddRoleToInstanceProfile"),
        ("acm", "RequestCertificate"),
        ("acm", "ImportCertificate"),
        ("ec2", "CreateLaunchTemplate"),
        ("ec2", "CreateLaunchTemplateVersion"),
    }

    def __init__(self, settle: float) -> None:
        self.settle = settle
        # identifier (ARN, name, template id) -> (usable from, what it waits for)
        self.until: dict[str, tuple[float, str]] = {}
        self._lock = threading.Lock()

    def watches(self, service: str, action: str | None) -> bool:
        return (service, action) in self.WATCHED

    def _mark(self, *identifiers: str, until: float | None = None, cause: str | None = None) -> None:
        with self._lock:
            for ident in identifiers:
                if ident:
                    self.until[ident] = (until or time.monotonic() + self.settle, cause or ident)

    def _fresh_in(self, body: bytes) -> tuple[str, float] | None:
        """The first identifier the request names that is not yet usable, and until when."""
        now = time.monotonic()
        named = values_of(body)
        with self._lock:
            for ident, (until, cause) in self.until.items():
                if until > now and ident in named:
                    return cause, until
        return None

    def note(self, service: str, action: str, body: bytes, answer: bytes) -> None:
        reply = answer.decode("utf-8", "replace")
        params = dict(parse_qsl(body.decode("utf-8", "replace")))
        if service == "iam" and action == "CreateRole":
            self._mark(*re.findall(r"<Arn>([^<]+)</Arn>", reply))
        elif service == "iam":
            self._mark(
                params.get("InstanceProfileName", ""),
                *re.findall(r"<Arn>([^<]+:instance-profile/[^<]+)</Arn>", reply),
            )
        elif service == "acm":
            self._mark(json.loads(answer or b"{}").get("CertificateArn", ""))
        else:  # a launch template naming a fresh instance profile is unusable as long as the profile
            fresh = self._fresh_in(body)
            if fresh:
                ids = re.findall(r"<launchTemplateId>([^<]+)</launchTemplateId>", reply)
                self._mark(
                    params.get("LaunchTemplateName", ""),
                    params.get("LaunchTemplateId", ""),
                    *ids,
                    until=fresh[1],
                    cause=fresh[0],
                )

    def refusal(self, service: str, call: Call, body: bytes) -> tuple[str, str] | None:
        """(code, message) AWS answers while something the request names is not yet usable."""
        rule = REFUSALS.get((service, call.action or ""))
        fresh = self._fresh_in(body) if rule else None
        if rule is None or fresh is None:
            return None
        return rule[0], rule[1].format(ident=fresh[0])


def values_of(body: bytes) -> set[str]:
    """Every value a request body names (a JSON document's strings, a form's values)."""
    text = body.decode("utf-8", "replace")
    try:
        document = json.loads(text)
    except ValueError:
        return {v for _, v in parse_qsl(text, keep_blank_values=True)}
    found: set[str] = set()
    stack = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


PROFILE = (
    "Value ({ident}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name"
)
REFUSALS = {
    ("ecs", "RegisterTaskDefinition"): ("ClientException", "Role is not valid"),
    ("ecs", "CreateService"): (
        "InvalidParameterException",
        "Unable to assume role and validate the specified targetGroupArn. Please verify that the ECS service "
        "role being passed has the proper permissions.",
    ),
    ("autoscaling", "CreateAutoScalingGroup"): (
        "ValidationError",
        f"You must use a valid fully-formed launch template. {PROFILE}",
    ),
    ("autoscaling", "UpdateAutoScalingGroup"): (
        "ValidationError",
        f"You must use a valid fully-formed launch template. {PROFILE}",
    ),
    ("ec2", "RunInstances"): ("InvalidParameterValue", PROFILE),
    ("elbv2", "CreateListener"): ("CertificateNotFound", "Certificate '{ident}' not found"),
    ("elbv2", "ModifyListener"): ("CertificateNotFound", "Certificate '{ident}' not found"),
    ("elbv2", "AddListenerCertificates"): ("CertificateNotFound", "Certificate '{ident}' not found"),
}
