"""Signed URLs and signed cookies, checked as CloudFront checks them for a behaviour that
trusts a key group.

A request carries its proof either in the query string (``Expires`` or ``Policy``, with
``Signature`` and ``Key-Pair-Id``) or, when the URL carries none of those, in the cookies
``CloudFront-Expires`` or ``CloudFront-Policy``, ``CloudFront-Signature`` and
``CloudFront-Key-Pair-Id``. The policy is the canned one (rebuilt from the URL and
``Expires``) or the custom one the viewer sent (base64), and the signature is RSA-SHA1
(PKCS#1 v1.5) over exactly those policy bytes, by a key of the trusted group. CloudFront's
base64 is URL-safe its own way: ``+`` ``=`` ``/`` become ``-`` ``_`` ``~``.

Anything else is a 403 with CloudFront's error document (``Refused``): the code and message
CloudFront answers, and a short reason for the twin's counters.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

URL_PARAMS = ("Expires", "Policy", "Signature", "Key-Pair-Id")
_FROM_CLOUDFRONT_B64 = bytes.maketrans(b"-_~", b"+=/")
# Verified (key id, policy, signature) -> the parsed statement: a viewer's cookie is the same
# for every segment it fetches, so the RSA check is done once, the conditions every time.
_VERIFIED_MAX = 4096


class Refused(Exception):
    """A request CloudFront answers 403, with its error document."""

    def __init__(self, code: str, message: str, reason: str) -> None:
        super().__init__(message)
        self.code, self.message, self.reason = code, message, reason


def _denied(reason: str) -> Refused:
    return Refused("AccessDenied", "Access denied", reason)


@lru_cache(maxsize=4096)
def cloudfront_b64decode(value: str) -> bytes:
    return base64.b64decode(value.encode("ascii").translate(_FROM_CLOUDFRONT_B64), validate=True)


def canned_policy(resource: str, expires: int) -> bytes:
    """The canned policy CloudFront rebuilds for a URL or cookie that carries only Expires
    (its key order and no whitespace are part of what is signed)."""
    condition = '{"DateLessThan":{"AWS:EpochTime":' + str(int(expires)) + "}}"
    return ('{"Statement":[{"Resource":"' + resource + '","Condition":' + condition + "}]}").encode()


@dataclass(frozen=True)
class Proof:
    """What a request presents: the policy bytes that were signed, the signature as sent
    (CloudFront base64), the key pair id; ``canned`` when the policy was rebuilt."""

    policy: bytes | None
    signature: str
    key_pair_id: str
    canned: bool


@dataclass(frozen=True)
class Statement:
    resource: re.Pattern | None  # None: any resource (a signed URL's policy may omit it)
    date_less_than: int
    date_greater_than: int | None
    source_ip: ipaddress.IPv4Network | ipaddress.IPv6Network | None


@lru_cache(maxsize=1024)
def resource_pattern(resource: str) -> re.Pattern:
    """CloudFront's wildcards: ``*`` any run of characters (``/`` included), ``?`` one."""
    parts = (re.escape(c) if c not in "*?" else ("." if c == "?" else ".*") for c in resource)
    return re.compile("".join(parts), re.DOTALL)


def proof_from_query(params: dict[str, str], url_without_proof: str) -> Proof | None:
    """The proof a signed URL carries, or None when the URL carries no signing parameter."""
    if not any(name in params for name in URL_PARAMS):
        return None
    return _proof(params.get("Policy"), params.get("Expires"), params, "", url_without_proof)


def proof_from_cookies(cookies: dict[str, str], url: str) -> Proof:
    return _proof(
        cookies.get("CloudFront-Policy"), cookies.get("CloudFront-Expires"), cookies, "CloudFront-", url
    )


