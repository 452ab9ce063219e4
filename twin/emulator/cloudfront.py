"""CloudFront where moto 5.2.5 (our pin) lacks what the cdn modules call, or answers otherwise than
CloudFront does (docs/ARCHITECTURE.md, "Where the emulator is not AWS").

- **Cache policies** are not there at all: create, get (and its config), update, delete and list
  (``custom`` and ``managed``; the managed ones the model uses by id answer as AWS's do), each
  with an ETag that changes on every write, IfMatch checked, and ``CachePolicyInUse`` while a
  distribution's behaviour names the policy.
- **Key groups** cannot be updated or deleted, and public keys have no config read; an unknown
  id was a KeyError (HTTP 500). Here: update and delete (``ResourceInUse`` while a behaviour
  trusts the group), ``NoSuchResource`` / ``NoSuchPublicKey``, and a public key in a group is
  ``PublicKeyInUse``.
- **A distribution's origin** lost ``OriginAccessControlId`` and ``S3OriginConfig``, so every
  read differed from what was written: both are kept.
- **A distribution's ETag** never changed and IfMatch was not checked; a distribution could be
  deleted while enabled, and every change read ``Deployed`` at once. Here every update gives a
  new ETag and puts the distribution ``InProgress`` until the next read of it (``Deployed``
  then), a stale IfMatch is ``PreconditionFailed``, and deleting a distribution that is enabled,
  or disabled but not yet ``Deployed``, is ``DistributionNotDisabled``, as CloudFront answers.
- **An origin access control** in use by an origin is ``OriginAccessControlInUse`` on delete.
- **A security group rule from a managed prefix list** (the load balancer's, from CloudFront's
  origin-facing addresses) lost its description, so the rule never read back as declared.

Ids come from moto's random source, so a journal replay makes the same ones (``seeds.py``).
"""

from __future__ import annotations

from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import utcnow

API = "{0}/2020-05-31"
ROUTES = {
    "/cache-policy$": None,
    "/cache-policy/(?P<cache_policy_id>[^/]+)$": None,
    "/cache-policy/(?P<cache_policy_id>[^/]+)/config$": None,
    "/key-group/(?P<key_group_id>[^/]+)/config$": None,
    "/public-key/(?P<public_key_id>[^/]+)/config$": None,
}
# The managed policies the model uses, as CloudFront describes them (Use managed cache policies,
# Amazon CloudFront Developer Guide).
MANAGED_CACHE_POLICIES = {
    "4135ea2d-6df8-44a3-9df3-4b5a84be39ad": ("Managed-CachingDisabled", 0, 0, 0, False),
    "658327ea-f89d-4fab-a63d-7e88639e58f6": ("Managed-CachingOptimized", 1, 86400, 31536000, True),
}


class CloudFrontError(ServiceException):
    """An answer CloudFront gives by code (the status comes from the service model)."""


def _error(code: str, message: str) -> CloudFrontError:
    return CloudFrontError(code, message)


def _etag() -> str:
    from moto.cloudfront.models import random_id

    return random_id()


def _check_if_match(current: str, if_match: str | None) -> None:
    if not if_match:
        raise _error(
            "InvalidIfMatchVersion", "The If-Match version is missing or not valid for the resource."
        )
    if if_match != current:
        raise _error(
            "PreconditionFailed",
            "The precondition given in one or more of the request-header fields evaluated to false.",
        )


# --- cache policies -----------------------------------------------------------------------


class CachePolicy:
    """One cache policy: its config as sent, an ETag per version."""

    def __init__(self, policy_id: str, config: dict[str, Any], kind: str = "custom", etag: str = ""):
        self.id = policy_id
        self.config = config
        self.kind = kind
        # A managed policy's ETag is fixed: drawing it from the ids' random source (on the first
        # read or write that meets it) would shift the ids a replayed write makes.
        self.etag = etag or _etag()
        self.last_modified = utcnow()

    def as_dict(self) -> dict[str, Any]:
        return {"Id": self.id, "LastModifiedTime": self.last_modified, "CachePolicyConfig": self.config}


