#!/usr/bin/python
"""Reconcile one SSM Parameter Store parameter (String or SecureString)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ssm_parameter
short_description: Create, update, read or delete an SSM Parameter Store parameter
description:
  - Reconciles one parameter to the declared value, type, description and tags.
  - VideoForge roles publish what the services need (queue URL, bucket, user pool ids)
    under C(/<prefix>/<environment>/) and keep secrets as C(SecureString).
  - With I(generate=true) a SecureString gets a random value once and keeps it on later
    runs, so a password can be created without ever being written in the repository.
  - The value of a C(SecureString) is never shown in the diff or the result unless
    I(return_value=true).
options:
  name:
    description: The parameter's full name, starting with C(/).
    type: str
    required: true
  value:
    description: The value. Required with I(state=present) unless I(generate=true).
    type: str
  type:
    description: The parameter type.
    type: str
    choices: [String, SecureString]
    default: String
  description:
    description: The parameter's description.
    type: str
    default: ""
  generate:
    description:
      - Create a random URL-safe value of I(generate_length) characters when the parameter
        does not exist; never change an existing value.
    type: bool
    default: false
  generate_length:
    description: Length of a generated value.
    type: int
    default: 32
  return_value:
    description: Return the (decrypted) value as C(value), also for a C(SecureString).
    type: bool
    default: false
  state:
    description: C(present) to create or update, C(absent) to delete, C(read) to only read.
    type: str
    choices: [present, absent, read]
    default: present
  tags:
    description: Tags of the parameter.
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
- name: Publish the queue URL for the services
  vf_ssm_parameter:
    name: /video-forge/dev/queue-url
    value: "{{ queue.url }}"
    region: ap-southeast-2

- name: Create the database password once
  vf_ssm_parameter:
    name: /video-forge/dev/db-password
    type: SecureString
    generate: true
    return_value: true
  register: db_password
  no_log: true
"""

RETURN = r"""
name:
  description: The parameter's name.
  returned: always
  type: str
exists:
  description: Whether the parameter exists after the run (or would, in check mode).
  returned: always
  type: bool
value:
  description: The value (only with I(return_value=true), or for a C(String) parameter).
  returned: when available
  type: str
version:
  description: The parameter's version after the run.
  returned: when it exists
  type: int
changes:
  description: What differs from the declared state (what changed, or would in check mode).
  returned: always
  type: list
  elements: str
"""

import secrets

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    fail_with,
    require_boto3,
    tag_changes,
    tags_to_dict,
)


def parameter_changes(current: dict | None, desired: dict) -> list[str]:
    """The fields that differ between an existing parameter and the declared one.

    ``current`` is get_parameter's ``Parameter`` merged with describe_parameters' entry
    (for the description) and the tag dict; ``desired`` has value, type, description, tags.
    A desired value of None means "keep what is there" (a generated secret).
    """
    if current is None:
        return ["create"]
    changes = []
    if desired["value"] is not None and current.get("Value") != desired["value"]:
        changes.append("value")
    if current.get("Type") != desired["type"]:
        changes.append("type")
    if (current.get("Description") or "") != desired["description"]:
        changes.append("description")
    to_set, to_remove = tag_changes(current.get("Tags", {}), desired["tags"], desired["purge_tags"])
    if to_set or to_remove:
        changes.append("tags")
    return changes


def read(ssm, name: str) -> dict | None:
    try:
        param = ssm.call("get_parameter", Name=name, WithDecryption=True)["Parameter"]
    except AwsError as err:
        if err.code == "ParameterNotFound":
            return None
        raise
    described = ssm.call("describe_parameters", ParameterFilters=[{"Key": "Name", "Values": [name]}])
    meta = (described.get("Parameters") or [{}])[0]
    tags = ssm.call("list_tags_for_resource", ResourceType="Parameter", ResourceId=name).get("TagList")
    return {**param, "Description": meta.get("Description", ""), "Tags": tags_to_dict(tags)}


