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
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
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
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

import json

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    canonical_json,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
    tag_changes,
    tags_to_dict,
)
from ansible.module_utils.vf_iam import role_changes


def read(iam, name: str) -> dict | None:
    try:
        role = iam.call("get_role", RoleName=name)["Role"]
    except AwsError as err:
        if err.code == "NoSuchEntity":
            return None
        raise
    names = iam.paginate("list_role_policies", "PolicyNames", RoleName=name)
    role["InlinePolicies"] = {
        n: iam.call("get_role_policy", RoleName=name, PolicyName=n)["PolicyDocument"] for n in names
    }
    attached = iam.paginate("list_attached_role_policies", "AttachedPolicies", RoleName=name)
    role["AttachedPolicyArns"] = sorted(a["PolicyArn"] for a in attached)
    role["TagDict"] = tags_to_dict(iam.paginate("list_role_tags", "Tags", RoleName=name))
    role["InstanceProfile"] = read_profile(iam, name)
    return role


def read_profile(iam, name: str) -> dict | None:
    try:
        return iam.call("get_instance_profile", InstanceProfileName=name)["InstanceProfile"]
    except AwsError as err:
        if err.code == "NoSuchEntity":
            return None
        raise


def _doc(value) -> dict:
    return json.loads(value) if isinstance(value, str) else value


def summary(role: dict | None) -> dict:
    if not role:
        return {}
    return {
        "assume_role_policy": json.loads(canonical_json(role.get("AssumeRolePolicyDocument") or {})),
        "inline_policies": {
            k: json.loads(canonical_json(v)) for k, v in (role.get("InlinePolicies") or {}).items()
        },
        "managed_policy_arns": sorted(role.get("AttachedPolicyArns") or []),
        "instance_profile": bool(role.get("InstanceProfile")),
        "description": role.get("Description") or "",
        "tags": role.get("TagDict") or {},
    }


def delete(iam, name: str, role: dict) -> None:
    profile = role.get("InstanceProfile")
    if profile:
        for r in profile.get("Roles", []):
            iam.call("remove_role_from_instance_profile", InstanceProfileName=name, RoleName=r["RoleName"])
        iam.call("delete_instance_profile", InstanceProfileName=name)
    for pname in role.get("InlinePolicies") or {}:
        iam.call("delete_role_policy", RoleName=name, PolicyName=pname)
    for arn in role.get("AttachedPolicyArns") or []:
        iam.call("detach_role_policy", RoleName=name, PolicyArn=arn)
    iam.call("delete_role", RoleName=name)


def apply(iam, name: str, p: dict, current: dict | None, changes: list[str]) -> dict:
    trust = json.dumps(p["assume_role_policy"])
    if "create" in changes:
        req = {
            "RoleName": name,
            "Path": p["path"],
            "AssumeRolePolicyDocument": trust,
            "Description": p["description"],
            "MaxSessionDuration": p["max_session_duration"],
        }
        if p["tags"]:
            req["Tags"] = dict_to_tags(p["tags"])
        iam.call("create_role", **req)
        current = {
            "InlinePolicies": {},
            "AttachedPolicyArns": [],
            "TagDict": dict(p["tags"]),
            "InstanceProfile": None,
        }
    if "assume_role_policy" in changes:
        iam.call("update_assume_role_policy", RoleName=name, PolicyDocument=trust)
    if "description" in changes or "max_session_duration" in changes:
        iam.call(
            "update_role",
            RoleName=name,
            Description=p["description"],
            MaxSessionDuration=p["max_session_duration"],
        )
    for pname, doc in p["inline_policies"].items():
        if "create" in changes or f"inline_policies.{pname}" in changes:
            iam.call("put_role_policy", RoleName=name, PolicyName=pname, PolicyDocument=json.dumps(_doc(doc)))
    if p["purge_policies"]:
        for pname in current["InlinePolicies"]:
            if pname not in p["inline_policies"]:
                iam.call("delete_role_policy", RoleName=name, PolicyName=pname)
    attached = set(current["AttachedPolicyArns"])
    for arn in sorted(set(p["managed_policy_arns"]) - attached):
        iam.call("attach_role_policy", RoleName=name, PolicyArn=arn)
    if p["purge_policies"]:
        for arn in sorted(attached - set(p["managed_policy_arns"])):
            iam.call("detach_role_policy", RoleName=name, PolicyArn=arn)
    if "instance_profile" in changes or ("create" in changes and p["instance_profile"]):
        if p["instance_profile"]:
            iam.call("create_instance_profile", InstanceProfileName=name, Path=p["path"])
            iam.call("add_role_to_instance_profile", InstanceProfileName=name, RoleName=name)
        else:
            iam.call("remove_role_from_instance_profile", InstanceProfileName=name, RoleName=name)
            iam.call("delete_instance_profile", InstanceProfileName=name)
    if "tags" in changes:
        to_set, to_remove = tag_changes(current["TagDict"], p["tags"], True)
        if to_remove:
            iam.call("untag_role", RoleName=name, TagKeys=to_remove)
        if to_set:
            iam.call("tag_role", RoleName=name, Tags=dict_to_tags(to_set))
    return read(iam, name)


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        path={"type": "str", "default": "/"},
        assume_role_policy={"type": "dict"},
        inline_policies={"type": "dict", "default": {}},
        managed_policy_arns={"type": "list", "elements": "str", "default": []},
        purge_policies={"type": "bool", "default": True},
        instance_profile={"type": "bool", "default": False},
        description={"type": "str", "default": ""},
        max_session_duration={"type": "int", "default": 3600},
        state={"type": "str", "choices": ["present", "absent", "read"], "default": "present"},
        tags={"type": "dict", "default": {}},
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["assume_role_policy"])],
    )
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    iam = connect_from_params("iam", p)
    try:
        account_id = connect_from_params("sts", p).call("get_caller_identity")["Account"]
        result: dict = {"name": name, "changed": False, "changes": [], "account_id": account_id}
        current = read(iam, name)
        if p["state"] == "read":
            module.exit_json(**result, exists=current is not None, **_facts(current))
        if p["state"] == "absent":
            if current:
                result.update(
                    changed=True, changes=["delete"], diff={"before": summary(current), "after": {}}
                )
                if not module.check_mode:
                    delete(iam, name, current)
            module.exit_json(**result, exists=False)
        p["inline_policies"] = {k: _doc(v) for k, v in p["inline_policies"].items()}
        changes = role_changes(current, p)
        result["changes"] = changes
        if changes:
            after = {
                "assume_role_policy": json.loads(canonical_json(p["assume_role_policy"])),
                "inline_policies": {
                    k: json.loads(canonical_json(v)) for k, v in p["inline_policies"].items()
                },
                "managed_policy_arns": sorted(p["managed_policy_arns"]),
                "instance_profile": p["instance_profile"],
                "description": p["description"],
                "tags": dict(p["tags"]),
            }
            result.update(changed=True, diff={"before": summary(current), "after": after})
        if module.check_mode or not changes:
            module.exit_json(**result, exists=current is not None, **_facts(current))
        fresh = apply(iam, name, p, current, changes)
        module.exit_json(**result, exists=True, **_facts(fresh))
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


def _facts(role: dict | None) -> dict:
    if not role:
        return {}
    facts = {"arn": role["Arn"], "inline_policies": role.get("InlinePolicies") or {}}
    if role.get("InstanceProfile"):
        facts["instance_profile_arn"] = role["InstanceProfile"]["Arn"]
    return facts


if __name__ == "__main__":
    main()