def _proof(policy: str | None, expires: str | None, values: dict, prefix: str, url: str) -> Proof:
    key_pair_id = values.get(prefix + "Key-Pair-Id", "")
    if not key_pair_id:
        raise Refused("MissingKey", "Missing Key-Pair-Id query parameter or cookie value", "missing_key")
    signature = values.get(prefix + "Signature", "")
    if policy is not None:
        try:
            return Proof(cloudfront_b64decode(policy), signature, key_pair_id, canned=False)
        except (binascii.Error, ValueError):
            raise Refused("MalformedPolicy", "Malformed Policy", "malformed_policy") from None
    if expires is None or not expires.isdigit():
        raise _denied("missing_policy")
    return Proof(canned_policy(url, int(expires)), signature, key_pair_id, canned=True)


def parse_statement(policy: bytes, canned: bool) -> Statement:
    """The one statement of a policy; MalformedPolicy when it is not one CloudFront takes."""
    try:
        document = json.loads(policy)
        (statement,) = document["Statement"]
        condition = statement["Condition"]
        less = int(condition["DateLessThan"]["AWS:EpochTime"])
        greater = condition.get("DateGreaterThan", {}).get("AWS:EpochTime")
        ip = condition.get("IpAddress", {}).get("AWS:SourceIp")
        # A canned policy is rebuilt from the request's own URL: the signature binds it.
        resource = None if canned else statement.get("Resource")
        return Statement(
            resource_pattern(resource) if resource is not None else None,
            less,
            int(greater) if greater is not None else None,
            ipaddress.ip_network(ip, strict=False) if ip else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Refused("MalformedPolicy", "Malformed Policy", "malformed_policy") from None


class TrustedKeyGroup:
    """The public keys of the key group a behaviour trusts, by key pair (public key) id."""

    def __init__(self, public_keys: dict[str, str]) -> None:
        self._keys: dict[str, rsa.RSAPublicKey] = {}
        self._verified: OrderedDict[tuple, Statement] = OrderedDict()
        self.trust(public_keys)

    def trust(self, public_keys: dict[str, str]) -> None:
        """Trust exactly these keys (a rotation adds one, later removes the old one)."""
        keys = {}
        for key_id, pem in public_keys.items():
            key = serialization.load_pem_public_key(pem.encode())
            if not isinstance(key, rsa.RSAPublicKey):
                raise ValueError(f"public key {key_id} is not an RSA key (CloudFront signs with RSA)")
            keys[key_id] = key
        if keys.keys() != self._keys.keys():
            self._verified.clear()  # what a removed key signed is no longer admitted
        self._keys = keys

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def check(self, proof: Proof, url: str, viewer_ip: str, now: float) -> None:
        """Raises Refused unless ``proof`` admits ``url`` for ``viewer_ip`` at ``now``."""
        statement = self._statement(proof)
        if now >= statement.date_less_than:
            raise _denied("expired")
        if statement.date_greater_than is not None and now < statement.date_greater_than:
            raise _denied("not_yet_valid")
        if statement.source_ip is not None and ipaddress.ip_address(viewer_ip) not in statement.source_ip:
            raise _denied("source_ip")
        if statement.resource is not None and not statement.resource.fullmatch(url):
            raise _denied("resource")

    def _statement(self, proof: Proof) -> Statement:
        memo = (proof.key_pair_id, proof.policy, proof.signature)
        statement = self._verified.get(memo)
        if statement is not None:
            self._verified.move_to_end(memo)
            return statement
        key = self._keys.get(proof.key_pair_id)
        if key is None:
            raise Refused("InvalidKey", "Unknown Key", "unknown_key")
        try:
            signature = cloudfront_b64decode(proof.signature)
        except (binascii.Error, ValueError):
            raise Refused(
                "MalformedSignature", "Could not unencode Signature", "malformed_signature"
            ) from None
        try:
            key.verify(signature, proof.policy, padding.PKCS1v15(), hashes.SHA1())  # noqa: S303 - CloudFront's
        except InvalidSignature:
            raise _denied("bad_signature") from None
        statement = parse_statement(proof.policy, proof.canned)
        self._verified[memo] = statement
        if len(self._verified) > _VERIFIED_MAX:
            self._verified.popitem(last=False)
        return statement


def error_document(refused: Refused) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{refused.code}</Code>'
        f"<Message>{refused.message}</Message></Error>"
    ).encode()
