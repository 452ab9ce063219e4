"""Pure comparison functions for EC2: security group rules (flattened, one tuple per source), the
network lookup, and launch templates."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ansible.module_utils.vf_aws import dict_to_tags, tags_to_dict
from ansible.module_utils.vf_module import Call, Plan, ReconcileError, deletion, tag_plan


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
    """Declared rules ({protocol, port | ports | from_port/to_port, cidr | source_group | prefix_list,
    description})."""
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
        prefix_list = resolve_group(rule["prefix_list"]) if rule.get("prefix_list") else None
        for low, high in ranges:
            for cidr in [cidrs] if isinstance(cidrs, str) else cidrs:
                flat.add((protocol, low, high, "cidr6" if ":" in cidr else "cidr", cidr, description))
            if group:
                flat.add((protocol, low, high, "group", group, description))
            if prefix_list:
                flat.add((protocol, low, high, "prefix", prefix_list, description))
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


# --- the plan of vf_security_group --------------------------------------------------------


def group_resolver(name: str, own_id: str, found: Mapping[str, str | None]) -> Callable[[str], str]:
    """Source group reference -> id: an id as it is, ``name`` (the group itself) as ``own_id``,
    another name as ``found`` says (read looked it up; a missing one shows as "(new group x)")."""

    def resolve(ref: str) -> str:
        if ref.startswith(("sg-", "pl-")):
            return ref
        if ref == name:
            return own_id
        return found.get(ref) or f"(new group {ref})"

    return resolve


def prefix_list_names(rules: Iterable[Mapping[str, Any]]) -> list[str]:
    """The managed prefix lists declared rules name by name (an id needs no lookup)."""
    refs = {str(r["prefix_list"]) for r in rules if r.get("prefix_list")}
    return sorted(r for r in refs if not r.startswith("pl-"))


def source_group_names(name: str, rules: Iterable[Mapping[str, Any]]) -> list[str]:
    """The other groups declared rules name (ids and the group itself need no lookup)."""
    refs = {str(r["source_group"]) for r in rules if r.get("source_group")}
    return sorted(r for r in refs if not r.startswith("sg-") and r != name)


RULE_CHANGES = {
    "add_in": "authorize ingress",
    "drop_in": "revoke ingress",
    "add_out": "authorize egress",
    "drop_out": "revoke egress",
}


def rule_changes(group: Mapping[str, Any] | None, want_in: set, want_out: set, purge: bool) -> dict[str, set]:
    """The permissions to authorise and revoke, ingress and egress, on ``group``."""
    have_in = permissions_of((group or {}).get("IpPermissions"))
    have_out = permissions_of((group or {}).get("IpPermissionsEgress"))
    return {
        "add_in": want_in - have_in,
        "drop_in": (have_in - want_in) if purge else set(),
        "add_out": want_out - have_out,
        "drop_out": (have_out - want_out) if purge else set(),
    }


def security_group_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one security group. ``current``: ``group`` (describe_security_groups' entry
    or None) and ``sources`` (name -> id | None of the other groups the rules name)."""
    name, group = p["name"], current["group"]
    result = {"name": name, "group_id": group["GroupId"] if group else ""}
    if p["state"] == "absent":
        # The network interfaces of deleted tasks linger a while: DependencyViolation is retried.
        retry = frozenset({"DependencyViolation"})
        delete = Call("ec2", "delete_security_group", {"GroupId": result["group_id"]}, retry)
        return deletion(result, {"name": name} if group else None, delete)
    missing = sorted(ref for ref, found in current["sources"].items() if not found)
    if missing and not check_mode:
        raise ReconcileError(
            f"security group {name}: source(s) {', '.join(missing)} do not exist in VPC {p['vpc_id']}",
            **result,
        )
    resolve = group_resolver(name, result["group_id"] or "(this group)", current["sources"])
    want_in, want_out = desired_permissions(p["ingress"], resolve), desired_permissions(p["egress"], resolve)
    rules = rule_changes(group, want_in, want_out, p["purge_rules"])
    tags = tags_to_dict(group.get("Tags")) if group else {}
    tags_to = tag_plan(tags, {"Name": name, **p["tags"]}, p["purge_tags"])
    changes = [] if group else ["create"]
    for key, change in RULE_CHANGES.items():
        changes += [f"{change} {r}" for r in describe_permissions(rules[key])]
    if group and (tags_to["set"] or tags_to["remove"]):
        changes.append("tags")
    have_in = permissions_of((group or {}).get("IpPermissions"))
    have_out = permissions_of((group or {}).get("IpPermissionsEgress"))
    before = {
        "ingress": describe_permissions(have_in),
        "egress": describe_permissions(have_out),
        "tags": tags,
    }
    after = {
        "ingress": describe_permissions((have_in - rules["drop_in"]) | rules["add_in"]),
        "egress": describe_permissions((have_out - rules["drop_out"]) | rules["add_out"]),
        "tags": tags_to["after"],
    }
    steps = {**rules, "tags": tags_to, "sources": current["sources"]}
    return Plan(changes, before if group else {}, after, result, steps)


