#!/usr/bin/python
"""Reconcile a family of CloudWatch Logs log groups (one retention, one set of tags) in one run."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_log_groups
short_description: Create, update or delete several CloudWatch Logs log groups in one task
description:
  - Reconciles each named log group's retention and tags one by one,
    in one module run (one process, one client) for the whole list. With I(state=absent)
    they are deleted.
  - The result has one entry per group in C(results) (its name as C(item), C(changed),
    C(changes)), and C(--diff) shows a before/after per group that differs.
options:
  names:
    description: The log group names.
    type: list
    elements: str
    required: true
  retention_days:
    description: Days to keep events in every group (C(0) means never expire).
    type: int
    default: 30
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: Keep the services' logs for 30 days
  vf_log_groups:
    names: [/ecs/video-forge-dev/gallery, /ecs/video-forge-dev/streaming]
    retention_days: 30
"""

RETURN = r"""
results:
  description: Per group, in the order of I(names), its result (C(name), C(arn)), with C(item) (the name).
  returned: always
  type: list
  elements: dict
log_groups:
  description: Name -> that group's result (C(arn), C(changed), C(changes)).
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_logs import LOG_GROUP_OPTIONS, log_group_plan
from ansible.module_utils.vf_logs_aws import apply_log_group, read_log_group
from ansible.module_utils.vf_module import module_args, reconcile_family

OPTIONS = {
    "names": {"type": "list", "elements": "str", "required": True},
    "retention_days": LOG_GROUP_OPTIONS["retention_days"],
}
SHARED = ("retention_days", "state", "tags", "purge_tags")


def main() -> None:
    """Reconcile the log groups."""
    module = AnsibleModule(**module_args(OPTIONS))
    groups = {name: {"name": name} for name in dict.fromkeys(module.params["names"])}
    reconcile_family(
        module, "log_groups", SHARED, read_log_group, log_group_plan, apply_log_group, items=groups
    )


if __name__ == "__main__":
    main()
