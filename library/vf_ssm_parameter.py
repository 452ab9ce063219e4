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


from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_ssm import parameter_plan
from ansible.module_utils.vf_ssm_aws import apply_parameter, read_parameter

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


def main() -> None:
    """Reconcile, read or delete one parameter."""
    module = AnsibleModule(**module_args(OPTIONS, state=False))
    reconcile(module, read_parameter, parameter_plan, apply_parameter)


if __name__ == "__main__":
    main()