def shown(param: dict | None, reveal: bool) -> dict:
    """A parameter as the diff shows it: SecureString values masked unless asked for."""
    if param is None:
        return {}
    value = param.get("Value")
    if param.get("Type") == "SecureString" and not reveal:
        value = "********"
    return {
        "value": value,
        "type": param.get("Type"),
        "description": param.get("Description", ""),
        "tags": param.get("Tags", {}),
    }


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        value={"type": "str", "no_log": False},
        type={"type": "str", "choices": ["String", "SecureString"], "default": "String"},
        description={"type": "str", "default": ""},
        generate={"type": "bool", "default": False},
        generate_length={"type": "int", "default": 32},
        return_value={"type": "bool", "default": False},
        state={"type": "str", "choices": ["present", "absent", "read"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    if p["state"] == "present" and p["value"] is None and not p["generate"]:
        module.fail_json(msg=f"{p['name']}: value is required with state=present unless generate=true")
    # A secret never appears in output, unless the caller asked for it back (and then
    # marks its own task no_log): masking it here would hand the caller "********".
    hide_secrets = p["type"] == "SecureString" and not p["return_value"]
    if hide_secrets and p["value"] is not None:
        module.no_log_values.add(p["value"])

    ssm = connect_from_params("ssm", p)
    name = p["name"]
    try:
        current = read(ssm, name)
        result: dict = {"name": name, "changed": False, "changes": []}
        reveal = p["return_value"]

        if p["state"] == "read":
            if current is None:
                module.fail_json(msg=f"SSM parameter {name} does not exist", **result)
            module.exit_json(**result, **_facts(current, reveal))

        if p["state"] == "absent":
            if current is not None:
                result.update(
                    changed=True, changes=["delete"], diff={"before": shown(current, False), "after": {}}
                )
                if not module.check_mode:
                    ssm.call("delete_parameter", Name=name)
            module.exit_json(**result, exists=False)

        value = p["value"]
        if value is None:  # generate=true: keep what exists, create once
            value = (
                None
                if current is not None
                else secrets.token_urlsafe(p["generate_length"])[: p["generate_length"]]
            )
            if value is not None and hide_secrets:
                module.no_log_values.add(value)
        desired = {
            "value": value,
            "type": p["type"],
            "description": p["description"],
            "tags": p["tags"],
            "purge_tags": p["purge_tags"],
        }
        changes = parameter_changes(current, desired)
        result["changes"] = changes
        if not changes:
            module.exit_json(**result, **_facts(current, reveal))

        after = {
            "Value": value if value is not None else current.get("Value"),
            "Type": p["type"],
            "Description": p["description"],
            "Tags": {**(current or {}).get("Tags", {}), **p["tags"]}
            if not p["purge_tags"]
            else dict(p["tags"]),
            "Version": (current or {}).get("Version", 0) + 1,
        }
        result.update(changed=True, diff={"before": shown(current, False), "after": shown(after, False)})
        if module.check_mode:
            module.exit_json(**result, **_facts(after, reveal))

        if {"create", "value", "type", "description"} & set(changes):
            put = {"Name": name, "Value": after["Value"], "Type": p["type"], "Overwrite": current is not None}
            put["Description"] = p["description"]
            after["Version"] = ssm.call("put_parameter", **put)["Version"]
        if "create" in changes or "tags" in changes:
            to_set, to_remove = tag_changes((current or {}).get("Tags", {}), p["tags"], p["purge_tags"])
            if to_remove:
                ssm.call(
                    "remove_tags_from_resource", ResourceType="Parameter", ResourceId=name, TagKeys=to_remove
                )
            if to_set:
                ssm.call(
                    "add_tags_to_resource",
                    ResourceType="Parameter",
                    ResourceId=name,
                    Tags=[{"Key": k, "Value": v} for k, v in sorted(to_set.items())],
                )
        module.exit_json(**result, **_facts(after, reveal))
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


def _facts(param: dict, reveal: bool) -> dict:
    facts = {"exists": True, "version": param.get("Version")}
    if reveal or param.get("Type") == "String":
        facts["value"] = param.get("Value")
    return facts


if __name__ == "__main__":
    main()
