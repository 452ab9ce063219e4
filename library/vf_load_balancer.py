#!/usr/bin/python
"""Reconcile one Application Load Balancer and its listeners."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_load_balancer
short_description: Create, update or delete an Application Load Balancer and its listeners
description:
  - Reconciles one ALB (scheme, subnets, security groups, tags) and its listeners (port,
    protocol, certificate, TLS policy, default action).
  - The usual shape is HTTPS on 443 with an ACM certificate forwarding to a default target
    group, and HTTP on 80 answering a 301 redirect to HTTPS.
  - Listener rules are not managed here; see M(vf_listener_rules).
  - Waits until a new load balancer is C(active).
options:
  name:
    description: The load balancer's name (at most 32 characters).
    type: str
    required: true
  scheme:
    description: C(internet-facing) or C(internal). Cannot change on an existing ALB.
    type: str
    choices: [internet-facing, internal]
    default: internet-facing
  subnets:
    description: Subnet ids (at least two availability zones on AWS). Required with I(state=present).
    type: list
    elements: str
  security_groups:
    description: Security group ids.
    type: list
    elements: str
    default: []
  listeners:
    description:
      - The listeners, one per port.
      - I(default_action) takes exactly one of C(forward_to) (a target group ARN or name),
        C(redirect) (C(protocol), C(port), C(host), C(path), C(query), C(status_code)) or
        C(fixed_response) (C(status_code), C(content_type), C(message_body)).
    type: list
    elements: dict
    default: []
    suboptions:
      port: {description: The port., type: int, required: true}
      protocol: {description: C(HTTP) or C(HTTPS); C(HTTPS) when a certificate is given., type: str}
      certificate_arn: {description: The ACM certificate of an HTTPS listener., type: str}
      ssl_policy: {description: TLS policy of an HTTPS listener., type: str}
      default_action:
        description: What the listener does with requests no rule matches.
        type: dict
        required: true
  purge_listeners:
    description: Delete listeners on ports that I(listeners) does not declare.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait for a new load balancer to become active.
    type: int
    default: 600
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the load balancer.
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that I(tags) does not list.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
  - In check mode, references to resources that earlier tasks would create (empty strings)
    are accepted, so a whole deployment can be checked against an empty account.
author: VideoForge
"""

EXAMPLES = r"""
- name: Ensure the ALB with HTTPS and an HTTP redirect
  vf_load_balancer:
    name: video-forge-alb
    subnets: [subnet-aaa, subnet-bbb]
    security_groups: [sg-0123]
    listeners:
      - port: 443
        certificate_arn: "{{ certificate.certificate_arn }}"
        default_action:
          forward_to: video-forge-client-tg
      - port: 80
        default_action:
          redirect: {protocol: HTTPS, port: 443, status_code: HTTP_301}
"""

