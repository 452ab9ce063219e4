"""S3 reads by CloudFront through Origin Access Control, allowed or refused by the bucket policy.

moto evaluates no bucket policy (its IAM authorization is off), so a distribution the policy
does not name would read a private bucket here and nothing would notice. CloudFront signs its
reads (SigV4) as the service principal ``cloudfront.amazonaws.com`` on behalf of one
distribution (``aws:SourceArn``); the CDN twin signs with the access key
``CLOUDFRONT-OAC-<distribution id>`` (twin/cdn/origins.py). For that key only, S3's decision
for a principal without an identity policy of its own is made here, from the bucket policy:

- only GET and HEAD, of an object (``s3:GetObject``) or of the bucket (``s3:ListBucket``);
- an explicit Deny that applies, or no Allow that applies: 403 AccessDenied;
- an object that does not exist: 404 only when the distribution may also list the bucket
  (``s3:ListBucket``, the key as ``s3:prefix``), else 403, as S3 answers.

A statement applies by its Principal (``*`` or a ``Service`` naming CloudFront), Action and
Resource (``*`` and ``?`` wildcards) and Condition: StringEquals, StringNotEquals, StringLike,
ArnEquals, ArnLike and Bool on ``aws:SourceArn``, ``aws:SourceAccount``,
``aws:SecureTransport`` (false: the emulator is plain HTTP) and ``s3:prefix``, keys compared
case-insensitively, values as a string or a list. What it cannot evaluate (NotPrincipal,
NotAction, NotResource, another operator) fails closed: such an Allow does not apply, such a
Deny does. Every other request passes to moto untouched.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from twin.emulator import snapshots

ACCESS_KEY_PREFIX = "CLOUDFRONT-OAC-"
SERVICE = "cloudfront.amazonaws.com"
CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "stringequals": lambda have, want: have == want,
    "stringnotequals": lambda have, want: have != want,
    "stringlike": lambda have, want: _like(have, want),
    "arnequals": lambda have, want: have == want,
    "arnlike": lambda have, want: _like(have, want),
    "bool": lambda have, want: have.lower() == str(want).lower(),
}


def _like(value: str, pattern: str) -> bool:
    """IAM's wildcards: ``*`` any run of characters, ``?`` one; case-sensitive."""
    return fnmatch.fnmatchcase(value, pattern.replace("[", "[[]"))


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def access_key(environ: dict) -> str:
    """The access key a header-signed (SigV4) request names, or ""."""
    found = CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    return found[1] if found else ""


def _conditions_hold(conditions: dict[str, Any], context: dict[str, str]) -> bool | None:
    """True or False; None when an operator is not one evaluated here."""
    for operator, tests in conditions.items():
        compare = OPERATORS.get(operator.lower())
        if compare is None:
            return None
        negated = operator.lower() == "stringnotequals"
        for key, wanted in tests.items():
            have = context.get(key.lower())
            if have is None:
                # A missing key satisfies only a negated operator (IAM's rule for absent keys).
                if not negated:
                    return False
                continue
            values = [str(w) for w in _as_list(wanted)]
            matched = (
                all(compare(have, w) for w in values) if negated else any(compare(have, w) for w in values)
            )
            if not matched:
                return False
    return True


def applies(statement: dict[str, Any], action: str, resource: str, context: dict[str, str]) -> bool:
    """Whether ``statement`` applies to CloudFront's ``action`` on ``resource``; what cannot be
    evaluated here fails closed (an Allow does not apply, a Deny does)."""
    deny = statement.get("Effect") == "Deny"
    if {"NotPrincipal", "NotAction", "NotResource"} & statement.keys():
        return deny
    principal = statement.get("Principal")
    named = principal == "*" or (
        isinstance(principal, dict)
        and (principal.get("AWS") == "*" or SERVICE in _as_list(principal.get("Service", [])))
    )
    if not named:
        return False
    if not any(_like(action.lower(), a.lower()) for a in _as_list(statement.get("Action", []))):
        return False
    if not any(_like(resource, r) for r in _as_list(statement.get("Resource", []))):
        return False
    held = _conditions_hold(statement.get("Condition", {}), context)
    return deny if held is None else held


