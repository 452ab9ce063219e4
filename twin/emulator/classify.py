"""What an AWS request is, told from its method, path, headers and body.

The endpoint keeps state across restarts by kind of request, so each request is first
given one of these kinds:

- ``read``: changes nothing (GET/HEAD, Describe*/List*/Get*, sign-ins): never kept;
- ``control``: changes control-plane state (CreateQueue, PutBucketPolicy, RegisterTaskDefinition,
  SignUp ...): kept as the request itself and replayed on start;
- ``objects``: changes S3 objects or multipart uploads: the resulting object state is kept
  (metadata in the journal, bytes as files), never the request body;
- ``messages``: sends, receives or deletes SQS messages: the resulting messages are kept;
- ``sessions``: signs a user in or out: the user pools' refresh tokens are kept, so a
  person stays signed in across a restart as with Cognito;
- ``ephemeral``: changes only what AWS itself would not keep for us to restore (message
  visibility, log events, metrics, temporary credentials): never kept;
- ``admin``: moto's own API (``/moto-api/...``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

READ_ACTION_PREFIXES = ("Describe", "List", "Get", "Receive", "Head", "Check", "Lookup", "Discover")
READ_ACTIONS = frozenset(
    {"InitiateAuth", "RespondToAuthChallenge", "AdminInitiateAuth", "AdminRespondToAuthChallenge"}
)
EPHEMERAL_ACTIONS = frozenset(
    {
        "ChangeMessageVisibility",
        "ChangeMessageVisibilityBatch",
        "PutLogEvents",
        "PutMetricData",
        "AssumeRole",
        "AssumeRoleWithWebIdentity",
        "GetSessionToken",
    }
)
COGNITO_SESSION_ACTIONS = frozenset(
    {
        "InitiateAuth",
        "AdminInitiateAuth",
        "RespondToAuthChallenge",
        "AdminRespondToAuthChallenge",
        "GlobalSignOut",
        "AdminUserGlobalSignOut",
        "RevokeToken",
    }
)
SQS_MESSAGE_ACTIONS = frozenset(
    {
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "PurgeQueue",
        "StartMessageMoveTask",
    }
)
# X-Amz-Target prefixes of the JSON protocols whose requests may come unsigned.
TARGET_SERVICES = {"AmazonSQS": "sqs", "AWSCognitoIdentityProviderService": "cognito-idp"}
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Call:
    """One request, as the endpoint's persistence and fault modes see it."""

    method: str
    service: str
    action: str | None
    kind: str
    region: str | None = None
    bucket: str | None = None
    key: str | None = None
    query: Mapping[str, list[str]] | None = None

    @property
    def is_read(self) -> bool:
        return self.kind in ("read", "admin") or (self.action is not None and is_read_action(self.action))