RETURN = r"""
load_balancer_arn:
  description: The ARN (empty in check mode when it would be created).
  returned: always
  type: str
arn_suffix:
  description: The C(app/name/id) part (the CloudWatch C(LoadBalancer) dimension).
  returned: always
  type: str
dns_name:
  description: The DNS name.
  returned: always
  type: str
canonical_hosted_zone_id:
  description: The hosted zone of the DNS name (for alias records).
  returned: always
  type: str
listeners:
  description: Port (as a string) -> listener ARN.
  returned: always
  type: dict
changes:
  description: What differs from the declared state (what changed, or would in check mode).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
    tag_changes,
    tags_to_dict,
)
from ansible.module_utils.vf_elbv2 import (
    arn_suffix,
    aws_actions,
    desired_listener,
    listener_changes,
    listener_of,
    load_balancer_changes,
)


def read(elb, name: str) -> tuple[dict | None, dict, dict]:
    try:
        lb = elb.call("describe_load_balancers", Names=[name])["LoadBalancers"][0]
    except AwsError as err:
        if err.code == "LoadBalancerNotFound":
            return None, {}, {}
        raise
    arn = lb["LoadBalancerArn"]
    listeners = {
        int(li["Port"]): li for li in elb.paginate("describe_listeners", "Listeners", LoadBalancerArn=arn)
    }
    described = elb.call("describe_tags", ResourceArns=[arn])["TagDescriptions"]
    return lb, listeners, tags_to_dict(described[0].get("Tags") if described else [])


def resolver(elb, check_mode: bool):
    cache: dict[str, str] = {}

    def resolve(ref: str) -> str:
        if ref.startswith("arn:") or (check_mode and not ref):
            return ref
        if ref not in cache:
            try:
                groups = elb.call("describe_target_groups", Names=[ref])["TargetGroups"]
            except AwsError as err:
                if err.code != "TargetGroupNotFound":
                    raise
                raise LookupError(
                    f"the default action forwards to target group {ref}, which does not exist"
                ) from None
            cache[ref] = groups[0]["TargetGroupArn"]
        return cache[ref]

    return resolve


def listener_params(want: dict) -> dict:
    params = {
        "Protocol": want["protocol"],
        "Port": want["port"],
        "DefaultActions": aws_actions(want["action"]),
    }
    if want["protocol"] == "HTTPS":
        params["Certificates"] = [{"CertificateArn": want["certificate_arn"]}]
        params["SslPolicy"] = want["ssl_policy"]
    return params


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        scheme={"type": "str", "choices": ["internet-facing", "internal"], "default": "internet-facing"},
        subnets={"type": "list", "elements": "str"},
        security_groups={"type": "list", "elements": "str", "default": []},
        listeners={
            "type": "list",
            "elements": "dict",
            "default": [],
            "options": {
                "port": {"type": "int", "required": True},
                "protocol": {"type": "str"},
                "certificate_arn": {"type": "str"},
                "ssl_policy": {"type": "str"},
                "default_action": {"type": "dict", "required": True},
            },
        },
        purge_listeners={"type": "bool", "default": True},
        wait_timeout={"type": "int", "default": 600},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(
        argument_spec=spec, supports_check_mode=True, required_if=[("state", "present", ["subnets"])]
    )
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    elb = connect_from_params("elbv2", p)
    result: dict = {
        "name": name,
        "changed": False,
        "changes": [],
        "load_balancer_arn": "",
        "arn_suffix": "",
        "dns_name": "",
        "canonical_hosted_zone_id": "",
        "listeners": {},
    }
    try:
        lb, listeners, tags = read(elb, name)
        if lb is not None:
            result.update(
                load_balancer_arn=lb["LoadBalancerArn"],
                arn_suffix=arn_suffix(lb["LoadBalancerArn"]),
                dns_name=lb.get("DNSName", ""),
                canonical_hosted_zone_id=lb.get("CanonicalHostedZoneId", ""),
                listeners={str(port): li["ListenerArn"] for port, li in listeners.items()},
            )

        if p["state"] == "absent":
            if lb is not None:
                result.update(changed=True, changes=["delete"], diff={"before": {"name": name}, "after": {}})
                if not module.check_mode:
                    elb.call("delete_load_balancer", LoadBalancerArn=lb["LoadBalancerArn"])
            module.exit_json(**result)

        # In check mode a security group or certificate that an earlier task would create is "".
        security_groups = (
            [g for g in p["security_groups"] if g] if module.check_mode else p["security_groups"]
        )
        if not module.check_mode and not all(security_groups):
            module.fail_json(msg=f"load balancer {name}: a security group id is empty", **result)
        try:
            resolve = resolver(elb, module.check_mode)
            wanted = {int(li["port"]): desired_listener(li, resolve) for li in p["listeners"]}
        except (LookupError, ValueError) as exc:
            module.fail_json(msg=f"load balancer {name}: {exc}", **result)
        for port, want in wanted.items():
            if want["protocol"] == "HTTPS" and not want["certificate_arn"] and not module.check_mode:
                module.fail_json(
                    msg=f"load balancer {name}: the HTTPS listener on {port} needs certificate_arn"
                )

        lb_changes = load_balancer_changes(
            lb, {"scheme": p["scheme"], "subnets": p["subnets"], "security_groups": security_groups}
        )
        if lb_changes.get("immutable"):
            module.fail_json(
                msg=f"load balancer {name} exists with a different scheme; delete it to change the scheme",
                **result,
            )
        to_set, to_remove = tag_changes(tags, p["tags"], p["purge_tags"])
        have = {port: listener_of(li) for port, li in listeners.items()}
        listener_diff = {port: listener_changes(have.get(port), want) for port, want in wanted.items()}
        stale = sorted(set(have) - set(wanted)) if p["purge_listeners"] else []

        changes: list[str] = []
        if lb is None:
            changes.append("create")
        else:
            changes += [f"{k}" for k in ("subnets", "security_groups") if k in lb_changes]
            if to_set or to_remove:
                changes.append("tags")
        for port, fields in listener_diff.items():
            if fields == ["create"]:
                changes.append(f"create listener {port}")
            elif fields:
                changes += [f"listener {port} {f}" for f in fields]
        changes += [f"delete listener {port}" for port in stale]
        result["changes"] = changes
        if not changes:
            module.exit_json(**result)

        def view(current_lb, lis):
            if current_lb is None:
                return {}
            return {
                "subnets": current_lb["subnets"],
                "security_groups": current_lb["security_groups"],
                "listeners": {str(k): v for k, v in sorted(lis.items())},
                "tags": current_lb["tags"],
            }

        before = view(
            None
            if lb is None
            else {
                "subnets": sorted(z["SubnetId"] for z in lb.get("AvailabilityZones") or []),
                "security_groups": sorted(lb.get("SecurityGroups") or []),
                "tags": tags,
            },
            have,
        )
        after_listeners = {port: li for port, li in have.items() if port not in stale}
        after_listeners.update(wanted)
        after = view(
            {
                "subnets": sorted(p["subnets"]),
                "security_groups": sorted(security_groups),
                "tags": dict(p["tags"]) if p["purge_tags"] else {**tags, **p["tags"]},
            },
            after_listeners,
        )
        result.update(changed=True, diff={"before": before, "after": after})
        if module.check_mode:
            module.exit_json(**result)

        if lb is None:
            create = {"Name": name, "Subnets": p["subnets"], "Scheme": p["scheme"], "Type": "application"}
            if security_groups:
                create["SecurityGroups"] = security_groups
            if p["tags"]:
                create["Tags"] = dict_to_tags(p["tags"])
            lb = elb.call("create_load_balancer", **create)["LoadBalancers"][0]
            lb = elb.wait_until(
                lambda: elb.call("describe_load_balancers", Names=[name])["LoadBalancers"][0],
                lambda d: d["State"]["Code"] in ("active", "failed"),
                p["wait_timeout"],
                f"load balancer {name} to become active",
            )
            if lb["State"]["Code"] == "failed":
                module.fail_json(msg=f"load balancer {name} failed to provision: {lb['State']}", **result)
        else:
            arn = lb["LoadBalancerArn"]
            if "subnets" in lb_changes:
                elb.call("set_subnets", LoadBalancerArn=arn, Subnets=lb_changes["subnets"])
            if "security_groups" in lb_changes:
                elb.call(
                    "set_security_groups", LoadBalancerArn=arn, SecurityGroups=lb_changes["security_groups"]
                )
            if to_remove:
                elb.call("remove_tags", ResourceArns=[arn], TagKeys=to_remove)
            if to_set:
                elb.call("add_tags", ResourceArns=[arn], Tags=dict_to_tags(to_set))
        arn = lb["LoadBalancerArn"]
        result.update(
            load_balancer_arn=arn,
            arn_suffix=arn_suffix(arn),
            dns_name=lb.get("DNSName", ""),
            canonical_hosted_zone_id=lb.get("CanonicalHostedZoneId", ""),
        )
        for port in stale:
            elb.call("delete_listener", ListenerArn=listeners[port]["ListenerArn"])
            result["listeners"].pop(str(port), None)
        for port, want in wanted.items():
            fields = listener_diff[port]
            if fields == ["create"]:
                made = elb.call("create_listener", LoadBalancerArn=arn, **listener_params(want))["Listeners"][
                    0
                ]
                result["listeners"][str(port)] = made["ListenerArn"]
            elif fields:
                elb.call(
                    "modify_listener", ListenerArn=listeners[port]["ListenerArn"], **listener_params(want)
                )
        module.exit_json(**result)
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
