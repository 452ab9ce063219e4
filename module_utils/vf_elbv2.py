"""Pure comparison functions for the edge: target groups, load balancer listeners, listener rules
and the security groups in front of them.

Everything here takes plain values (AWS response shapes, declared dicts) and returns plain values,
so it is unit-tested on the shapes of the AWS API reference. The modules only read, call these, and
apply the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

RULE_NAME_TAG = "videoforge:rule"
DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
MAX_RULE_PRIORITY = 50000

# --- target groups ------------------------------------------------------------------------

# Declared health check key -> describe_target_groups key.
HEALTH_CHECK_FIELDS = {
    "enabled": "HealthCheckEnabled",
    "protocol": "HealthCheckProtocol",
    "port": "HealthCheckPort",
    "path": "HealthCheckPath",
    "interval": "HealthCheckIntervalSeconds",
    "timeout": "HealthCheckTimeoutSeconds",
    "healthy_threshold": "HealthyThresholdCount",
    "unhealthy_threshold": "UnhealthyThresholdCount",
}
HEALTH_CHECK_DEFAULTS = {
    "enabled": True,
    "protocol": "HTTP",
    "port": "traffic-port",
    "path": "/",
    "interval": 30,
    "timeout": 5,
    "healthy_threshold": 5,
    "unhealthy_threshold": 2,
    "matcher": "200",
}
IMMUTABLE_TARGET_GROUP_FIELDS = {
    "protocol": "Protocol",
    "port": "Port",
    "vpc_id": "VpcId",
    "target_type": "TargetType",
}


def health_check_of(target_group: Mapping[str, Any]) -> dict[str, Any]:
    """A described target group's health check in the declared (snake_case) form."""
    check = {key: target_group.get(aws_key) for key, aws_key in HEALTH_CHECK_FIELDS.items()}
    check["matcher"] = (target_group.get("Matcher") or {}).get("HttpCode")
    if check["port"] is not None:
        check["port"] = str(check["port"])
    return check


def desired_health_check(declared: Mapping[str, Any] | None) -> dict[str, Any]:
    check = {**HEALTH_CHECK_DEFAULTS, **{k: v for k, v in (declared or {}).items() if v is not None}}
    check["port"] = str(check["port"])
    check["matcher"] = str(check["matcher"])
    for key in ("interval", "timeout", "healthy_threshold", "unhealthy_threshold"):
        check[key] = int(check[key])
    return check


