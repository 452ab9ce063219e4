"""Pure functions for the rules of an ALB listener: conditions, identity by name, priorities.

A rule's identity is its name (a tag on the rule), never its priority; priorities follow
declaration order, and ``priority_moves`` orders the single-rule moves so none collides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ansible.module_utils.vf_elbv2 import action_of, desired_action, target_group_arn
from ansible.module_utils.vf_module import Plan, ReconcileError

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


# --- the plan of vf_listener_rules ----------------------------------------------------------


def rule_view(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A rule as ``--diff`` shows it."""
    return {"priority": rule["priority"], "conditions": rule["conditions"], "action": rule["action"]}


def forward_targets(rules: Mapping[str, Any], aliases: Mapping[str, Any]) -> list[str]:
    """The target group names the declared rules forward to (aliases resolved, ARNs left out)."""
    targets = {
        str(aliases.get(r["forward_to"], r["forward_to"]))
        for r in rules.values()
        if (r or {}).get("forward_to")
    }
    return sorted(t for t in targets if t and not t.startswith("arn:"))


def desired_rules(p: Mapping[str, Any], arns: Mapping[str, str | None], check_mode: bool) -> dict[str, dict]:
    """Declared rules (name -> {priority, conditions, action}), in declaration order."""
    priorities = rule_priorities(list(p["rules"]), p["priority_start"], p["priority_step"])
    desired: dict[str, dict] = {}
    for name, rule in p["rules"].items():
        rule = rule or {}
        conditions = desired_conditions(rule)
        if not conditions:
            raise ReconcileError(f"rule {name} has no condition (path_patterns, host_headers, http_headers)")

        def resolve(ref: str, name: str = name) -> str:
            target = str(p["target_groups"].get(ref, ref))
            if not target and ref in p["target_groups"]:
                if check_mode:  # an earlier task would create it
                    return f"(new target group {ref})"
                raise ReconcileError(f"rule {name} forwards to target group {ref}, which has no ARN")
            return target_group_arn(target, arns, check_mode, f"rule {name}")

        try:
            action = desired_action(rule, resolve)
        except ValueError as exc:
            raise ReconcileError(f"rule {name}: {exc}") from None
        desired[name] = {"priority": priorities[name], "conditions": conditions, "action": action}
    return desired


def listener_rules_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to a listener's named rules. ``current``: ``listener_arn`` ("" when there is
    none yet), ``rules`` (describe_rules), ``tags`` (rule ARN -> tags), ``target_groups``."""
    listener_arn = current["listener_arn"]
    result: dict[str, Any] = {"listener_arn": listener_arn, "rules": {}, "kept_undeclared": []}
    if not listener_arn and not check_mode:
        raise ReconcileError("the listener does not exist (listener_arn is empty or not found)", **result)
    named, unnamed = rules_by_name(current["rules"], current["tags"], p["name_tag"])
    if p["state"] == "absent":
        doomed = [name for name in p["rules"] if name in named]
        before = {n: rule_view(named[n]) for n in doomed}
        steps = {"delete": [named[n]["arn"] for n in doomed]}
        return Plan([f"delete {n}" for n in doomed], before, {}, result, steps)
    desired = desired_rules(p, current["target_groups"], check_mode)
    todo = rules_plan(named, unnamed, desired, p["purge_rules"])
    result["kept_undeclared"] = todo["kept_undeclared"]
    if todo["conflicts"]:
        raise ReconcileError("; ".join(todo["conflicts"]), **result)
    changes = [f"create {n} (priority {desired[n]['priority']})" for n in todo["create"]]
    changes += [f"modify {n} {', '.join(f)}" for n, f in todo["modify"].items()]
    changes += [f"reprioritise {n} {a} -> {b}" for n, (a, b) in todo["reprioritise"].items()]
    changes += [f"delete {r.get('name') or r['arn']}" for r in todo["delete"]]
    result["rules"] = {
        n: {"arn": named[n]["arn"] if n in named else "", "priority": desired[n]["priority"]} for n in desired
    }
    kept = [] if p["purge_rules"] else [r for n, r in named.items() if n not in desired]
    before = {**{n: rule_view(r) for n, r in named.items()}, **{r["arn"]: rule_view(r) for r in unnamed}}
    after = {n: rule_view(r) for n, r in desired.items()}
    if not p["purge_rules"]:
        after.update({r["arn"]: rule_view(r) for r in unnamed})
        after.update({n: rule_view(r) for n, r in named.items() if n not in desired})
    held = [r["priority"] for r in [*unnamed, *kept]] if not p["purge_rules"] else []
    moving = {n: named[n]["priority"] for n in named if n in desired}
    moves = priority_moves(moving, {n: desired[n]["priority"] for n in moving}, held)
    steps = {
        "delete": [r["arn"] for r in todo["delete"]],
        "moves": [(named[n]["arn"], priority) for n, priority in moves],
        "create": {n: desired[n] for n in todo["create"]},
        "modify": {named[n]["arn"]: (fields, desired[n]) for n, fields in todo["modify"].items()},
    }
    return Plan(changes, before, after, result, steps)
