"""Pure comparison functions for the edge: target groups, actions, the load balancer and its
listeners (the rules of a listener are in ``vf_elbv2_rules``, security groups in ``vf_ec2``).

Everything here takes plain values (AWS response shapes, declared dicts) and returns plain values,
so it is unit-tested on the shapes of the AWS API reference. The modules only read, call these, and
apply the result.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible.module_utils.vf_aws import dict_to_tags
from ansible.module_utils.vf_module import Call, Plan, ReconcileError, deletion, tag_plan

DEFAULT_SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"

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
# A target group's options (vf_target_groups' vpc_id and an item); the health
# check's defaults are AWS's, from HEALTH_CHECK_DEFAULTS.
_OPTION_TYPES = {"enabled": "bool", "port": "str", "path": "str", "protocol": "str", "matcher": "str"}
TARGET_GROUP_OPTIONS = {
    "name": {"type": "str", "required": True},
    "protocol": {"type": "str", "choices": ["HTTP", "HTTPS"], "default": "HTTP"},
    "port": {"type": "int"},
    "vpc_id": {"type": "str"},
    "target_type": {"type": "str", "choices": ["ip", "instance"], "default": "ip"},
    "health_check": {
        "type": "dict",
        "default": {},
        "options": {
            k: {"type": _OPTION_TYPES.get(k, "int"), "default": v} for k, v in HEALTH_CHECK_DEFAULTS.items()
        },
    },
    "deregistration_delay": {"type": "int", "default": 300},
    "slow_start": {"type": "int", "default": 0},
    "stickiness": {
        "type": "dict",
        "default": {},
        "options": {
            "enabled": {"type": "bool", "default": False},
            "type": {"type": "str", "default": "lb_cookie"},
            "duration": {"type": "int", "default": 86400},
        },
    },
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


def _target_group_view(check: Mapping[str, Any] | None, attrs: Mapping[str, str], tags, keys) -> dict:
    if check is None:
        return {}
    return {"health_check": check, "attributes": {k: attrs.get(k) for k in keys}, "tags": tags}


def target_group_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one target group. ``current``: ``target_group`` (describe_target_groups'
    entry or None), ``attributes`` (dict) and ``tags``. Targets are never part of the plan."""
    group, attrs, tags = current["target_group"], current["attributes"], current["tags"]
    arn = group["TargetGroupArn"] if group else ""
    result = {"name": p["name"], "target_group_arn": arn, "arn_suffix": arn_suffix(arn)}
    if p["state"] == "absent":
        delete = Call("elbv2", "delete_target_group", {"TargetGroupArn": arn}, frozenset({"ResourceInUse"}))
        return deletion(result, {"name": p["name"]} if group else None, delete)
    want_attrs = desired_target_group_attributes(p["deregistration_delay"], p["slow_start"], p["stickiness"])
    desired = {k: p[k] for k in ("protocol", "port", "vpc_id", "target_type", "health_check")}
    found = target_group_changes(group, attrs, {**desired, "attributes": want_attrs})
    if found.get("immutable"):
        raise ReconcileError(
            f"target group {p['name']} exists with a different {', '.join(found['immutable'])}; these "
            "cannot change in place: delete it (after detaching its service) or choose another name",
            **result,
        )
    want_check = desired_health_check(p["health_check"])
    tags_to = tag_plan(tags, p["tags"], p["purge_tags"])
    if group is None:
        changes = ["create"]
    else:
        changes = [f"health_check.{k}" for k in found.get("health_check", {})]
        changes += [f"attribute {k}" for k in found.get("attributes", {})]
        changes += ["tags"] if tags_to["set"] or tags_to["remove"] else []
    result["health_check"] = want_check if changes else health_check_of(group)
    steps: dict[str, Any] = {"tags": tags_to, "health_check": found.get("health_check", {})}
    steps["attributes"] = want_attrs if group is None else found.get("attributes", {})
    if group is None:
        steps["create"] = {
            "Name": p["name"],
            **{aws: p[k] for k, aws in IMMUTABLE_TARGET_GROUP_FIELDS.items()},
            **modify_target_group_params(want_check),
            **({"Tags": dict_to_tags(p["tags"])} if p["tags"] else {}),
        }
    before = _target_group_view(health_check_of(group) if group else None, attrs, tags, want_attrs)
    after = _target_group_view(want_check, want_attrs, tags_to["after"], want_attrs)
    return Plan(changes, before, after, result, steps)


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


def target_group_arn(ref: str, arns: Mapping[str, str | None], check_mode: bool, user: str) -> str:
    """The ARN a forward action names. ``ref`` is an ARN or a name looked up in ``arns`` (what
    ``read`` found: name -> ARN, None for a missing one). In check mode an empty ``ref`` stands
    for a target group an earlier task would create. ``user`` names who forwards, for errors."""
    if ref.startswith("arn:"):
        return ref
    if not ref:
        if check_mode:
            return ""
        raise ReconcileError(f"{user} forwards to a target group that has no ARN")
    arn = arns.get(ref)
    if arn is None:
        raise ReconcileError(f"{user} forwards to target group {ref}, which does not exist")
    return arn


