"""The IAM read and apply steps of vf_iam_roles (what it compares is pure, in
vf_iam)."""

from __future__ import annotations

import json
from typing import Any

from ansible.module_utils.vf_aws import Aws, AwsClient, AwsError, apply_tags, dict_to_tags, tags_to_dict
from ansible.module_utils.vf_iam import role_facts
from ansible.module_utils.vf_module import Plan


def read_role(aws: Aws, p: dict) -> dict[str, Any]:
    """The account, and the role with its policies, tags and instance profile."""
    return {"role": describe_role(aws("iam"), p["name"]), "account_id": aws.account_id()}


def describe_role(iam: AwsClient, name: str) -> dict[str, Any] | None:
    """get_role plus InlinePolicies, AttachedPolicyArns, TagDict and InstanceProfile; or None."""
    role = get_or_none(iam, "get_role", "Role", RoleName=name)
    if role is None:
        return None
    names = iam.paginate("list_role_policies", "PolicyNames", RoleName=name)
    role["InlinePolicies"] = {
        n: iam.call("get_role_policy", RoleName=name, PolicyName=n)["PolicyDocument"] for n in names
    }
    attached = iam.paginate("list_attached_role_policies", "AttachedPolicies", RoleName=name)
    role["AttachedPolicyArns"] = sorted(a["PolicyArn"] for a in attached)
    role["TagDict"] = tags_to_dict(iam.paginate("list_role_tags", "Tags", RoleName=name))
    role["InstanceProfile"] = get_or_none(
        iam, "get_instance_profile", "InstanceProfile", InstanceProfileName=name
    )
    return role


def get_or_none(iam: AwsClient, operation: str, key: str, **params: Any) -> dict[str, Any] | None:
    """``operation``'s ``key``, or None when IAM answers NoSuchEntity."""
    try:
        return iam.call(operation, **params)[key]
    except AwsError as err:
        if err.code == "NoSuchEntity":
            return None
        raise


def apply_role(aws: Aws, plan: Plan, p: dict) -> dict[str, Any]:
    """Delete (profile and policies first), or create/update the role, its policies, profile, tags."""
    iam, name, changes, steps = aws("iam"), p["name"], plan.changes, plan.steps
    if steps.get("delete"):
        delete_role(iam, name, steps["role"])
        return {}
    trust = json.dumps(p["assume_role_policy"])
    if "create" in changes:
        req = {"RoleName": name, "Path": p["path"], "AssumeRolePolicyDocument": trust}
        req.update(Description=p["description"], MaxSessionDuration=p["max_session_duration"])
        iam.call("create_role", **req, **({"Tags": dict_to_tags(p["tags"])} if p["tags"] else {}))
    if "assume_role_policy" in changes:
        iam.call("update_assume_role_policy", RoleName=name, PolicyDocument=trust)
    if "description" in changes or "max_session_duration" in changes:
        iam.call(
            "update_role",
            RoleName=name,
            Description=p["description"],
            MaxSessionDuration=p["max_session_duration"],
        )
    for policy, doc in steps["put_policies"].items():
        iam.call("put_role_policy", RoleName=name, PolicyName=policy, PolicyDocument=json.dumps(doc))
    for policy in steps["delete_policies"]:
        iam.call("delete_role_policy", RoleName=name, PolicyName=policy)
    for arn in steps["attach"]:
        iam.call("attach_role_policy", RoleName=name, PolicyArn=arn)
    for arn in steps["detach"]:
        iam.call("detach_role_policy", RoleName=name, PolicyArn=arn)
    if "instance_profile" in changes or ("create" in changes and p["instance_profile"]):
        apply_profile(iam, name, p)
    if "tags" in changes:
        apply_tags(iam, "iam", name, steps["tags"]["set"], steps["tags"]["remove"])
    return {"exists": True, **role_facts(describe_role(iam, name))}


def apply_profile(iam: AwsClient, name: str, p: dict) -> None:
    """Create the instance profile with the role in it, or take it away."""
    if p["instance_profile"]:
        iam.call("create_instance_profile", InstanceProfileName=name, Path=p["path"])
        iam.call("add_role_to_instance_profile", InstanceProfileName=name, RoleName=name)
    else:
        iam.call("remove_role_from_instance_profile", InstanceProfileName=name, RoleName=name)
        iam.call("delete_instance_profile", InstanceProfileName=name)


def delete_role(iam: AwsClient, name: str, role: dict[str, Any]) -> None:
    """Delete the role after what IAM requires to be gone first."""
    profile = role.get("InstanceProfile")
    if profile:
        for r in profile.get("Roles", []):
            iam.call("remove_role_from_instance_profile", InstanceProfileName=name, RoleName=r["RoleName"])
        iam.call("delete_instance_profile", InstanceProfileName=name)
    for policy in role.get("InlinePolicies") or {}:
        iam.call("delete_role_policy", RoleName=name, PolicyName=policy)
    for arn in role.get("AttachedPolicyArns") or []:
        iam.call("detach_role_policy", RoleName=name, PolicyArn=arn)
    iam.call("delete_role", RoleName=name)
