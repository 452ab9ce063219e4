"""The Route 53 read and apply steps of vf_route53_record (what it compares is pure, in vf_route53)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.vf_route53 import fqdn, zone_id


def record_sets(route53: Any, hosted_zone_id: str, name: str) -> list[dict[str, Any]]:
    """Every record set named ``name`` in the zone (all types), read page by page.

    Route 53 lists a zone sorted by name (labels reversed) then type, from StartRecordName on,
    and continues with NextRecordName / NextRecordType / NextRecordIdentifier: so the sets of
    one name are the first ones listed, and the listing stops at the first other name.
    """
    wanted, found = fqdn(name), []
    start = {"StartRecordName": wanted}
    while True:
        page = route53.call(
            "list_resource_record_sets", HostedZoneId=zone_id(hosted_zone_id), MaxItems="100", **start
        )
        for rrset in page.get("ResourceRecordSets", []):
            if fqdn(rrset["Name"]) != wanted:
                return found
            found.append(rrset)
        if not page.get("IsTruncated") or fqdn(page.get("NextRecordName", "")) != wanted:
            return found
        start = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}
        if page.get("NextRecordIdentifier"):
            start["StartRecordIdentifier"] = page["NextRecordIdentifier"]


def read_record(aws, p: dict) -> dict:
    """The record sets of the name (every type; the plan picks the declared ones)."""
    return {"records": record_sets(aws("route53"), p["hosted_zone_id"], p["name"])}


def apply_record(aws, plan, p: dict) -> dict:
    """Submit the planned change batch and wait until it is in sync."""
    route53 = aws("route53")
    batch = {"Comment": f"vf_route53_record {plan.result['name']}", "Changes": plan.steps["batch"]}
    change = route53.call(
        "change_resource_record_sets", HostedZoneId=zone_id(p["hosted_zone_id"]), ChangeBatch=batch
    )["ChangeInfo"]
    if p["wait"] and change.get("Status") != "INSYNC":
        change = route53.wait_until(
            lambda: route53.call("get_change", Id=change["Id"])["ChangeInfo"],
            lambda c: c.get("Status") == "INSYNC",
            p["wait_timeout"],
            f"Route 53 change {change['Id']} to be INSYNC",
            interval=5,
        )
    return {"change_id": change["Id"]}
