#!/usr/bin/python
"""Reconcile an ECS cluster (Container Insights, Fargate capacity providers, tags)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ecs_cluster
short_description: Create, update or delete an ECS cluster
description:
  - Reconciles one ECS cluster - the Container Insights setting, its capacity providers and tags.
  - With I(state=absent) the cluster is deleted; it must have no services left.
options:
  name:
    description: The cluster name.
    type: str
    required: true
  container_insights:
    description: The C(containerInsights) setting.
    type: str
    choices: [enabled, disabled, enhanced]
    default: enabled
  capacity_providers:
    description: Capacity providers of the cluster (empty leaves them alone).
    type: list
    elements: str
    default: [FARGATE, FARGATE_SPOT]
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: Reconcile the cluster
  vf_ecs_cluster:
    name: video-forge-dev
    container_insights: enabled
    tags: {Project: VideoForge}
"""

RETURN = r"""
arn:
  description: The cluster ARN.
  returned: when it exists
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ecs_aws import apply_cluster, read_cluster
from ansible.module_utils.vf_ecs_services import cluster_plan
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "container_insights": {
        "type": "str",
        "choices": ["enabled", "disabled", "enhanced"],
        "default": "enabled",
    },
    "capacity_providers": {"type": "list", "elements": "str", "default": ["FARGATE", "FARGATE_SPOT"]},
}


def main() -> None:
    """Reconcile one ECS cluster."""
    module = AnsibleModule(**module_args(OPTIONS))
    reconcile(module, read_cluster, cluster_plan, apply_cluster)


if __name__ == "__main__":
    main()
