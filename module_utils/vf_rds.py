"""RDS: the pure plans of vf_rds_instance and vf_rds_subnet_group (their reads are in vf_rds_aws).

An instance compares on what ModifyDBInstance can change (class, storage, version, backups,
protection, network...). What RDS has accepted but not applied yet (``PendingModifiedValues``,
e.g. a class change waiting for the maintenance window) counts as done, so a second run does
not ask again. What cannot change on an existing instance (engine, master user, initial
database, encryption, subnet group) fails with a reason instead of a silent replacement.
The master password is never read back, shown, diffed or returned.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_module import Plan, ReconcileError, deletion, tag_plan

# Declared option -> (DescribeDBInstances / PendingModifiedValues key, ModifyDBInstance argument).
MODIFIABLE = {
    "instance_class": ("DBInstanceClass", "DBInstanceClass"),
    "allocated_storage": ("AllocatedStorage", "AllocatedStorage"),
    "storage_type": ("StorageType", "StorageType"),
    "backup_retention_days": ("BackupRetentionPeriod", "BackupRetentionPeriod"),
    "multi_az": ("MultiAZ", "MultiAZ"),
    "publicly_accessible": ("PubliclyAccessible", "PubliclyAccessible"),
    "deletion_protection": ("DeletionProtection", "DeletionProtection"),
    "auto_minor_version_upgrade": ("AutoMinorVersionUpgrade", "AutoMinorVersionUpgrade"),
    "max_allocated_storage": ("MaxAllocatedStorage", "MaxAllocatedStorage"),
    "ca_certificate_identifier": ("CACertificateIdentifier", "CACertificateIdentifier"),
    "port": ("Port", "DBPortNumber"),
    "security_group_ids": ("VpcSecurityGroupIds", "VpcSecurityGroupIds"),
    "engine_version": ("EngineVersion", "EngineVersion"),
}
# Declared option -> DescribeDBInstances key, for what an existing instance cannot change.
IMMUTABLE = {
    "engine": "Engine",
    "master_username": "MasterUsername",
    "db_name": "DBName",
    "storage_encrypted": "StorageEncrypted",
    "subnet_group": "DBSubnetGroupName",
}
FAILED_STATES = frozenset(
    {
        "failed",
        "incompatible-network",
        "incompatible-option-group",
        "incompatible-parameters",
        "incompatible-restore",
        "inaccessible-encryption-credentials",
        "storage-full",
    }
)


def instance_view(d: Mapping[str, Any]) -> dict[str, Any]:
    """A described instance in the declared (snake_case) form, pending modifications applied."""
    pending = d.get("PendingModifiedValues") or {}
    view = {
        option: pending.get(key, d.get(key))
        for option, (key, _) in MODIFIABLE.items()
        if key not in ("Port", "VpcSecurityGroupIds")
    }
    view["port"] = int(
        pending.get("Port") or (d.get("Endpoint") or {}).get("Port") or d.get("DbInstancePort") or 0
    )
    view["security_group_ids"] = sorted(
        g["VpcSecurityGroupId"] for g in d.get("VpcSecurityGroups", []) if g.get("Status") != "removing"
    )
    view["max_allocated_storage"] = d.get("MaxAllocatedStorage") or 0
    view.update({option: d.get(key) for option, key in IMMUTABLE.items() if key != "DBSubnetGroupName"})
    view["subnet_group"] = (d.get("DBSubnetGroup") or {}).get("DBSubnetGroupName")
    return view


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in str(version).split(".") if part.isdigit())


def engine_version_change(have: str | None, want: str | None) -> str | None:
    """``"upgrade"``/``"major upgrade"`` when the declared version is not what runs, else None.
    A declared ``16`` is met by any 16.x; declaring an older version than runs fails."""
    if not want or not have or have == want or have.startswith(f"{want}."):
        return None
    if version_tuple(want) < version_tuple(have)[: len(version_tuple(want))]:
        raise ReconcileError(f"engine version {want} is older than the running {have}: RDS cannot downgrade")
    return "major upgrade" if version_tuple(want)[0] != version_tuple(have)[0] else "upgrade"


def declared_instance(p: Mapping[str, Any], check_mode: bool) -> dict[str, Any]:
    """The declared settings in the form ``instance_view`` gives (security groups a check run
    would create, as empty ids, are left out)."""
    groups = [g for g in p["security_group_ids"] if g] if check_mode else list(p["security_group_ids"])
    if not all(groups):
        raise ReconcileError(f"database {p['name']}: a security group id is empty")
    want = {option: p.get(option) for option in MODIFIABLE if option != "security_group_ids"}
    want.update({option: p.get(option) for option in IMMUTABLE})
    want["security_group_ids"] = sorted(groups)
    return want


def grown_by_autoscaling(have: Mapping[str, Any], want: Mapping[str, Any]) -> bool:
    """Whether the storage is past the declared size but within the declared maximum: storage
    autoscaling (on when a maximum is declared) grew it, which is not drift."""
    declared, maximum = want["allocated_storage"], want["max_allocated_storage"]
    return bool(maximum) and declared is not None and declared < (have["allocated_storage"] or 0) <= maximum


def instance_changes(have: Mapping[str, Any], want: Mapping[str, Any]) -> dict[str, Any]:
    """ModifyDBInstance arguments for what differs (options declared as None are not managed)."""
    fixed = [o for o in IMMUTABLE if want[o] is not None and have[o] is not None and want[o] != have[o]]
    if fixed:
        shown = ", ".join(f"{o} {have[o]!r} -> {want[o]!r}" for o in fixed)
        raise ReconcileError(f"database: cannot change {shown} on an existing instance")
    if grown_by_autoscaling(have, want):
        want = {**want, "allocated_storage": have["allocated_storage"]}
    if want["allocated_storage"] is not None and want["allocated_storage"] < (have["allocated_storage"] or 0):
        raise ReconcileError(
            f"database: allocated_storage cannot shrink"
            f" ({have['allocated_storage']} -> {want['allocated_storage']} GiB)"
        )
    modify: dict[str, Any] = {}
    for option, (_, argument) in MODIFIABLE.items():
        if option == "engine_version" or want[option] is None or want[option] == have[option]:
            continue
        if option == "max_allocated_storage" and not want[option]:
            # Storage autoscaling is turned off by a maximum equal to the allocated storage.
            if have[option] and have[option] != have["allocated_storage"]:
                modify[argument] = want["allocated_storage"] or have["allocated_storage"]
            continue
        modify[argument] = want[option]
    upgrade = engine_version_change(have["engine_version"], want["engine_version"])
    if upgrade:
        modify["EngineVersion"] = want["engine_version"]
        modify["AllowMajorVersionUpgrade"] = upgrade == "major upgrade"
    return modify


def create_request(p: Mapping[str, Any], want: Mapping[str, Any], tags: Mapping[str, str]) -> dict[str, Any]:
    """CreateDBInstance arguments (the password is added by ``apply``, never kept in a plan)."""
    request = {
        "DBInstanceIdentifier": p["name"],
        "Engine": p["engine"],
        "DBInstanceClass": p["instance_class"],
        "AllocatedStorage": p["allocated_storage"],
        "StorageType": p["storage_type"],
        "StorageEncrypted": p["storage_encrypted"],
        "MasterUsername": p["master_username"],
        "Port": p["port"],
        "VpcSecurityGroupIds": want["security_group_ids"],
        "PubliclyAccessible": p["publicly_accessible"],
        "MultiAZ": p["multi_az"],
        "BackupRetentionPeriod": p["backup_retention_days"],
        "DeletionProtection": p["deletion_protection"],
        "AutoMinorVersionUpgrade": p["auto_minor_version_upgrade"],
        "CopyTagsToSnapshot": True,
        "Tags": [{"Key": k, "Value": str(v)} for k, v in sorted(tags.items())],
    }
    optional = {
        "EngineVersion": p.get("engine_version"),
        "DBName": p.get("db_name"),
        "DBSubnetGroupName": p.get("subnet_group"),
        "KmsKeyId": p.get("kms_key_id"),
        "MaxAllocatedStorage": p.get("max_allocated_storage") or None,
        "CACertificateIdentifier": p.get("ca_certificate_identifier"),
    }
    request.update({k: v for k, v in optional.items() if v})
    return request


def instance_result(name: str, d: Mapping[str, Any] | None) -> dict[str, Any]:
    """What the module returns about an instance (never its password)."""
    endpoint = (d or {}).get("Endpoint") or {}
    return {
        "name": name,
        "arn": (d or {}).get("DBInstanceArn", ""),
        "status": (d or {}).get("DBInstanceStatus", ""),
        "endpoint": endpoint.get("Address", ""),
        "port": endpoint.get("Port", 0),
    }


def instance_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one DB instance. ``current``: ``instance`` (described, or None), ``tags``."""
    name, d = p["name"], current["instance"]
    result = instance_result(name, d)
    if p["state"] == "absent":
        if d is not None and d.get("DeletionProtection"):
            raise ReconcileError(
                f"database {name} has deletion protection: turn it off to delete it", **result
            )
        return deletion(
            result, {"name": name} if d else None, final_snapshot=p.get("final_snapshot_identifier")
        )
    want = declared_instance(p, check_mode)
    tags = tag_plan(current["tags"], p["tags"], p["purge_tags"])
    if d is None:
        if not p.get("master_password") and not check_mode:
            raise ReconcileError(f"database {name}: master_password is needed to create it", **result)
        shown = {k: v for k, v in want.items() if v is not None}
        return Plan(
            ["create"],
            {},
            {**shown, "tags": tags["after"]},
            result,
            {"create": create_request(p, want, tags["after"])},
        )
    have = instance_view(d)
    try:
        modify = instance_changes(have, want)
    except ReconcileError as err:
        raise ReconcileError(f"{err} ({name})", **result) from None
    changes = sorted(o for o, (_, arg) in MODIFIABLE.items() if arg in modify)
    # RDS never returns the password, so it can only be set again on purpose.
    if p["update_password"] == "always" and p.get("master_password"):  # noqa: S105 - a choice, not a password
        changes.append("master_password")
    if tags["set"] or tags["remove"]:
        changes.append("tags")
    shown = sorted({*changes} - {"master_password", "tags"})
    before = {**{o: have[o] for o in shown}, "tags": dict(current["tags"])}
    after = {**{o: want[o] for o in shown}, "tags": tags["after"]}
    if "master_password" in changes:
        before["master_password"], after["master_password"] = "(not shown)", "(changed)"
    steps = {"modify": modify, "password": "master_password" in changes, "tags": tags, "arn": result["arn"]}
    return Plan(changes, before, after, result, steps)


