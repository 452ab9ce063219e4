"""Pure functions for the rules of an ALB listener: conditions, identity by name, priorities.

A rule's identity is its name (a tag on the rule), never its priority; priorities follow
declaration order, and ``priority_moves`` orders the single-rule moves so none collides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible.module_utils.vf_elbv2 import action_of

RULE_NAME_TAG = "videoforge:rule"
MAX_RULE_PRIORITY = 50000

# --- conditions ---------------------------------------------------------------------------


def conditions_of(conditions: list[Mapping[str, Any]] | None) -> dict[str, Any]:
    """AWS rule ``Conditions`` as ``{path_patterns, host_headers, http_headers}`` with sorted values.

    AWS returns both the legacy ``Values`` and the ``*Config`` blocks; either is read.
    """
    result: dict[str, Any] = {}
    for condition in conditions or []:
        field = condition.get("Field")
        if field == "path-pattern":
            values = (condition.get("PathPatternConfig") or {}).get("Values") or condition.get("Values")
            result["path_patterns"] = sorted(set(result.get("path_patterns", [])) | set(values or []))
        elif field == "host-header":
            values = (condition.get("HostHeaderConfig") or {}).get("Values") or condition.get("Values")
            result["host_headers"] = sorted(set(result.get("host_headers", [])) | set(values or []))
        elif field == "http-header":
            config = condition.get("HttpHeaderConfig") or {}
            headers = result.setdefault("http_headers", {})
            name = str(config.get("HttpHeaderName", "")).lower()
            headers[name] = sorted(set(headers.get(name, [])) | set(config.get("Values") or []))
        else:
            result.setdefault("other", []).append(field)
    return result


def desired_conditions(spec: Mapping[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if spec.get("path_patterns"):
        result["path_patterns"] = sorted(set(spec["path_patterns"]))
    if spec.get("host_headers"):
        result["host_headers"] = sorted(set(spec["host_headers"]))
    if spec.get("http_headers"):
        result["http_headers"] = {
            str(name).lower(): sorted({str(v) for v in ([values] if isinstance(values, str) else values)})
            for name, values in spec["http_headers"].items()
        }
    return result


def aws_conditions(conditions: Mapping[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    if conditions.get("path_patterns"):
        result.append(
            {"Field": "path-pattern", "PathPatternConfig": {"Values": list(conditions["path_patterns"])}}
        )
    if conditions.get("host_headers"):
        result.append(
            {"Field": "host-header", "HostHeaderConfig": {"Values": list(conditions["host_headers"])}}
        )
    for name, values in sorted((conditions.get("http_headers") or {}).items()):
        result.append(
            {"Field": "http-header", "HttpHeaderConfig": {"HttpHeaderName": name, "Values": list(values)}}
        )
    return result


# --- listener rules -----------------------------------------------------------------------


def rule_priorities(names: list[str], start: int = 10, step: int = 10) -> dict[str, int]:
    """Priorities from declaration order: the first declared rule is evaluated first."""
    return {name: start + i * step for i, name in enumerate(names)}


def rules_by_name(
    rules: list[Mapping[str, Any]], tags: Mapping[str, Mapping[str, str]], tag_key: str = RULE_NAME_TAG
) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Split described (non-default) rules into (managed by name, unnamed).

    Each managed entry is ``{"arn", "priority", "conditions", "action"}``. AWS describes rules
    with ``Priority`` as a string and the default rule as ``"default"``; the default is skipped.
    Duplicate names keep the lowest priority; the others count as unnamed (and are purged).
    """
    named: dict[str, dict[str, Any]] = {}
    unnamed: list[dict[str, Any]] = []
    for rule in sorted(
        (r for r in rules if not r.get("IsDefault") and str(r.get("Priority")) != "default"),
        key=lambda r: int(r["Priority"]),
    ):
        entry = {
            "arn": rule["RuleArn"],
            "priority": int(rule["Priority"]),
            "conditions": conditions_of(rule.get("Conditions")),
            "action": action_of(rule.get("Actions")),
        }
        name = (tags.get(rule["RuleArn"]) or {}).get(tag_key)
        if name and name not in named:
            named[name] = entry
        else:
            unnamed.append({**entry, "name": name})
    return named, unnamed


def rules_plan(
    current: Mapping[str, Mapping[str, Any]],
    unnamed: list[Mapping[str, Any]],
    desired: Mapping[str, Mapping[str, Any]],
    purge: bool,
) -> dict[str, Any]:
    """What to do to go from the listener's rules to the declared ones.

    ``current``: name -> {arn, priority, conditions, action}; ``unnamed``: rules without our
    name tag; ``desired``: name -> {priority, conditions, action}, in declaration order.
    Returns ``create`` (names), ``modify`` (name -> changed fields), ``reprioritise``
    (name -> (old, new)), ``delete`` (entries) and ``conflicts`` (messages: a declared
    priority held by a rule we may not delete).
    """
    create = [name for name in desired if name not in current]
    modify: dict[str, list[str]] = {}
    reprioritise: dict[str, tuple[int, int]] = {}
    for name, want in desired.items():
        have = current.get(name)
        if have is None:
            continue
        fields = [f for f in ("conditions", "action") if have[f] != want[f]]
        if fields:
            modify[name] = fields
        if have["priority"] != want["priority"]:
            reprioritise[name] = (have["priority"], want["priority"])
    delete = [{**rule, "name": name} for name, rule in current.items() if name not in desired]
    delete += [dict(rule) for rule in unnamed]
    kept = [] if purge else delete
    conflicts = []
    wanted = {want["priority"]: name for name, want in desired.items()}
    for rule in kept:
        if rule["priority"] in wanted:
            label = rule.get("name") or rule["arn"]
            conflicts.append(
                f"priority {rule['priority']} wanted by rule {wanted[rule['priority']]} is held by "
                f"undeclared rule {label}; set purge_rules=true or change priority_start"
            )
    return {
        "create": create,
        "modify": modify,
        "reprioritise": reprioritise,
        "delete": delete if purge else [],
        "kept_undeclared": [r.get("name") or r["arn"] for r in kept],
        "conflicts": conflicts,
    }


def priority_moves(current: Mapping[str, int], target: Mapping[str, int], held: Iterable[int]) -> list[tuple]:
    """An order of single-rule priority changes that never collides (AWS and moto refuse a
    priority in use). ``current``/``target``: rule key -> priority; ``held``: priorities of
    rules that stay where they are. Cycles (a swap) go through a free temporary priority.
    """
    position = dict(current)
    pending = {k: v for k, v in target.items() if position.get(k) != v}
    fixed = set(held)
    moves: list[tuple] = []
    while pending:
        used = fixed | set(position.values())
        ready = [k for k, v in pending.items() if v not in used]
        if ready:
            # Moving the rule that goes highest first lets a shifted block slide up one by one.
            key = max(ready, key=lambda k: pending[k])
            position[key] = pending.pop(key)
            moves.append((key, position[key]))
            continue
        key = next(iter(pending))
        spare = next(p for p in range(MAX_RULE_PRIORITY, 0, -1) if p not in used and p not in target.values())
        position[key] = spare
        moves.append((key, spare))
    return moves
