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
from ansible.module_utils.vf_aws import dict_to_tags
from ansible.module_utils.vf_ecs_services import cluster_plan
from ansible.module_utils.vf_module import apply_tags, module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "container_insights": {
        "type": "str",
        "choices": ["enabled", "disabled", "enhanced"],
        "default": "enabled",
    },
    "capacity_providers": {"type": "list", "elements": "str", "default": ["FARGATE", "FARGATE_SPOT"]},
}


def read(aws, p: dict) -> dict | None:
    """The ACTIVE cluster of that name with its tags and settings, or None."""
    resp = aws("ecs").call("describe_clusters", clusters=[p["name"]], include=["TAGS", "SETTINGS"])
    return next((c for c in resp.get("clusters", []) if c.get("status") == "ACTIVE"), None)


def apply(aws, plan, p: dict) -> dict:
    """Create, or update the cluster's settings, capacity providers and tags."""
    ecs, name, changes = aws("ecs"), p["name"], plan.changes
    settings = [{"name": "containerInsights", "value": p["container_insights"]}]
    if "create" in changes:
        req = {"clusterName": name, "settings": settings}
        if p["capacity_providers"]:
            req["capacityProviders"] = p["capacity_providers"]
        if p["tags"]:
            req["tags"] = dict_to_tags(p["tags"], "key", "value")
        return {"arn": ecs.call("create_cluster", **req)["cluster"]["clusterArn"]}
    if "container_insights" in changes:
        ecs.call("update_cluster_settings", cluster=name, settings=settings)
    if "capacity_providers" in changes:
        ecs.call(
            "put_cluster_capacity_providers",
            cluster=name,
            capacityProviders=p["capacity_providers"],
            defaultCapacityProviderStrategy=[],
        )
    tags = plan.steps["tags"]
    apply_tags(ecs, "ecs", plan.result["arn"], tags["set"], tags["remove"])
    return {}


def main() -> None:
    """Reconcile one ECS cluster."""
    module = AnsibleModule(**module_args(OPTIONS))
    reconcile(module, read, cluster_plan, apply)


if __name__ == "__main__":
    main()
