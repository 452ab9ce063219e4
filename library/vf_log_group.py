#!/usr/bin/python
"""Reconcile a CloudWatch Logs log group (retention, tags)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_log_group
short_description: Create, update or delete a CloudWatch Logs log group
description:
  - Reconciles one log group's retention and tags. With I(state=absent) it is deleted.
options:
  name:
    description: The log group name.
    type: str
    required: true
  retention_days:
    description: Days to keep events (C(0) means never expire).
    type: int
    default: 30
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: Keep the gallery logs for 30 days
  vf_log_group:
    name: /ecs/video-forge-dev/gallery
    retention_days: 30
"""

RETURN = r"""
arn:
  description: The log group ARN (without the trailing C(:*)).
  returned: when it exists
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_logs import LOG_GROUP_OPTIONS, log_group_plan
from ansible.module_utils.vf_logs_aws import apply_log_group, read_log_group
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile one log group."""
    module = AnsibleModule(**module_args(LOG_GROUP_OPTIONS))
    reconcile(module, read_log_group, log_group_plan, apply_log_group)


if __name__ == "__main__":
    main()
