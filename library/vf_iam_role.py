#!/usr/bin/python
"""Reconcile an IAM role: trust policy, inline policies, managed policies, instance profile."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_iam_role
short_description: Create, update, read or delete an IAM role with its inline policies
description:
  - Reconciles one role - its trust policy, inline policies (compared with C(canonical_json)
    so key order and formatting never report a change), attached managed policies, an
    instance profile of the same name (for EC2), description and tags.
  - With I(state=read) nothing changes; the result carries the role (if any) and the
    C(account_id) of the caller, which roles use to build least-privilege resource ARNs.
  - With I(state=absent) the role is detached from its instance profile, its policies removed,
    the instance profile deleted, then the role.
options:
  name:
    description: The role name (and the instance profile name).
    type: str
    required: true
  path:
    description: The role path.
    type: str
    default: /
  assume_role_policy:
    description: The trust policy document (a dict).
    type: dict
  inline_policies:
    description: Inline policies by name (dict of policy documents).
    type: dict
    default: {}
  managed_policy_arns:
    description: Managed policies to attach.
    type: list
    elements: str
    default: []
  purge_policies:
    description: Remove inline and managed policies that are not declared.
    type: bool
    default: true
  instance_profile:
    description: Keep an instance profile of the same name holding the role.
    type: bool
    default: false
  description:
    description: The role description.
    type: str
    default: ""
  max_session_duration:
    description: Maximum session duration in seconds.
    type: int
    default: 3600
  state:
    description: C(present), C(absent) or C(read).
    type: str
    choices: [present, absent, read]
    default: present
  tags:
    description: Tags of the role.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws]
author: VideoForge
"""

EXAMPLES = r"""
- name: Task role of the streaming service
  vf_iam_role:
    name: video-forge-dev-streaming-task
    assume_role_policy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: "sts:AssumeRole"}
    inline_policies:
      media: "{{ lookup('ansible.builtin.template', 'streaming-policy.json.j2') | from_json }}"
"""

RETURN = r"""
arn:
  description: The role ARN.
  returned: when it exists
  type: str
instance_profile_arn:
  description: The instance profile ARN.
  returned: when I(instance_profile=true) and it exists
  type: str
account_id:
  description: The AWS account of the caller.
  returned: always
  type: str
inline_policies:
  description: The role's inline policy documents by name, as IAM returns them.
  returned: when it exists
  type: dict
exists:
  description: Whether the role exists (after the run).
  returned: always
  type: bool
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import AwsError, dict_to_tags, tags_to_dict
from ansible.module_utils.vf_iam import role_facts, role_plan
from ansible.module_utils.vf_module import apply_tags, module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "path": {"type": "str", "default": "/"},
    "assume_role_policy": {"type": "dict"},
    "inline_policies": {"type": "dict", "default": {}},
    "managed_policy_arns": {"type": "list", "elements": "str", "default": []},
    "purge_policies": {"type": "bool", "default": True},
    "instance_profile": {"type": "bool", "default": False},
    "description": {"type": "str", "default": ""},
    "max_session_duration": {"type": "int", "default": 3600},
    "state": {"type": "str", "choices": ["present", "absent", "read"], "default": "present"},
    "tags": {"type": "dict", "default": {}},
}


def read(aws, p: dict) -> dict:
    """The account, and the role with its policies, tags and instance profile."""
    account_id = aws("sts").call("get_caller_identity")["Account"]
    return {"role": read_role(aws("iam"), p["name"]), "account_id": account_id}


def read_role(iam, name: str) -> dict | None:
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


def get_or_none(iam, operation: str, key: str, **params) -> dict | None:
    """``operation``'s ``key``, or None when IAM answers NoSuchEntity."""
    try:
        return iam.call(operation, **params)[key]
    except AwsError as err:
        if err.code == "NoSuchEntity":
            return None
        raise


def apply(aws, plan, p: dict) -> dict:
    """Delete (profile and policies first), or create/update the role, its policies, profile, tags."""
    iam, name, changes, steps = aws("iam"), p["name"], plan.changes, plan.steps
    if steps.get("delete"):
        delete(iam, name, steps["role"])
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
    return {"exists": True, **role_facts(read_role(iam, name))}


def apply_profile(iam, name: str, p: dict) -> None:
    """Create the instance profile with the role in it, or take it away."""
    if p["instance_profile"]:
        iam.call("create_instance_profile", InstanceProfileName=name, Path=p["path"])
        iam.call("add_role_to_instance_profile", InstanceProfileName=name, RoleName=name)
    else:
        iam.call("remove_role_from_instance_profile", InstanceProfileName=name, RoleName=name)
        iam.call("delete_instance_profile", InstanceProfileName=name)


def delete(iam, name: str, role: dict) -> None:
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


def main() -> None:
    """Reconcile (or read) one IAM role."""
    module = AnsibleModule(
        **module_args(
            OPTIONS, state=False, tags=False, required_if=[("state", "present", ["assume_role_policy"])]
        )
    )
    reconcile(module, read, role_plan, apply)


if __name__ == "__main__":
    main()
