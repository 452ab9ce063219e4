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
from ansible.module_utils.vf_aws import tags_to_dict
from ansible.module_utils.vf_module import apply_tags, module_args, reconcile
from ansible.module_utils.vf_ssm import parameters_plan, published

OPTIONS = {
    "path": {"type": "str", "required": True},
    "parameters": {"type": "dict", "required": True},
    "description": {"type": "str", "default": ""},
}


def read(aws, p: dict) -> dict[str, dict]:
    """Name -> {Value, Type, Description, Tags} for the declared names that exist."""
    ssm, names = aws("ssm"), sorted(published(p))
    found: dict[str, dict] = {}
    for i in range(0, len(names), 10):  # get_parameters takes at most 10 names
        for param in ssm.call("get_parameters", Names=names[i : i + 10])["Parameters"]:
            found[param["Name"]] = {"Value": param["Value"], "Type": param["Type"], "Description": ""}
    if not found:
        return found
    names = sorted(found)
    for i in range(0, len(names), 50):  # a filter takes at most 50 values
        named = [{"Key": "Name", "Option": "Equals", "Values": names[i : i + 50]}]
        for meta in ssm.paginate("describe_parameters", "Parameters", ParameterFilters=named):
            if meta["Name"] in found:
                found[meta["Name"]]["Description"] = meta.get("Description", "")
    for name, param in found.items():
        tags = ssm.call("list_tags_for_resource", ResourceType="Parameter", ResourceId=name).get("TagList")
        param["Tags"] = tags_to_dict(tags)
    return found


def apply(aws, plan, p: dict) -> dict:
    """Put each parameter whose value or description differs, and reconcile its tags."""
    ssm, desired = aws("ssm"), plan.result["parameters"]
    for name, step in plan.steps.items():
        if step["put"]:
            ssm.call(
                "put_parameter",
                Name=name,
                Value=desired[name],
                Type="String",
                Description=p["description"],
                Overwrite=not step["create"],
            )
        apply_tags(ssm, "ssm", name, step["tags"]["set"], step["tags"]["remove"])
    return {}


def main() -> None:
    """Publish outputs under a parameter path."""
    module = AnsibleModule(**module_args(OPTIONS, state=False))
    reconcile(module, read, parameters_plan, apply)


if __name__ == "__main__":
    main()
