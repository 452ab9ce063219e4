"""The CloudFront reads and writes of vf_cloudfront_distribution, vf_cloudfront_cache_policies and
vf_cloudfront_origin_access_control (what they compare is pure, in vf_cloudfront and
vf_cloudfront_policies).

Every update or delete names the resource's current ETag (IfMatch); it is read just before the
write, so a change made meanwhile is refused (PreconditionFailed) rather than overwritten, and
the next run reconciles from what is there.
"""

from __future__ import annotations

import uuid
from typing import Any

from ansible.module_utils.vf_aws import Aws, AwsClient, NotYet, dict_to_tags, tags_to_dict
from ansible.module_utils.vf_module import Plan, ReconcileError

# A policy, key group or access control a distribution named a moment ago stays "in use" until
# the distribution's deletion (or update) has reached every edge location.
STILL_REFERENCED = NotYet(
    (
        ("CachePolicyInUse", ""),
        ("ResourceInUse", ""),
        ("OriginAccessControlInUse", ""),
        ("PublicKeyInUse", ""),
    ),
    seconds=600.0,
)


def marker_pages(client: AwsClient, operation: str, list_key: str, **params: Any) -> list[Any]:
    """Every item of a CloudFront listing botocore has no paginator for (list_cache_policies,
    list_key_groups): ``<list_key>.Items``, page after page by ``NextMarker``."""
    items: list[Any] = []
    marker = None
    while True:
        page = client.call(operation, **params, **({"Marker": marker} if marker else {}))[list_key]
        items.extend(page.get("Items") or [])
        following = page.get("NextMarker")
        if not following or following == marker:
            return items
        marker = following


def paged_items(client: AwsClient, operation: str, list_key: str) -> list[Any]:
    """Every item of a CloudFront listing botocore pages (``<list_key>.Items``)."""
    return [item for page in client.pages(operation) for item in page[list_key].get("Items") or []]


# --- the distribution ------------------------------------------------------------------------


def read_distribution(aws: Aws, p: dict) -> dict[str, Any] | None:
    """The distribution whose Comment is ``name``: its summary, config, ETag and tags; or None."""
    cf = aws("cloudfront")
    found = [
        d for d in paged_items(cf, "list_distributions", "DistributionList") if d.get("Comment") == p["name"]
    ]
    if len(found) > 1:
        raise ReconcileError(f"{len(found)} distributions are named {p['name']}: {[d['Id'] for d in found]}")
    if not found:
        return None
    got = cf.call("get_distribution_config", Id=found[0]["Id"])
    tags = cf.call("list_tags_for_resource", Resource=found[0]["ARN"]).get("Tags", {}).get("Items")
    return {
        "summary": found[0],
        "config": got["DistributionConfig"],
        "etag": got["ETag"],
        "tags": tags_to_dict(tags),
    }


