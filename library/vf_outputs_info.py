#!/usr/bin/python
"""Read the outputs earlier roles published under one SSM path, and the account (read only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_outputs_info
short_description: Read published outputs (SSM String parameters under one path) and the account
description:
  - Reads the C(String) parameters C(<path>/<name>) that earlier roles published with
    M(vf_ssm_parameters), in batched calls, and the caller's AWS account (what a role needs
    before it can name the resources of others) in one module run.
  - A name that is not published fails the task, except in check mode (an earlier role would
    publish it); its value is then an empty string, and it is listed in C(missing).
  - Never changes anything; secrets stay with M(vf_ssm_parameter).
options:
  path:
    description: The path the names are under, starting with C(/), without a trailing C(/).
    type: str
    required: true
  names:
    description: The outputs to read, relative to I(path).
    type: list
    elements: str
    required: true
extends_documentation_fragment: [vf_aws]
author: VideoForge
"""

EXAMPLES = r"""
- name: Read the published outputs and the account
  vf_outputs_info:
    path: /video-forge/dev
    names: [bucket, queue-arn]
  register: outputs
"""

RETURN = r"""
account_id:
  description: The AWS account of the caller.
  returned: always
  type: str
outputs:
  description: Name (relative to I(path)) -> value, for every declared name.
  returned: always
  type: dict
missing:
  description: The names not published (check mode only; outside it they fail the task).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_module import module_args, reconcile
from ansible.module_utils.vf_ssm import outputs_plan
from ansible.module_utils.vf_ssm_aws import read_outputs

OPTIONS = {
    "path": {"type": "str", "required": True},
    "names": {"type": "list", "elements": "str", "required": True},
}


def main() -> None:
    """Read the published outputs."""
    module = AnsibleModule(**module_args(OPTIONS, state=False, tags=False))
    reconcile(module, read_outputs, outputs_plan)


if __name__ == "__main__":
    main()