# --- the plan of vf_vpc_info (it only reads) ----------------------------------------------


def network_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """The declared network as found, or why it cannot be used. ``current``: ``vpc``
    (describe_vpcs' entry or None), ``default_subnets``, ``subnets`` (the declared ones, as
    described) and ``security_groups`` (name -> id)."""
    vpc = current["vpc"]
    if vpc is None:
        raise ReconcileError("this region has no default VPC; set the network's vpc_id and subnet ids")
    vpc_id = vpc["VpcId"]
    public = sorted(p["public_subnet_ids"]) or sorted(s["SubnetId"] for s in current["default_subnets"])
    if not public:
        raise ReconcileError(f"VPC {vpc_id} has no default subnets; declare public_subnet_ids")
    foreign = sorted(s["SubnetId"] for s in current["subnets"] if s["VpcId"] != vpc_id)
    if foreign:
        raise ReconcileError(f"subnets {', '.join(foreign)} are not in VPC {vpc_id}")
    result = {
        "vpc_id": vpc_id,
        "cidr_block": vpc.get("CidrBlock", ""),
        "public_subnet_ids": public,
        "private_subnet_ids": sorted(p["private_subnet_ids"]) or public,
        "security_groups": current["security_groups"],
    }
    return Plan(result=result)


# --- launch templates ----------------------------------------------------------------------


def decode_user_data(value: str | None) -> str:
    if not value:
        return ""
    try:
        return base64.b64decode(value).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return value


