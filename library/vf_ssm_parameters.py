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
extends_documentation_fragment: [vf_aws, vf_aws.tags]
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
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_ssm import parameters_plan
from ansible.module_utils.vf_ssm_aws import apply_parameters, read_parameters

OPTIONS = {
    "path": {"type": "str", "required": True},
    "parameters": {"type": "dict", "required": True},
    "description": {"type": "str", "default": ""},
}


def main() -> None:
    """Publish outputs under a parameter path."""
    module = AnsibleModule(**module_args(OPTIONS, state=False))
    reconcile(module, read_parameters, parameters_plan, apply_parameters)


if __name__ == "__main__":
    main()