def _managed_policy(
    policy_id: str, name: str, low: int, default: int, high: int, compress: bool
) -> CachePolicy:
    config = {
        "Comment": name,
        "Name": name,
        "MinTTL": low,
        "DefaultTTL": default,
        "MaxTTL": high,
        "ParametersInCacheKeyAndForwardedToOrigin": {
            "EnableAcceptEncodingGzip": compress,
            "EnableAcceptEncodingBrotli": compress,
            "HeadersConfig": {"HeaderBehavior": "none"},
            "CookiesConfig": {"CookieBehavior": "none"},
            "QueryStringsConfig": {"QueryStringBehavior": "none"},
        },
    }
    return CachePolicy(policy_id, config, "managed", etag="E" + policy_id.replace("-", "")[:12].upper())


def _policies(backend: Any) -> dict[str, CachePolicy]:
    if not hasattr(backend, "cache_policies"):
        backend.cache_policies = {
            pid: _managed_policy(pid, *spec) for pid, spec in MANAGED_CACHE_POLICIES.items()
        }
    return backend.cache_policies


def _policy(backend: Any, policy_id: str) -> CachePolicy:
    policy = _policies(backend).get(policy_id)
    if policy is None:
        raise _error("NoSuchCachePolicy", "The cache policy does not exist.")
    return policy


def _behaviours(backend: Any) -> list[Any]:
    """Every cache behaviour of every distribution (default ones included)."""
    found = []
    for dist in backend.distributions.values():
        config = dist.distribution_config
        found.append(config.DefaultCacheBehavior)
        found.extend((config.CacheBehaviors or {}).get("Items") or [])
    return found


def create_cache_policy(self: Any) -> ActionResult:
    """POST /cache-policy."""
    from moto.moto_api._internal import mock_random

    config = self._get_param("CachePolicyConfig", {})
    policies = _policies(self.backend)
    if any(p.config.get("Name") == config.get("Name") for p in policies.values()):
        raise _error(
            "CachePolicyAlreadyExists", f"A cache policy with this name already exists: {config.get('Name')}"
        )
    policy = CachePolicy(str(mock_random.uuid4()), config)
    policies[policy.id] = policy
    location = f"https://cloudfront.amazonaws.com/2020-05-31/cache-policy/{policy.id}"
    return ActionResult({"CachePolicy": policy.as_dict(), "Location": location, "ETag": policy.etag})


def get_cache_policy(self: Any) -> ActionResult:
    """GET /cache-policy/<id>."""
    policy = _policy(self.backend, self._get_param("Id"))
    return ActionResult({"CachePolicy": policy.as_dict(), "ETag": policy.etag})


def get_cache_policy_config(self: Any) -> ActionResult:
    """GET /cache-policy/<id>/config."""
    policy = _policy(self.backend, self._get_param("Id"))
    return ActionResult({"CachePolicyConfig": policy.config, "ETag": policy.etag})


def update_cache_policy(self: Any) -> ActionResult:
    """PUT /cache-policy/<id>/config with IfMatch."""
    policy = _policy(self.backend, self._get_param("Id"))
    if policy.kind == "managed":
        raise _error("IllegalUpdate", "A managed cache policy cannot be updated.")
    _check_if_match(policy.etag, self._get_param("IfMatch"))
    policy.config = self._get_param("CachePolicyConfig", {})
    policy.etag, policy.last_modified = _etag(), utcnow()
    return ActionResult({"CachePolicy": policy.as_dict(), "ETag": policy.etag})


def delete_cache_policy(self: Any) -> EmptyResult:
    """DELETE /cache-policy/<id> with IfMatch; refused while a behaviour names it."""
    policy = _policy(self.backend, self._get_param("Id"))
    if policy.kind == "managed":
        raise _error("IllegalDelete", "A managed cache policy cannot be deleted.")
    _check_if_match(policy.etag, self._get_param("IfMatch"))
    if any(getattr(b, "cache_policy_id", "") == policy.id for b in _behaviours(self.backend)):
        raise _error(
            "CachePolicyInUse",
            "Cannot delete the cache policy because it is attached to one or more cache behaviors.",
        )
    del _policies(self.backend)[policy.id]
    return EmptyResult()