def is_read_action(action: str) -> bool:
    return action.startswith(READ_ACTION_PREFIXES) or action in READ_ACTIONS


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by case-insensitive name."""
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return None


def signing_scope(
    headers: Mapping[str, str], query: Mapping[str, list[str]]
) -> tuple[str | None, str | None]:
    """(region, service) from a SigV4 Authorization header or presigned query; (None, None) if unsigned."""
    auth = header(headers, "Authorization") or ""
    match = _SCOPE.search(auth)
    if match:
        return match[1], match[2]
    credential = (query.get("X-Amz-Credential") or [""])[0].split("/")
    if len(credential) == 5:
        return credential[2], credential[3]
    if "AWSAccessKeyId" in query or auth.startswith("AWS "):
        return None, "s3"  # SigV2 is S3's alone now
    return None, None


def service_of(
    headers: Mapping[str, str], query: Mapping[str, list[str]], body: bytes
) -> tuple[str | None, str]:
    region, service = signing_scope(headers, query)
    if service:
        return region, service
    target = header(headers, "X-Amz-Target") or ""
    if target:
        prefix = target.split(".", 1)[0].split("_", 1)[0]
        return None, TARGET_SERVICES.get(prefix, prefix.lower())
    if b"Action=" in body[:4096]:
        return None, "query"
    return None, "s3"  # anonymous: a browser's form POST to a bucket


def action_of(headers: Mapping[str, str], body: bytes, query: Mapping[str, list[str]]) -> str | None:
    """The API action of a request, or None for REST calls that carry none (S3, Route 53 ...)."""
    target = header(headers, "X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    if "Action" in query:
        return query["Action"][0]
    form = header(headers, "Content-Type") or ""
    if body and form.startswith("application/x-www-form-urlencoded"):
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return action[0]
    return None


def s3_target(path: str, subdomain_bucket: str | None) -> tuple[str | None, str | None]:
    """(bucket, key) of an S3 request; ``subdomain_bucket`` is the bucket named by a virtual host."""
    parts = path.lstrip("/").split("/", 1)
    if subdomain_bucket:
        return subdomain_bucket, path.lstrip("/") or None
    bucket = parts[0] or None
    key = parts[1] if len(parts) > 1 and parts[1] else None
    return bucket, key


def s3_action(
    method: str, query: Mapping[str, list[str]], key: str | None, headers: Mapping[str, str]
) -> str:
    """A name for an S3 request, for logs and fault rules (S3 requests carry no action)."""
    copy = header(headers, "x-amz-copy-source") is not None
    if key is None:
        if method == "POST" and "delete" in query:
            return "DeleteObjects"
        return {"GET": "ListObjects", "HEAD": "HeadBucket", "PUT": "PutBucket", "DELETE": "DeleteBucket"}.get(
            method, "PostObject"
        )
    if "uploadId" in query:
        return {
            "PUT": "UploadPartCopy" if copy else "UploadPart",
            "POST": "CompleteMultipartUpload",
            "DELETE": "AbortMultipartUpload",
            "GET": "ListParts",
        }.get(method, "Multipart")
    if method == "POST" and "uploads" in query:
        return "CreateMultipartUpload"
    names = {"GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject", "OPTIONS": "Options"}
    if method == "PUT":
        return "CopyObject" if copy else "PutObject"
    return names.get(method, "PostObjectAction")


def classify(
    method: str,
    path: str,
    headers: Mapping[str, str],
    query: Mapping[str, list[str]],
    body: bytes = b"",
    subdomain_bucket: str | None = None,
) -> Call:
    """The ``Call`` a request is. ``body`` is needed for non-S3 requests only."""
    if path.startswith("/moto-api") or path.startswith("/_videoforge"):
        return Call(method, "moto", None, "admin")
    region, service = service_of(headers, query, body)
    if service == "s3":
        return _classify_s3(method, path, headers, query, region, subdomain_bucket)
    action = action_of(headers, body, query)
    kind = "control"
    if method in ("GET", "HEAD", "OPTIONS") and action is None:
        kind = "read"
    elif action is None:
        kind = "control"
    elif service == "sqs" and action in SQS_MESSAGE_ACTIONS:
        kind = "messages"
    elif service == "cognito-idp" and action in COGNITO_SESSION_ACTIONS:
        kind = "sessions"
    elif is_read_action(action):
        kind = "read"
    elif action in EPHEMERAL_ACTIONS:
        kind = "ephemeral"
    return Call(method, service, action, kind, region=region, query=query)


def _classify_s3(
    method: str,
    path: str,
    headers: Mapping[str, str],
    query: Mapping[str, list[str]],
    region: str | None,
    subdomain_bucket: str | None,
) -> Call:
    bucket, key = s3_target(path, subdomain_bucket)
    action = s3_action(method, query, key, headers)
    if method in ("GET", "HEAD", "OPTIONS") or bucket is None:
        kind = "read"
    elif key is not None or (method == "POST" and ("delete" in query or not query)):
        kind = "objects"
    else:
        kind = "control"
    return Call(method, "s3", action, kind, region=region, bucket=bucket, key=key, query=query)
