#!/usr/bin/python
"""Publish several String parameters under one SSM path in one task (a role's outputs)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ssm_parameters
short_description: Publish a role's outputs as SSM String parameters under one path
description:
  - Reconciles several C(String) parameters named C(<path>/<key>) to the declared values,
    description and tags, in one task (one process, batched reads). It is M(vf_ssm_parameter)
    for the common case of publishing outputs; secrets and reads stay with M(vf_ssm_parameter).
  - Parameters under the path that I(parameters) does not name are left alone (other roles
    publish under the same path).
options:
  path:
    description: The path the names are under, starting with C(/), without a trailing C(/).
    type: str
    required: true
  parameters:
    description:
      - Key -> value. In check mode an empty value stands for something an earlier task
        would create; outside check mode an empty value fails (SSM refuses it).
    type: dict
    required: true
  description:
    description: Description of every parameter.
    type: str
    default: ""
  tags:
    description: Tags of every parameter.
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that I(tags) does not list.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
author: VideoForge
"""

EXAMPLES = r"""
- name: Publish the queue outputs
  vf_ssm_parameters:
    path: /video-forge/dev
    parameters:
      queue-url: "{{ queue.queue_url }}"
      queue-arn: "{{ queue.queue_arn }}"
    description: VideoForge messaging output
"""

RETURN = r"""
parameters:
  description: Full name -> value after the run.
  returned: always
  type: dict
changes:
  description: C(<key> <what>) for every parameter that differs (create, value, description, tags).
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


def read(ssm, names: list[str]) -> dict[str, dict]:
    """Name -> {Value, Type, Description, Tags} for the names that exist."""
    found: dict[str, dict] = {}
    for i in range(0, len(names), 10):  # get_parameters takes at most 10 names
        for param in ssm.call("get_parameters", Names=names[i : i + 10])["Parameters"]:
            found[param["Name"]] = {"Value": param["Value"], "Type": param["Type"], "Description": ""}
    if not found:
        return found
    described = ssm.paginate(
        "describe_parameters",
        "Parameters",
        ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": sorted(found)}],
    )
    for meta in described:
        if meta["Name"] in found:
            found[meta["Name"]]["Description"] = meta.get("Description", "")
    for name, param in found.items():
        tags = ssm.call("list_tags_for_resource", ResourceType="Parameter", ResourceId=name).get("TagList")
        param["Tags"] = tags_to_dict(tags)
    return found


def parameters_changes(
    current: dict[str, dict], desired: dict[str, str], description: str, tags: dict, purge_tags: bool
) -> dict[str, list[str]]:
    """Full name -> the fields that differ (``create`` for a missing one)."""
    changes: dict[str, list[str]] = {}
    for name, value in desired.items():
        have = current.get(name)
        if have is None:
            changes[name] = ["create"]
            continue
        fields = []
        if have["Value"] != value:
            fields.append("value")
        if have["Type"] != "String":
            fields.append("type")
        if (have.get("Description") or "") != description:
            fields.append("description")
        to_set, to_remove = tag_changes(have.get("Tags", {}), tags, purge_tags)
        if to_set or to_remove:
            fields.append("tags")
        if fields:
            changes[name] = fields
    return changes


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        path={"type": "str", "required": True},
        parameters={"type": "dict", "required": True},
        description={"type": "str", "default": ""},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    path = p["path"].rstrip("/")
    desired = {f"{path}/{key}": "" if value is None else str(value) for key, value in p["parameters"].items()}
    tags = {k: str(v) for k, v in p["tags"].items()}
    result: dict = {"changed": False, "changes": [], "parameters": desired}
    empty = sorted(name for name, value in desired.items() if not value)
    if empty and not module.check_mode:
        module.fail_json(msg=f"empty value for {', '.join(empty)}: SSM parameters cannot be empty", **result)
    ssm = connect_from_params("ssm", p)
    try:
        current = read(ssm, sorted(desired))
        changes = parameters_changes(current, desired, p["description"], tags, p["purge_tags"])
        result["changes"] = [
            f"{name.removeprefix(path + '/')} {f}" for name, fields in changes.items() for f in fields
        ]
        if not changes:
            module.exit_json(**result)

        def view(param: dict | None) -> dict:
            return (
                {}
                if param is None
                else {
                    "value": param["Value"],
                    "description": param.get("Description", ""),
                    "tags": param.get("Tags", {}),
                }
            )

        before = {name: view(current.get(name)) for name in changes if name in current}
        after = {
            name: {
                "value": desired[name],
                "description": p["description"],
                "tags": tags if p["purge_tags"] else {**current.get(name, {}).get("Tags", {}), **tags},
            }
            for name in changes
        }
        result.update(changed=True, diff={"before": before, "after": after})
        if module.check_mode:
            module.exit_json(**result)
        for name, fields in changes.items():
            if {"create", "value", "type", "description"} & set(fields):
                ssm.call(
                    "put_parameter",
                    Name=name,
                    Value=desired[name],
                    Type="String",
                    Description=p["description"],
                    Overwrite="create" not in fields,
                )
            if "create" in fields or "tags" in fields:
                to_set, to_remove = tag_changes(current.get(name, {}).get("Tags", {}), tags, p["purge_tags"])
                if to_remove:
                    ssm.call(
                        "remove_tags_from_resource",
                        ResourceType="Parameter",
                        ResourceId=name,
                        TagKeys=to_remove,
                    )
                if to_set:
                    ssm.call(
                        "add_tags_to_resource",
                        ResourceType="Parameter",
                        ResourceId=name,
                        Tags=dict_to_tags(to_set),
                    )
        module.exit_json(**result)
    except AwsError as err:
        fail_with(module.fail_json, err)


if __name__ == "__main__":
    main()
