"""Pure comparison functions for EC2: security group rules, flattened one tuple per source."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any


def permissions_of(permissions: list[Mapping[str, Any]] | None) -> set[tuple]:
    """describe_security_groups' ``IpPermissions`` flattened to one tuple per source:
    (protocol, from_port, to_port, kind, source, description)."""
    flat = set()
    for perm in permissions or []:
        protocol = str(perm.get("IpProtocol", "-1"))
        if protocol in ("-1", "all"):
            low, high = -1, -1
            protocol = "-1"
        else:
            low, high = int(perm.get("FromPort", -1)), int(perm.get("ToPort", -1))
        for r in perm.get("IpRanges") or []:
            flat.add((protocol, low, high, "cidr", r["CidrIp"], r.get("Description") or ""))
        for r in perm.get("Ipv6Ranges") or []:
            flat.add((protocol, low, high, "cidr6", r["CidrIpv6"], r.get("Description") or ""))
        for r in perm.get("UserIdGroupPairs") or []:
            flat.add((protocol, low, high, "group", r["GroupId"], r.get("Description") or ""))
        for r in perm.get("PrefixListIds") or []:
            flat.add((protocol, low, high, "prefix", r["PrefixListId"], r.get("Description") or ""))
    return flat


def desired_permissions(rules: list[Mapping[str, Any]], resolve_group: Callable[[str], str]) -> set[tuple]:
    """Declared rules ({protocol, port | ports | from_port/to_port, cidr | source_group, description})."""
    flat = set()
    for rule in rules:
        protocol = str(rule.get("protocol", "tcp")).lower()
        protocol = {"all": "-1", "6": "tcp", "17": "udp"}.get(protocol, protocol)
        if protocol == "-1":
            ranges = [(-1, -1)]
        elif rule.get("ports") is not None:
            ranges = [(int(port), int(port)) for port in rule["ports"]]
        else:
            low = int(rule.get("from_port", rule.get("port", -1)))
            ranges = [(low, int(rule.get("to_port", rule.get("port", low))))]
        description = rule.get("description") or ""
        cidrs = rule.get("cidr") or []
        group = resolve_group(rule["source_group"]) if rule.get("source_group") else None
        for low, high in ranges:
            for cidr in [cidrs] if isinstance(cidrs, str) else cidrs:
                flat.add((protocol, low, high, "cidr6" if ":" in cidr else "cidr", cidr, description))
            if group:
                flat.add((protocol, low, high, "group", group, description))
    return flat


def aws_permissions(flat: Iterable[tuple]) -> list[dict[str, Any]]:
    """Flattened rules back to ``IpPermissions`` for authorize/revoke calls."""
    result = []
    for protocol, low, high, kind, source, description in sorted(flat):
        perm: dict[str, Any] = {"IpProtocol": protocol}
        if protocol != "-1":
            perm.update(FromPort=low, ToPort=high)
        entry_key, list_key = {
            "cidr": ("CidrIp", "IpRanges"),
            "cidr6": ("CidrIpv6", "Ipv6Ranges"),
            "group": ("GroupId", "UserIdGroupPairs"),
            "prefix": ("PrefixListId", "PrefixListIds"),
        }[kind]
        entry = {entry_key: source}
        if description:
            entry["Description"] = description
        perm[list_key] = [entry]
        result.append(perm)
    return result


def describe_permissions(flat: Iterable[tuple]) -> list[str]:
    """Human-readable rules for diffs and change lists."""
    return [
        f"{p} {'all' if lo == -1 else (lo if lo == hi else f'{lo}-{hi}')} {kind}:{src}"
        + (f" ({desc})" if desc else "")
        for p, lo, hi, kind, src, desc in sorted(flat)
    ]