# --- subnet groups ---------------------------------------------------------------------------


def subnet_group_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one DB subnet group. ``current``: ``subnet_group`` (described, or None), ``tags``."""
    name, group = p["name"], current["subnet_group"]
    result = {
        "name": name,
        "arn": (group or {}).get("DBSubnetGroupArn", ""),
        "vpc_id": (group or {}).get("VpcId", ""),
    }
    if p["state"] == "absent":
        return deletion(result, {"name": name} if group else None)
    # In check mode the subnets the network role would publish are empty strings.
    subnets = sorted({s for s in p["subnet_ids"] if s}) if check_mode else sorted(set(p["subnet_ids"]))
    if not check_mode and (not subnets or not all(subnets)):
        raise ReconcileError(f"subnet group {name}: subnet_ids is empty", **result)
    want = {"description": p["description"], "subnet_ids": subnets}
    tags = tag_plan(current["tags"], p["tags"], p["purge_tags"])
    if group is None:
        return Plan(["create"], {}, {**want, "tags": tags["after"]}, result, {"create": want, "tags": tags})
    have = {
        "description": group.get("DBSubnetGroupDescription", ""),
        "subnet_ids": sorted(s["SubnetIdentifier"] for s in group.get("Subnets", [])),
    }
    fields = [
        k for k in want if want[k] != have[k] and not (k == "subnet_ids" and check_mode and not subnets)
    ]
    changes = fields + (["tags"] if tags["set"] or tags["remove"] else [])
    before = {**{k: have[k] for k in fields}, "tags": dict(current["tags"])}
    after = {**{k: want[k] for k in fields}, "tags": tags["after"]}
    return Plan(changes, before, after, result, {"modify": want if fields else None, "tags": tags})