def allowed(policy: dict[str, Any] | None, action: str, resource: str, context: dict[str, str]) -> bool:
    """S3's decision for a principal without an identity policy: no explicit Deny and an Allow."""
    statements = _as_list((policy or {}).get("Statement", []))
    relevant = [s for s in statements if applies(s, action, resource, context)]
    return not any(s.get("Effect") == "Deny" for s in relevant) and any(
        s.get("Effect") == "Allow" for s in relevant
    )


def _distribution_arn(account_id: str, distribution_id: str) -> str | None:
    from moto.cloudfront.models import cloudfront_backends

    for partition in list(cloudfront_backends[account_id].keys()):
        dist = cloudfront_backends[account_id][partition].distributions.get(distribution_id)
        if dist is not None:
            return dist.arn
    return None


def _denied(message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
        f"<Message>{message}</Message><RequestId>videoforge-origin-access</RequestId></Error>"
    ).encode()
    return "403 Forbidden", [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))], body


class OriginAccess:
    """WSGI middleware: the bucket policy decides what a distribution reads (see the module)."""

    def __init__(self, app: Callable) -> None:
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        key_id = access_key(environ)
        if not key_id.startswith(ACCESS_KEY_PREFIX):
            return self.app(environ, start_response)
        refused, may_list = self.decide(environ, key_id.removeprefix(ACCESS_KEY_PREFIX))
        if refused:
            return self._answer(start_response, _denied(refused))
        answered: list[Any] = []

        def keep(status: str, headers: list, exc_info: Any = None) -> Callable:
            answered[:] = [status, headers, exc_info]
            return lambda data: None

        body = self.app(environ, keep)
        if answered[0].startswith("404") and not may_list:
            if hasattr(body, "close"):
                body.close()
            return self._answer(start_response, _denied("Access Denied"))
        start_response(*answered)
        return body

    @staticmethod
    def _answer(start_response: Callable, answer: tuple[str, list, bytes]) -> list[bytes]:
        status, headers, body = answer
        start_response(status, headers)
        return [body]

    def decide(self, environ: dict, distribution_id: str) -> tuple[str, bool]:
        """(why it is refused or "", whether a missing object may be told apart as 404)."""
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD"):
            return "Origin access control reads only", False
        raw_path = urlsplit(environ.get("RAW_URI") or environ.get("PATH_INFO", "/")).path
        bucket_name, _, key = unquote(raw_path).lstrip("/").partition("/")
        bucket = snapshots.find_bucket(bucket_name)
        if bucket is None:
            return "", False  # moto answers NoSuchBucket
        arn = _distribution_arn(bucket.account_id, distribution_id)
        if arn is None:
            return f"No distribution {distribution_id}", False
        policy = json.loads(bucket.policy.decode()) if bucket.policy else None
        context = {
            "aws:sourcearn": arn,
            "aws:sourceaccount": bucket.account_id,
            "aws:securetransport": "false",
            "aws:principalservicename": SERVICE,
        }
        bucket_arn = f"arn:{bucket.partition}:s3:::{bucket_name}"
        if not key:
            prefix = dict(parse_qsl(environ.get("QUERY_STRING", ""))).get("prefix", "")
            may_list = allowed(policy, "s3:ListBucket", bucket_arn, {**context, "s3:prefix": prefix})
            return ("" if may_list else "Access Denied"), may_list
        if not allowed(policy, "s3:GetObject", f"{bucket_arn}/{key}", context):
            return "Access Denied", False
        return "", allowed(policy, "s3:ListBucket", bucket_arn, {**context, "s3:prefix": key})
