"""The RDS read and apply steps of vf_rds_instance and vf_rds_subnet_group (what they compare is
pure, in vf_rds)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import AwsClient, AwsError, dict_to_tags, tags_to_dict
from ansible.module_utils.vf_module import ReconcileError
from ansible.module_utils.vf_rds import (
    FAILED_STATES,
    instance_result,
)


def describe_instance(rds: AwsClient, name: str) -> dict[str, Any] | None:
    """DescribeDBInstances' entry for ``name`` (None when there is none, or it is being deleted)."""
    try:
        found = rds.call("describe_db_instances", DBInstanceIdentifier=name)["DBInstances"]
    except AwsError as err:
        if err.code == "DBInstanceNotFound":
            return None
        raise
    return found[0] if found and found[0].get("DBInstanceStatus") != "deleting" else None


def instance_tags(rds: AwsClient, instance: Mapping[str, Any] | None) -> dict[str, str]:
    """The instance's tags (DescribeDBInstances carries ``TagList``; older answers need a call)."""
    if instance is None:
        return {}
    if "TagList" in instance:
        return tags_to_dict(instance["TagList"])
    listed = rds.call("list_tags_for_resource", ResourceName=instance["DBInstanceArn"])
    return tags_to_dict(listed.get("TagList"))


def apply_rds_tags(rds: AwsClient, arn: str, tags: Mapping[str, Any]) -> None:
    """Remove, then set, the tags a ``tag_plan`` says differ on an RDS resource."""
    if tags["remove"]:
        rds.call("remove_tags_from_resource", ResourceName=arn, TagKeys=list(tags["remove"]))
    if tags["set"]:
        rds.call("add_tags_to_resource", ResourceName=arn, Tags=dict_to_tags(tags["set"]))


def describe_subnet_group(rds: AwsClient, name: str) -> dict[str, Any] | None:
    try:
        return rds.call("describe_db_subnet_groups", DBSubnetGroupName=name)["DBSubnetGroups"][0]
    except AwsError as err:
        if err.code in ("DBSubnetGroupNotFoundFault", "DBSubnetGroupNotFound"):
            return None
        raise


def read_instance(aws, p: dict) -> dict:
    """The instance (None when there is none) and its tags."""
    instance = describe_instance(aws("rds"), p["name"])
    return {"instance": instance, "tags": instance_tags(aws("rds"), instance)}


def apply_instance(aws, plan, p: dict) -> dict:
    """Create, modify or delete the instance as planned."""
    rds, steps = aws("rds"), plan.steps
    if steps.get("delete"):
        request = {"DBInstanceIdentifier": p["name"], "SkipFinalSnapshot": not steps["final_snapshot"]}
        if steps["final_snapshot"]:
            request["FinalDBSnapshotIdentifier"] = steps["final_snapshot"]
        rds.call("delete_db_instance", **request)
        if p["wait"]:
            rds.wait_until(
                lambda: describe_instance(rds, p["name"]),
                lambda d: d is None,
                p["wait_timeout"],
                f"{p['name']} to be deleted",
                15,
            )
        return {"status": "deleted"}
    if "create" in steps:
        create_instance(rds, p, steps["create"])
    else:
        modify_instance(rds, p, steps)
    return instance_result(
        p["name"], wait_available(rds, p) if p["wait"] else describe_instance(rds, p["name"])
    )


def create_instance(rds, p: dict, request: dict) -> None:
    """Create the instance. A create retried after a lost answer finds its own instance."""
    try:
        rds.call("create_db_instance", MasterUserPassword=p["master_password"], **request)
    except AwsError as err:
        if err.code != "DBInstanceAlreadyExists" or describe_instance(rds, p["name"]) is None:
            raise


def modify_instance(rds, p: dict, steps: dict) -> None:
    """Modify what differs (once the instance accepts changes), then its tags."""
    arguments = dict(steps["modify"])
    if steps["password"]:
        arguments["MasterUserPassword"] = p["master_password"]
    if arguments:
        wait_available(rds, p)
        rds.call(
            "modify_db_instance",
            DBInstanceIdentifier=p["name"],
            ApplyImmediately=p["apply_immediately"],
            **arguments,
        )
    apply_rds_tags(rds, steps["arn"], steps["tags"])


def wait_available(rds, p: dict) -> dict:
    """Wait until the instance is available with no immediate change still being applied."""
    described = rds.wait_until(
        lambda: describe_instance(rds, p["name"]),
        lambda d: (
            d is not None and (d["DBInstanceStatus"] in FAILED_STATES or d["DBInstanceStatus"] == "available")
        ),
        p["wait_timeout"],
        f"database {p['name']} to become available",
        interval=15,
    )
    if described["DBInstanceStatus"] in FAILED_STATES:
        raise ReconcileError(
            f"database {p['name']} is {described['DBInstanceStatus']}",
            **instance_result(p["name"], described),
        )
    return described


def read_subnet_group(aws, p: dict) -> dict:
    """The subnet group (None when there is none) and its tags."""
    group = describe_subnet_group(aws("rds"), p["name"])
    tags = {}
    if group:
        listed = aws("rds").call("list_tags_for_resource", ResourceName=group["DBSubnetGroupArn"])
        tags = tags_to_dict(listed.get("TagList"))
    return {"subnet_group": group, "tags": tags}


def apply_subnet_group(aws, plan, p: dict) -> dict:
    """Create, modify or delete the subnet group, then set its tags."""
    rds, steps = aws("rds"), plan.steps
    if steps.get("delete"):
        rds.call("delete_db_subnet_group", DBSubnetGroupName=p["name"])
        return {}
    if "create" in steps:
        made = rds.call(
            "create_db_subnet_group",
            DBSubnetGroupName=p["name"],
            DBSubnetGroupDescription=steps["create"]["description"],
            SubnetIds=steps["create"]["subnet_ids"],
            Tags=dict_to_tags(steps["tags"]["after"]),
        )["DBSubnetGroup"]
        return {"arn": made["DBSubnetGroupArn"], "vpc_id": made.get("VpcId", "")}
    if steps["modify"]:
        rds.call(
            "modify_db_subnet_group",
            DBSubnetGroupName=p["name"],
            DBSubnetGroupDescription=steps["modify"]["description"],
            SubnetIds=steps["modify"]["subnet_ids"],
        )
    apply_rds_tags(rds, plan.result["arn"], steps["tags"])
    return {}
