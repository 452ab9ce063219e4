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
extends_documentation_fragment: [vf_aws, vf_aws.tags]
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
"""

import secrets

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import AwsError, tags_to_dict
from ansible.module_utils.vf_module import apply_tags, module_args, reconcile
from ansible.module_utils.vf_ssm import parameter_plan

OPTIONS = {
    "name": {"type": "str", "required": True},
    "value": {"type": "str", "no_log": False},
    "type": {"type": "str", "choices": ["String", "SecureString"], "default": "String"},
    "description": {"type": "str", "default": ""},
    "generate": {"type": "bool", "default": False},
    "generate_length": {"type": "int", "default": 32},
    "return_value": {"type": "bool", "default": False},
    "state": {"type": "str", "choices": ["present", "absent", "read"], "default": "present"},
}


def read(aws, p: dict) -> dict:
    """The parameter (value, type, description, tags), and a fresh value should one be generated.

    A secret never appears in output unless the caller asked for it back (and then marks its
    own task no_log): masking it here would hand the caller "********"."""
    hide = p["type"] == "SecureString" and not p["return_value"]
    if hide and p["value"] is not None:
        aws.hide(p["value"])
    ssm, name = aws("ssm"), p["name"]
    try:
        param = ssm.call("get_parameter", Name=name, WithDecryption=True)["Parameter"]
    except AwsError as err:
        if err.code != "ParameterNotFound":
            raise
        generated = (
            secrets.token_urlsafe(p["generate_length"])[: p["generate_length"]] if p["generate"] else None
        )
        if generated and hide:
            aws.hide(generated)
        return {"parameter": None, "generated": generated}
    # A page may be empty and still carry a NextToken: the description is wherever it turns up.
    named = [{"Key": "Name", "Option": "Equals", "Values": [name]}]
    described = ssm.paginate("describe_parameters", "Parameters", ParameterFilters=named)
    meta = next((d for d in described if d["Name"] == name), {})
    tags = ssm.call("list_tags_for_resource", ResourceType="Parameter", ResourceId=name).get("TagList")
    return {"parameter": {**param, "Description": meta.get("Description", ""), "Tags": tags_to_dict(tags)}}


def apply(aws, plan, p: dict) -> dict:
    """Put the value (a new version) and reconcile the tags."""
    ssm, steps = aws("ssm"), plan.steps
    out = {}
    if steps["put"]:
        out["version"] = ssm.call("put_parameter", **steps["put"])["Version"]
    apply_tags(ssm, "ssm", p["name"], steps["tags"]["set"], steps["tags"]["remove"])
    return out


def main() -> None:
    """Reconcile, read or delete one parameter."""
    module = AnsibleModule(**module_args(OPTIONS, state=False))
    reconcile(module, read, parameter_plan, apply)


if __name__ == "__main__":
    main()