def target_group_attributes_of(attributes: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """describe_target_group_attributes' ``Attributes`` list as a dict."""
    return {a["Key"]: str(a["Value"]) for a in attributes}


def desired_target_group_attributes(
    deregistration_delay: int, slow_start: int, stickiness: Mapping[str, Any] | None
) -> dict[str, str]:
    stickiness = stickiness or {}
    attrs = {
        "deregistration_delay.timeout_seconds": str(int(deregistration_delay)),
        "slow_start.duration_seconds": str(int(slow_start)),
        "stickiness.enabled": str(bool(stickiness.get("enabled", False))).lower(),
    }
    if stickiness.get("enabled"):
        attrs["stickiness.type"] = stickiness.get("type") or "lb_cookie"
        if attrs["stickiness.type"] == "lb_cookie":
            attrs["stickiness.lb_cookie.duration_seconds"] = str(int(stickiness.get("duration") or 86400))
    return attrs


def target_group_changes(
    current: Mapping[str, Any] | None,
    current_attributes: Mapping[str, str],
    desired: Mapping[str, Any],
) -> dict[str, Any]:
    """What differs between a described target group and the declared one.

    Returns ``{"create": True}`` for a missing group, else ``immutable`` (fields that need a
    new group), ``health_check`` (the declared keys that differ, with their new values) and
    ``attributes`` (attribute keys with their new values). Targets are never compared: ECS
    registers them.
    """
    if current is None:
        return {"create": True}
    immutable = []
    for key, aws_key in IMMUTABLE_TARGET_GROUP_FIELDS.items():
        want = desired.get(key)
        if want is not None and str(current.get(aws_key)) != str(want):
            immutable.append(key)
    have_check = health_check_of(current)
    want_check = desired_health_check(desired.get("health_check"))
    health = {k: v for k, v in want_check.items() if have_check.get(k) != v}
    attributes = {
        k: v for k, v in desired.get("attributes", {}).items() if str(current_attributes.get(k)) != v
    }
    changes: dict[str, Any] = {}
    if immutable:
        changes["immutable"] = immutable
    if health:
        changes["health_check"] = health
    if attributes:
        changes["attributes"] = attributes
    return changes


def modify_target_group_params(health: Mapping[str, Any]) -> dict[str, Any]:
    """modify_target_group keyword arguments for the changed health check keys."""
    params: dict[str, Any] = {}
    for key, value in health.items():
        if key == "matcher":
            params["Matcher"] = {"HttpCode": value}
        else:
            params[HEALTH_CHECK_FIELDS[key]] = value
    return params


def arn_suffix(arn: str) -> str:
    """The part of an ELB ARN CloudWatch uses as a dimension: ``app/name/id`` for a load balancer
    (``...:loadbalancer/app/name/id``), ``targetgroup/name/id`` for a target group."""
    if not arn.startswith("arn:") or arn.count(":") < 5:
        return ""
    resource = arn.split(":", 5)[5]
    return resource.removeprefix("loadbalancer/")


# --- actions and conditions (listeners and rules) -----------------------------------------

REDIRECT_DEFAULTS = {
    "protocol": "#{protocol}",
    "port": "#{port}",
    "host": "#{host}",
    "path": "/#{path}",
    "query": "#{query}",
    "status_code": "HTTP_301",
}


def action_of(actions: list[Mapping[str, Any]] | None) -> dict[str, Any] | None:
    """The first action of an AWS ``Actions``/``DefaultActions`` list in our normalized form."""
    if not actions:
        return None
    action = sorted(actions, key=lambda a: a.get("Order", 0))[0]
    kind = action.get("Type")
    if kind == "forward":
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or []
        if len(groups) > 1:
            return {
                "type": "forward",
                "target_groups": sorted([g["TargetGroupArn"], int(g.get("Weight", 1))] for g in groups),
            }
        arn = action.get("TargetGroupArn") or (groups[0]["TargetGroupArn"] if groups else None)
        return {"type": "forward", "target_group_arn": arn}
    if kind == "redirect":
        config = action.get("RedirectConfig") or {}
        return {
            "type": "redirect",
            "protocol": config.get("Protocol", REDIRECT_DEFAULTS["protocol"]),
            "port": str(config.get("Port", REDIRECT_DEFAULTS["port"])),
            "host": config.get("Host", REDIRECT_DEFAULTS["host"]),
            "path": config.get("Path", REDIRECT_DEFAULTS["path"]),
            "query": config.get("Query", REDIRECT_DEFAULTS["query"]),
            "status_code": config.get("StatusCode"),
        }
    if kind == "fixed-response":
        config = action.get("FixedResponseConfig") or {}
        return {
            "type": "fixed-response",
            "status_code": str(config.get("StatusCode")),
            "content_type": config.get("ContentType") or "text/plain",
            "message_body": config.get("MessageBody") or "",
        }
    return {"type": kind}


def desired_action(spec: Mapping[str, Any], resolve_target_group: Callable[[str], str]) -> dict[str, Any]:
    """A declared action (``forward_to`` | ``redirect`` | ``fixed_response``) in normalized form.

    ``resolve_target_group`` turns ``forward_to`` (a name or ARN) into an ARN, raising
    ``LookupError`` naming what is missing.
    """
    # forward_to may be "" in check mode: a target group an earlier task would create.
    given = [
        k
        for k in ("forward_to", "redirect", "fixed_response")
        if spec.get(k) or (k == "forward_to" and k in spec and spec[k] is not None)
    ]
    if len(given) != 1:
        raise ValueError(f"exactly one of forward_to, redirect, fixed_response is required, got {given}")
    if "forward_to" in given:
        return {"type": "forward", "target_group_arn": resolve_target_group(str(spec["forward_to"]))}
    if spec.get("redirect"):
        redirect = {**REDIRECT_DEFAULTS, **{k: v for k, v in spec["redirect"].items() if v is not None}}
        redirect["port"] = str(redirect["port"])
        if str(redirect["status_code"]).isdigit():
            redirect["status_code"] = f"HTTP_{redirect['status_code']}"
        return {"type": "redirect", **{k: redirect[k] for k in REDIRECT_DEFAULTS}}
    fixed = spec["fixed_response"]
    return {
        "type": "fixed-response",
        "status_code": str(fixed.get("status_code", 200)),
        "content_type": fixed.get("content_type") or "text/plain",
        "message_body": fixed.get("message_body") or "",
    }


def aws_actions(action: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A normalized action as the ``Actions`` parameter of create_rule / modify_listener."""
    if action["type"] == "forward":
        return [{"Type": "forward", "TargetGroupArn": action["target_group_arn"], "Order": 1}]
    if action["type"] == "redirect":
        keys = {"protocol": "Protocol", "port": "Port", "host": "Host", "path": "Path", "query": "Query"}
        config = {aws: action[k] for k, aws in keys.items()}
        config["StatusCode"] = action["status_code"]
        return [{"Type": "redirect", "RedirectConfig": config, "Order": 1}]
    config = {"StatusCode": action["status_code"], "ContentType": action["content_type"]}
    if action["message_body"]:
        config["MessageBody"] = action["message_body"]
    return [{"Type": "fixed-response", "FixedResponseConfig": config, "Order": 1}]


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


# --- load balancer and listeners ----------------------------------------------------------


def listener_of(listener: Mapping[str, Any]) -> dict[str, Any]:
    """A described listener in the declared form (port, protocol, certificate, policy, action)."""
    certificates = listener.get("Certificates") or []
    default = [c for c in certificates if c.get("IsDefault", True)] or certificates
    return {
        "port": int(listener["Port"]),
        "protocol": listener.get("Protocol"),
        "certificate_arn": default[0]["CertificateArn"] if default else None,
        "ssl_policy": listener.get("SslPolicy") if listener.get("Protocol") in ("HTTPS", "TLS") else None,
        "action": action_of(listener.get("DefaultActions")),
    }


def desired_listener(spec: Mapping[str, Any], resolve_target_group: Callable[[str], str]) -> dict[str, Any]:
    protocol = spec.get("protocol") or ("HTTPS" if spec.get("certificate_arn") else "HTTP")
    return {
        "port": int(spec["port"]),
        "protocol": protocol,
        "certificate_arn": spec.get("certificate_arn") or None,
        "ssl_policy": (spec.get("ssl_policy") or DEFAULT_SSL_POLICY) if protocol == "HTTPS" else None,
        "action": desired_action(spec.get("default_action") or {}, resolve_target_group),
    }


def listener_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    if current is None:
        return ["create"]
    return [k for k in ("protocol", "certificate_arn", "ssl_policy", "action") if current[k] != desired[k]]


def load_balancer_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> dict[str, Any]:
    """Differences between a described ALB and the declared scheme, subnets and security groups."""
    if current is None:
        return {"create": True}
    changes: dict[str, Any] = {}
    if desired.get("scheme") and current.get("Scheme") != desired["scheme"]:
        changes["immutable"] = ["scheme"]
    subnets = sorted(z["SubnetId"] for z in current.get("AvailabilityZones") or [])
    if desired.get("subnets") and subnets != sorted(desired["subnets"]):
        changes["subnets"] = sorted(desired["subnets"])
    groups = sorted(current.get("SecurityGroups") or [])
    if desired.get("security_groups") is not None and groups != sorted(desired["security_groups"]):
        changes["security_groups"] = sorted(desired["security_groups"])
    return changes


# --- security groups ----------------------------------------------------------------------


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