def list_cache_policies(self: Any) -> ActionResult:
    """GET /cache-policy?Type=custom|managed (one page: every list here fits one)."""
    kind = self._get_param("Type")
    items = [
        {"Type": p.kind, "CachePolicy": p.as_dict()}
        for p in _policies(self.backend).values()
        if kind in (None, "", p.kind)
    ]
    listing = {"MaxItems": 100, "Quantity": len(items), "Items": items}
    return ActionResult({"CachePolicyList": listing})


# --- key groups and public keys ------------------------------------------------------------


def _key_group(backend: Any, group_id: str) -> Any:
    group = backend.key_groups.get(group_id)
    if group is None:
        raise _error("NoSuchResource", "A resource that was specified in the request does not exist.")
    return group


def _public_key(backend: Any, key_id: str) -> Any:
    key = backend.public_keys.get(key_id)
    if key is None:
        raise _error("NoSuchPublicKey", "The specified public key doesn't exist.")
    return key


def get_key_group(self: Any) -> ActionResult:
    """GET /key-group/<id>."""
    group = _key_group(self.backend, self._get_param("Id"))
    return ActionResult({"KeyGroup": group, "ETag": group.etag})


def get_key_group_config(self: Any) -> ActionResult:
    """GET /key-group/<id>/config."""
    group = _key_group(self.backend, self._get_param("Id"))
    return ActionResult({"KeyGroupConfig": group.key_group_config, "ETag": group.etag})


def update_key_group(self: Any) -> ActionResult:
    """PUT /key-group/<id> with IfMatch."""
    group = _key_group(self.backend, self._get_param("Id"))
    _check_if_match(group.etag, self._get_param("IfMatch"))
    group.name = self._get_param("KeyGroupConfig.Name")
    group.items = self._get_param("KeyGroupConfig.Items", [])
    group.etag = _etag()
    return ActionResult({"KeyGroup": group, "ETag": group.etag})


def delete_key_group(self: Any) -> EmptyResult:
    """DELETE /key-group/<id> with IfMatch; refused while a behaviour trusts it."""
    group = _key_group(self.backend, self._get_param("Id"))
    _check_if_match(group.etag, self._get_param("IfMatch"))
    trusted = [b.trusted_key_groups.items for b in _behaviours(self.backend)]
    if any(group.id in (items or []) for items in trusted):
        raise _error("ResourceInUse", "Cannot delete this resource because it is in use.")
    del self.backend.key_groups[group.id]
    return EmptyResult()


def get_public_key(self: Any) -> ActionResult:
    """GET /public-key/<id>."""
    key = _public_key(self.backend, self._get_param("Id"))
    return ActionResult({"PublicKey": key, "ETag": key.etag})


def get_public_key_config(self: Any) -> ActionResult:
    """GET /public-key/<id>/config."""
    key = _public_key(self.backend, self._get_param("Id"))
    return ActionResult({"PublicKeyConfig": key.public_key_config, "ETag": key.etag})


def delete_public_key(self: Any) -> EmptyResult:
    """DELETE /public-key/<id> with IfMatch; refused while a key group holds it."""
    key = _public_key(self.backend, self._get_param("Id"))
    _check_if_match(key.etag, self._get_param("IfMatch"))
    if any(key.id in (g.items or []) for g in self.backend.key_groups.values()):
        raise _error("PublicKeyInUse", "The specified public key is in use.")
    del self.backend.public_keys[key.id]
    return EmptyResult()


# --- distributions and origin access controls ----------------------------------------------


def _origin_init(original: Any) -> Any:
    def init(self: Any, origin: dict[str, Any]) -> None:
        original(self, origin)
        self.origin_access_control_id = origin.get("OriginAccessControlId", "")
        if "S3OriginConfig" in origin:
            self.s3_origin_config = origin["S3OriginConfig"]

    return init