def forward_refs(actions: Iterable[Mapping[str, Any] | None]) -> list[str]:
    """The target group names declared actions forward to (ARNs and empty ones need no lookup)."""
    refs = {str(a["forward_to"]) for a in actions if a and a.get("forward_to")}
    return sorted(r for r in refs if not r.startswith("arn:"))


def load_balancer_result(name: str, lb: Mapping[str, Any] | None, listeners: Mapping[int, Any]) -> dict:
    """What the module returns about an ALB (empty values for one that does not exist yet)."""
    arn = (lb or {}).get("LoadBalancerArn", "")
    return {
        "name": name,
        "load_balancer_arn": arn,
        "arn_suffix": arn_suffix(arn),
        "dns_name": (lb or {}).get("DNSName", ""),
        "canonical_hosted_zone_id": (lb or {}).get("CanonicalHostedZoneId", ""),
        "listeners": {str(port): li["ListenerArn"] for port, li in listeners.items()},
    }


def _load_balancer_view(lb: Mapping[str, Any] | None, listeners: Mapping[int, Any], tags) -> dict:
    if lb is None:
        return {}
    return {
        "subnets": lb["subnets"],
        "security_groups": lb["security_groups"],
        "listeners": {str(k): v for k, v in sorted(listeners.items())},
        "tags": tags,
    }


def load_balancer_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one ALB and its listeners. ``current``: ``load_balancer`` (described, or
    None), ``listeners`` (port -> described), ``tags``, ``target_groups`` (name -> ARN | None)."""
    name, lb, described = p["name"], current["load_balancer"], current["listeners"]
    result = load_balancer_result(name, lb, described)
    if p["state"] == "absent":
        delete = Call("elbv2", "delete_load_balancer", {"LoadBalancerArn": result["load_balancer_arn"]})
        return deletion(result, {"name": name} if lb else None, delete)
    # In check mode a security group or certificate that an earlier task would create is "".
    groups = [g for g in p["security_groups"] if g] if check_mode else list(p["security_groups"])
    if not all(groups):
        raise ReconcileError(f"load balancer {name}: a security group id is empty", **result)
    wanted = {
        int(li["port"]): _wanted_listener(name, li, current["target_groups"], check_mode)
        for li in p["listeners"]
    }
    lb_changes = load_balancer_changes(
        lb, {"scheme": p["scheme"], "subnets": p["subnets"], "security_groups": groups}
    )
    if lb_changes.get("immutable"):
        raise ReconcileError(
            f"load balancer {name} exists with a different scheme; delete it to change the scheme", **result
        )
    tags = tag_plan(current["tags"], p["tags"], p["purge_tags"])
    have = {port: listener_of(li) for port, li in described.items()}
    fields = {port: listener_changes(have.get(port), want) for port, want in wanted.items()}
    stale = {port: described[port]["ListenerArn"] for port in sorted(set(have) - set(wanted))}
    stale = stale if p["purge_listeners"] else {}
    changes = ["create"] if lb is None else [k for k in ("subnets", "security_groups") if k in lb_changes]
    if lb is not None and (tags["set"] or tags["remove"]):
        changes.append("tags")
    for port, changed in fields.items():
        changes += (
            [f"create listener {port}"]
            if changed == ["create"]
            else [f"listener {port} {f}" for f in changed]
        )
    changes += [f"delete listener {port}" for port in stale]
    before = _load_balancer_view(
        lb
        and {
            "subnets": sorted(z["SubnetId"] for z in lb.get("AvailabilityZones") or []),
            "security_groups": sorted(lb.get("SecurityGroups") or []),
        },
        have,
        current["tags"],
    )
    after_listeners = {**{port: li for port, li in have.items() if port not in stale}, **wanted}
    after = _load_balancer_view(
        {"subnets": sorted(p["subnets"]), "security_groups": sorted(groups)}, after_listeners, tags["after"]
    )
    steps = {"load_balancer": lb_changes, "security_groups": groups, "tags": tags, "stale": stale}
    steps["listeners"] = {port: (fields[port], wanted[port]) for port in wanted if fields[port]}
    return Plan(changes, before, after, result, steps)


def _wanted_listener(name: str, spec: Mapping[str, Any], arns, check_mode: bool) -> dict[str, Any]:
    port = int(spec["port"])
    user = f"load balancer {name}: the default action of listener {port}"
    try:
        want = desired_listener(spec, lambda ref: target_group_arn(ref, arns, check_mode, user))
    except ValueError as exc:
        raise ReconcileError(f"load balancer {name}: listener {port}: {exc}") from None
    if want["protocol"] == "HTTPS" and not want["certificate_arn"] and not check_mode:
        raise ReconcileError(f"load balancer {name}: the HTTPS listener on {port} needs certificate_arn")
    return want


def listener_params(want: Mapping[str, Any]) -> dict[str, Any]:
    """create_listener / modify_listener arguments for a declared listener."""
    params = {
        "Protocol": want["protocol"],
        "Port": want["port"],
        "DefaultActions": aws_actions(want["action"]),
    }
    if want["protocol"] == "HTTPS":
        params["Certificates"] = [{"CertificateArn": want["certificate_arn"]}]
        params["SslPolicy"] = want["ssl_policy"]
    return params