def apply_distribution(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Create, update (whole config, IfMatch) or disable-wait-delete; then tags; then wait."""
    cf, steps = aws("cloudfront"), plan.steps
    if steps.get("delete"):
        delete_distribution(cf, steps, p["wait_timeout"])
        return {"status": None}
    if "id" not in steps:
        made = create_distribution(cf, steps["config"], p)
    elif steps["update"]:
        made = cf.call(
            "update_distribution", Id=steps["id"], IfMatch=steps["etag"], DistributionConfig=steps["config"]
        )
    else:
        made = {
            "Distribution": {"Id": steps["id"], "ARN": plan.result["arn"], "Status": plan.result["status"]}
        }
    dist = made["Distribution"]
    if "id" in steps and (steps["tags"]["set"] or steps["tags"]["remove"]):
        apply_distribution_tags(cf, dist["ARN"], steps["tags"]["set"], steps["tags"]["remove"])
    if p["wait"] and dist.get("Status") != "Deployed":
        dist = wait_deployed(cf, dist["Id"], p["wait_timeout"])
    return {
        "id": dist["Id"],
        "arn": dist["ARN"],
        "domain_name": dist.get("DomainName") or plan.result["domain_name"],
        "status": dist.get("Status"),
    }


def create_distribution(cf: AwsClient, config: dict[str, Any], p: dict) -> dict[str, Any]:
    """A new distribution (with its tags in the same request). The CallerReference makes a
    retried request return the distribution the first one made."""
    config = {**config, "CallerReference": f"{p['name']}-{uuid.uuid4().hex[:16]}"}
    if not p["tags"]:
        return cf.call("create_distribution", DistributionConfig=config)
    tagged = {"DistributionConfig": config, "Tags": {"Items": dict_to_tags(p["tags"])}}
    return cf.call("create_distribution_with_tags", DistributionConfigWithTags=tagged)


def apply_distribution_tags(cf: AwsClient, arn: str, to_set: dict[str, str], to_remove: list[str]) -> None:
    """CloudFront's tags are quantity-wrapped too: ``{"Items": [...]}``."""
    if to_remove:
        cf.call("untag_resource", Resource=arn, TagKeys={"Items": list(to_remove)})
    if to_set:
        cf.call("tag_resource", Resource=arn, Tags={"Items": dict_to_tags(to_set)})


def wait_deployed(cf: AwsClient, dist_id: str, timeout: float) -> dict[str, Any]:
    """The distribution once CloudFront reports it ``Deployed`` (every edge has its config)."""
    return cf.wait_until(
        lambda: cf.call("get_distribution", Id=dist_id)["Distribution"],
        lambda d: d.get("Status") == "Deployed",
        timeout,
        f"distribution {dist_id} to be Deployed",
        interval=15,
    )


def delete_distribution(cf: AwsClient, steps: dict[str, Any], timeout: float) -> None:
    """CloudFront deletes only a disabled, deployed distribution: disable it, wait, delete."""
    etag = steps["etag"]
    if steps["config"].get("Enabled") in (True, "true"):
        disabled = {**steps["config"], "Enabled": False}
        etag = cf.call("update_distribution", Id=steps["id"], IfMatch=etag, DistributionConfig=disabled)[
            "ETag"
        ]
    wait_deployed(cf, steps["id"], timeout)
    cf.call("delete_distribution", Id=steps["id"], IfMatch=etag)


# --- cache policies and origin access controls -------------------------------------------------


def read_cache_policy(aws: Aws, p: dict) -> dict[str, Any] | None:
    """Our (custom) cache policy named ``name``, as list_cache_policies describes it; or None."""
    listed = marker_pages(aws("cloudfront"), "list_cache_policies", "CachePolicyList", Type="custom")
    return next(
        (i["CachePolicy"] for i in listed if i["CachePolicy"]["CachePolicyConfig"]["Name"] == p["name"]), None
    )


def apply_cache_policy(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Create, update (IfMatch) or delete (IfMatch; waited for while a distribution uses it)."""
    cf, steps = aws("cloudfront"), plan.steps
    if steps.get("delete"):
        etag = cf.call("get_cache_policy", Id=steps["id"])["ETag"]
        cf.call("delete_cache_policy", Id=steps["id"], IfMatch=etag, not_yet=STILL_REFERENCED)
        return {"id": None}
    if "id" not in steps:
        return {"id": cf.call("create_cache_policy", CachePolicyConfig=steps["config"])["CachePolicy"]["Id"]}
    etag = cf.call("get_cache_policy", Id=steps["id"])["ETag"]
    cf.call("update_cache_policy", Id=steps["id"], IfMatch=etag, CachePolicyConfig=steps["config"])
    return {}


def read_origin_access_control(aws: Aws, p: dict) -> dict[str, Any] | None:
    """The origin access control named ``name`` (its list summary), or None."""
    listed = paged_items(aws("cloudfront"), "list_origin_access_controls", "OriginAccessControlList")
    return next((c for c in listed if c["Name"] == p["name"]), None)


def apply_origin_access_control(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Create, update (IfMatch) or delete (IfMatch; waited for while a distribution uses it)."""
    cf, steps = aws("cloudfront"), plan.steps
    if steps.get("delete"):
        etag = cf.call("get_origin_access_control", Id=steps["id"])["ETag"]
        cf.call("delete_origin_access_control", Id=steps["id"], IfMatch=etag, not_yet=STILL_REFERENCED)
        return {"id": None}
    if "id" not in steps:
        made = cf.call("create_origin_access_control", OriginAccessControlConfig=steps["config"])
        return {"id": made["OriginAccessControl"]["Id"]}
    etag = cf.call("get_origin_access_control", Id=steps["id"])["ETag"]
    cf.call(
        "update_origin_access_control",
        Id=steps["id"],
        IfMatch=etag,
        OriginAccessControlConfig=steps["config"],
    )
    return {}