def _update_distribution(original: Any) -> Any:
    def update(self: Any, dist_config: dict[str, Any], _id: str, if_match: Any) -> Any:
        dist = self.distributions.get(_id)
        if dist is not None:
            _check_if_match(dist.etag, if_match)
        dist, location, _ = original(self, dist_config, _id, if_match)
        dist.etag = _etag()
        # InProgress until the distribution is read again: moto's update counted as that read.
        dist.status, dist._tick = "InProgress", 0
        return dist, location, dist.etag

    return update


def _delete_distribution(original: Any) -> Any:
    def delete(self: Any, distribution_id: str, if_match: Any) -> None:
        dist = self.distributions.get(distribution_id)
        if dist is not None and if_match:
            _check_if_match(dist.etag, if_match)
            if dist.distribution_config.Enabled in (True, "true") or dist.status != "Deployed":
                raise _error(
                    "DistributionNotDisabled",
                    "The distribution you are trying to delete has not been disabled.",
                )
        original(self, distribution_id, if_match)

    return delete


def _delete_origin_access_control(original: Any) -> Any:
    def delete(self: Any, control_id: str) -> None:
        self.get_origin_access_control(control_id)
        for dist in self.distributions.values():
            for origin in dist.distribution_config.Origins["Items"]:
                if getattr(origin, "origin_access_control_id", "") == control_id:
                    raise _error(
                        "OriginAccessControlInUse",
                        "Cannot delete the origin access control because it's in use.",
                    )
        original(self, control_id)

    return delete


def _rule_init(original: Any) -> Any:
    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        # (ec2_backend, ip_protocol, group_id, from_port, to_port, ip_range, source_group, prefix_list_id)
        source = kwargs.get("prefix_list_id", args[7] if len(args) > 7 else None) or {}
        self.prefix_list_description = source.get("Description")

    return init


def _flattened_rules(original: Any) -> Any:
    def flattened(self: Any, rules: list[Any]) -> list[Any]:
        views = original(self, rules)
        described = {
            (r.ip_protocol, r.from_port, r.to_port, r.prefix_list_id): r.prefix_list_description
            for r in rules
            if getattr(r, "prefix_list_description", None)
        }
        for view in views:
            for entry in view.prefix_list_ids:
                key = (view.ip_protocol, view.from_port, view.to_port, entry["PrefixListId"])
                if described.get(key):
                    entry["Description"] = described[key]
        return views

    return flattened


HANDLERS = (
    create_cache_policy, get_cache_policy, get_cache_policy_config, update_cache_policy,
    delete_cache_policy, list_cache_policies, get_key_group, get_key_group_config, update_key_group,
    delete_key_group, get_public_key, get_public_key_config, delete_public_key,
)  # fmt: skip


def install() -> None:
    """Add the calls and put the answers right (idempotent); before the first CloudFront request."""
    from moto.cloudfront import models, urls
    from moto.cloudfront.responses import CloudFrontResponse

    if getattr(CloudFrontResponse, "__videoforge__", False):
        return
    for route in ROUTES:
        urls.url_paths[API + route] = CloudFrontResponse.dispatch
    for handler in HANDLERS:
        setattr(CloudFrontResponse, handler.__name__, handler)
    models.Origin.__init__ = _origin_init(models.Origin.__init__)  # type: ignore[method-assign]
    backend = models.CloudFrontBackend
    backend.update_distribution = _update_distribution(backend.update_distribution)  # type: ignore[method-assign]
    backend.delete_distribution = _delete_distribution(backend.delete_distribution)  # type: ignore[method-assign]
    backend.delete_origin_access_control = _delete_origin_access_control(  # type: ignore[method-assign]
        backend.delete_origin_access_control
    )
    from moto.ec2.models import security_groups

    rule = security_groups.SecurityGroupRule
    rule.__init__ = _rule_init(rule.__init__)  # type: ignore[method-assign]
    group = security_groups.SecurityGroup
    group._flattened_rules = _flattened_rules(group._flattened_rules)  # type: ignore[method-assign]
    CloudFrontResponse.__videoforge__ = True  # type: ignore[attr-defined]
