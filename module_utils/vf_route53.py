"""Route 53 record sets: the pure plan of vf_route53_record (its paged read is in vf_route53_aws).

A record set is identified by its name and type. Names compare the way Route 53 stores them:
lower case, fully qualified (a trailing dot), with the octal escapes it returns (``\\052`` for
``*``) decoded. An alias target compares on its hosted zone, its DNS name (normalized the same
way) and whether it evaluates target health; plain records on their TTL and sorted values.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_module import Plan, ReconcileError

# In check mode the load balancer an earlier task would create has no DNS name yet.
PENDING_TARGET = "(the DNS name of a resource that would be created)"
_ESCAPE = re.compile(r"\\(\d{3})")


def fqdn(name: str) -> str:
    """``name`` as Route 53 stores and returns it: lower case, unescaped, with the final dot."""
    name = _ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), name.strip()).lower()
    return name if name.endswith(".") else f"{name}."


def zone_id(value: str) -> str:
    """A hosted zone id, with or without the ``/hostedzone/`` prefix the API sometimes returns."""
    return value.rsplit("/", 1)[-1]


def desired_record(p: Mapping[str, Any], record_type: str, check_mode: bool) -> dict[str, Any]:
    """The ResourceRecordSet the parameters declare for ``record_type``."""
    record = {"Name": fqdn(p["name"]), "Type": record_type}
    alias = p.get("alias")
    if alias:
        dns_name = alias["dns_name"] or ""
        if not dns_name and not check_mode:
            raise ReconcileError(f"record {p['name']} {record_type}: the alias target's dns_name is empty")
        record["AliasTarget"] = {
            "HostedZoneId": zone_id(alias["hosted_zone_id"] or ""),
            "DNSName": fqdn(dns_name) if dns_name else PENDING_TARGET,
            "EvaluateTargetHealth": bool(alias["evaluate_target_health"]),
        }
        return record
    record["TTL"] = int(p["ttl"])
    record["ResourceRecords"] = [{"Value": v} for v in sorted(str(v) for v in p["values"])]
    return record


def record_view(rrset: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A record set in the form plans compare and ``--diff`` shows (None when there is none)."""
    if rrset is None:
        return None
    alias = rrset.get("AliasTarget")
    if alias:
        dns_name = alias.get("DNSName", "")
        return {
            "alias": {
                "hosted_zone_id": zone_id(alias.get("HostedZoneId", "")),
                "dns_name": dns_name if dns_name == PENDING_TARGET else fqdn(dns_name),
                "evaluate_target_health": bool(alias.get("EvaluateTargetHealth")),
            }
        }
    return {
        "ttl": int(rrset.get("TTL", 0)),
        "values": sorted(r["Value"] for r in rrset.get("ResourceRecords", [])),
    }


def record_changes(have: Mapping[str, Any] | None, want: Mapping[str, Any]) -> list[str]:
    """What differs between a record set's views: ``["create"]``, or the fields that differ."""
    if have is None:
        return ["create"]
    if "alias" in want:
        if "alias" not in have:
            return ["alias"]
        pending = want["alias"]["dns_name"] == PENDING_TARGET
        return [f"alias.{k}" for k, v in want["alias"].items() if pending or have["alias"].get(k) != v]
    if "alias" in have:
        return ["alias"]
    return [k for k in ("ttl", "values") if have.get(k) != want[k]]


def alias_target_name(dns_name: str) -> str:
    """An alias target's DNS name as compared: fully qualified, without ``dualstack.`` (a load
    balancer's IPv6-capable name is its own name with that prefix)."""
    return fqdn(dns_name).removeprefix("dualstack.")


def aliases_one_of(rrset: Mapping[str, Any], targets: list[str] | None) -> bool:
    """Whether a record set may be deleted: always when ``targets`` is None; otherwise only an
    alias to one of them (so a teardown never removes a record that points elsewhere)."""
    if targets is None:
        return True
    target = (rrset.get("AliasTarget") or {}).get("DNSName")
    return bool(target) and alias_target_name(target) in {alias_target_name(t) for t in targets if t}


def record_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to the record sets of one name. ``current``: ``records``, the record sets
    ``record_sets`` read for that name (every type)."""
    name, types = fqdn(p["name"]), list(dict.fromkeys(p["types"]))
    existing = {rr["Type"]: rr for rr in current["records"] if rr["Type"] in types}
    routed = sorted(t for t, rr in existing.items() if rr.get("SetIdentifier"))
    if routed:
        raise ReconcileError(
            f"record {name} {', '.join(routed)} has a routing policy (SetIdentifier): not managed here"
        )
    before = {t: record_view(existing.get(t)) for t in types if t in existing}
    result = {"name": name, "hosted_zone_id": zone_id(p["hosted_zone_id"]), "records": before}
    if p["state"] == "absent":
        ours = [t for t in types if t in existing and aliases_one_of(existing[t], p.get("only_aliasing"))]
        batch = [{"Action": "DELETE", "ResourceRecordSet": existing[t]} for t in ours]
        return Plan(
            [f"delete {c['ResourceRecordSet']['Type']}" for c in batch], before, {}, result, {"batch": batch}
        )
    changes, batch, after = [], [], {}
    for record_type in types:
        want = desired_record(p, record_type, check_mode)
        after[record_type] = record_view(want)
        fields = record_changes(before.get(record_type), after[record_type])
        if fields:
            changes += [f"{f} {record_type}" if f == "create" else f"{record_type} {f}" for f in fields]
            batch.append({"Action": "UPSERT", "ResourceRecordSet": want})
    return Plan(changes, before, after, {**result, "records": after}, {"batch": batch})
