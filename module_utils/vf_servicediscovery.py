"""Pure functions for Cloud Map: a private DNS namespace and its services (the plan of
vf_service_discovery)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_module import Plan, deletion


def discovery_changes(namespace: Mapping | None, services: Mapping[str, Any], desired: Mapping) -> list[str]:
    """``services``: name -> get_service's ``Service``; ``desired``: the module params."""
    if namespace is None:
        return ["create"] + [f"service.{name}" for name in desired["services"]]
    changes = []
    for name in desired["services"]:
        cur = services.get(name)
        if cur is None:
            changes.append(f"service.{name}")
            continue
        records = (cur.get("DnsConfig") or {}).get("DnsRecords") or []
        if [(r["Type"], int(r["TTL"])) for r in records] != [("A", desired["dns_ttl"])]:
            changes.append(f"service.{name}.dns")
    if desired["purge_services"]:
        declared = set(desired["services"])
        changes += [f"delete_service.{n}" for n in sorted(services) if n not in declared]
    return changes


def discovery_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to the namespace and its services. ``current``: ``namespace`` (list_namespaces'
    DNS_PRIVATE entry of that name, or None) and ``services`` (name -> get_service's Service)."""
    namespace, services = current["namespace"], current["services"]
    result = {
        "namespace": p["namespace"],
        "namespace_id": (namespace or {}).get("Id"),
        "services": {n: {"id": s["Id"], "arn": s["Arn"]} for n, s in services.items()},
    }
    before = {"namespace": p["namespace"], "services": sorted(services)} if namespace else {}
    if p["state"] == "absent":
        steps = {"services": services, "namespace_id": result["namespace_id"]}
        return deletion({"namespace": p["namespace"]}, before if namespace else None, **steps)
    changes = discovery_changes(namespace, services, p)
    after = {"namespace": p["namespace"], "services": sorted(p["services"])}
    return Plan(changes, before, after, result, {"services": services})