def encode_user_data(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def normalize_launch_template_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """LaunchTemplateData in one comparable shape: user data decoded, lists sorted, empty dropped."""
    out: dict[str, Any] = {}
    for key in ("ImageId", "InstanceType", "KeyName", "EbsOptimized"):
        if data.get(key) not in (None, ""):
            out[key] = data[key]
    if data.get("UserData"):
        out["UserData"] = decode_user_data(data["UserData"])
    if data.get("IamInstanceProfile"):
        out["IamInstanceProfile"] = {k: v for k, v in data["IamInstanceProfile"].items() if v}
    if data.get("SecurityGroupIds"):
        out["SecurityGroupIds"] = sorted(data["SecurityGroupIds"])
    if data.get("MetadataOptions"):
        meta = {k: v for k, v in data["MetadataOptions"].items() if k != "State" and v is not None}
        out["MetadataOptions"] = meta
    if data.get("Monitoring"):
        out["Monitoring"] = {"Enabled": bool(data["Monitoring"].get("Enabled"))}
    if data.get("BlockDeviceMappings"):
        out["BlockDeviceMappings"] = sorted(
            (
                {
                    "DeviceName": b["DeviceName"],
                    "Ebs": {k: v for k, v in (b.get("Ebs") or {}).items() if v is not None},
                }
                for b in data["BlockDeviceMappings"]
            ),
            key=lambda b: b["DeviceName"],
        )
    if data.get("TagSpecifications"):
        out["TagSpecifications"] = sorted(
            (
                {
                    "ResourceType": t["ResourceType"],
                    "Tags": sorted(
                        ({"Key": x["Key"], "Value": str(x["Value"])} for x in t.get("Tags") or []),
                        key=lambda x: x["Key"],
                    ),
                }
                for t in data["TagSpecifications"]
                # the template's own tags are not launch data (moto copies them into version 1)
                if t["ResourceType"] != "launch-template"
            ),
            key=lambda t: t["ResourceType"],
        )
    return out


def launch_template_data_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """Top-level LaunchTemplateData keys that differ (``["create"]`` with no template).

    ``MetadataOptions`` compares only the keys declared: AWS fills the rest with defaults.
    """
    if current is None:
        return ["create"]
    before = normalize_launch_template_data(current)
    after = normalize_launch_template_data(desired)
    if "MetadataOptions" in after and "MetadataOptions" in before:
        before["MetadataOptions"] = {
            k: v for k, v in before["MetadataOptions"].items() if k in after["MetadataOptions"]
        }
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def block_device_mapping(device: Mapping[str, Any]) -> dict[str, Any]:
    """A declared volume (device_name, volume_size in GiB, volume_type, encrypted,
    delete_on_termination) as a LaunchTemplateData BlockDeviceMappings entry."""
    ebs = {
        "VolumeSize": int(device["volume_size"]),
        "VolumeType": device.get("volume_type") or "gp3",
        "Encrypted": bool(device.get("encrypted", True)),
        "DeleteOnTermination": bool(device.get("delete_on_termination", True)),
    }
    return {"DeviceName": device["device_name"], "Ebs": ebs}


def desired_launch_template_data(p: Mapping[str, Any], image_id: str) -> dict[str, Any]:
    """The declared options as LaunchTemplateData."""
    data: dict[str, Any] = {"ImageId": image_id, "InstanceType": p["instance_type"]}
    if p["user_data"]:
        data["UserData"] = encode_user_data(p["user_data"])
    profile = p["iam_instance_profile"]
    if profile:
        data["IamInstanceProfile"] = {"Arn": profile} if profile.startswith("arn:") else {"Name": profile}
    if p["security_group_ids"]:
        data["SecurityGroupIds"] = p["security_group_ids"]
    if p["key_name"]:
        data["KeyName"] = p["key_name"]
    data["MetadataOptions"] = {
        "HttpTokens": "required" if p["require_imdsv2"] else "optional",
        "HttpEndpoint": "enabled",
    }
    if p["monitoring"]:
        data["Monitoring"] = {"Enabled": True}
    if p.get("block_devices"):
        data["BlockDeviceMappings"] = [block_device_mapping(b) for b in p["block_devices"]]
    if p["instance_tags"]:
        tags = dict_to_tags(p["instance_tags"])
        data["TagSpecifications"] = [{"ResourceType": kind, "Tags": tags} for kind in ("instance", "volume")]
    return data


def launch_template_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one launch template. ``current``: ``template`` (describe_launch_templates'
    entry or None), ``data`` (its default version's LaunchTemplateData) and ``image_id``."""
    template, now = current["template"], current["data"]
    result: dict[str, Any] = {"name": p["name"], "id": (template or {}).get("LaunchTemplateId")}
    if p["state"] == "absent":
        before = {"name": p["name"], "latest_version": template["LatestVersionNumber"]} if template else None
        delete = Call("ec2", "delete_launch_template", {"LaunchTemplateId": result["id"]})
        return deletion(result, before, delete)
    data = desired_launch_template_data(p, current["image_id"])
    changes = launch_template_data_changes(now, data)
    default = int(template["DefaultVersionNumber"]) if template else 0
    latest = int(template["LatestVersionNumber"]) if template else 0
    if changes:  # what check mode reports: the version a run would make the default
        default = latest = latest + 1
    result.update(image_id=current["image_id"], default_version=default, latest_version=latest)
    before = normalize_launch_template_data(now) if now else {}
    return Plan(changes, before, normalize_launch_template_data(data), result, {"data": data})
