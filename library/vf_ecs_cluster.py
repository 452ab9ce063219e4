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
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the cluster.
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
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
    tag_changes,
    tags_to_dict,
)


def cluster_changes(current: dict | None, desired: dict) -> list[str]:
    """What differs between describe_clusters' entry (with TAGS, SETTINGS) and the declared cluster."""
    if current is None:
        return ["create"]
    changes = []
    settings = {s["name"]: s["value"] for s in current.get("settings") or []}
    # AWS always returns the containerInsights setting; when absent, it is the account default.
    if settings.get("containerInsights", "disabled") != desired["container_insights"]:
        changes.append("container_insights")
    if desired["capacity_providers"] and sorted(current.get("capacityProviders") or []) != sorted(
        desired["capacity_providers"]
    ):
        changes.append("capacity_providers")
    to_set, to_remove = tag_changes(
        tags_to_dict(current.get("tags"), "key", "value"), desired["tags"], desired["purge_tags"]
    )
    if to_set or to_remove:
        changes.append("tags")
    return changes


def describe(ecs, name: str) -> dict | None:
    resp = ecs.call("describe_clusters", clusters=[name], include=["TAGS", "SETTINGS"])
    for c in resp.get("clusters", []):
        if c.get("status") == "ACTIVE":
            return c
    return None


def summary(c: dict | None) -> dict:
    if not c:
        return {}
    return {
        "container_insights": {s["name"]: s["value"] for s in c.get("settings") or []}.get(
            "containerInsights"
        ),
        "capacity_providers": sorted(c.get("capacityProviders") or []),
        "tags": tags_to_dict(c.get("tags"), "key", "value"),
    }


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        container_insights={
            "type": "str",
            "choices": ["enabled", "disabled", "enhanced"],
            "default": "enabled",
        },
        capacity_providers={"type": "list", "elements": "str", "default": ["FARGATE", "FARGATE_SPOT"]},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    ecs = connect_from_params("ecs", p)
    result: dict = {"name": name, "changed": False, "changes": []}
    try:
        current = describe(ecs, name)
        if p["state"] == "absent":
            if current:
                result.update(
                    changed=True, changes=["delete"], diff={"before": summary(current), "after": {}}
                )
                if not module.check_mode:
                    ecs.call("delete_cluster", cluster=name)
            module.exit_json(**result)
        changes = cluster_changes(current, p)
        result["changes"] = changes
        after = {
            "container_insights": p["container_insights"],
            "capacity_providers": sorted(p["capacity_providers"]),
            "tags": dict(p["tags"]),
        }
        if changes:
            result.update(changed=True, diff={"before": summary(current), "after": after})
        if module.check_mode or not changes:
            module.exit_json(**result, arn=(current or {}).get("clusterArn"))
        settings = [{"name": "containerInsights", "value": p["container_insights"]}]
        if "create" in changes:
            req = {"clusterName": name, "settings": settings}
            if p["capacity_providers"]:
                req["capacityProviders"] = p["capacity_providers"]
            if p["tags"]:
                req["tags"] = dict_to_tags(p["tags"], "key", "value")
            current = ecs.call("create_cluster", **req)["cluster"]
            module.exit_json(**result, arn=current["clusterArn"])
        arn = current["clusterArn"]
        if "container_insights" in changes:
            ecs.call("update_cluster_settings", cluster=name, settings=settings)
        if "capacity_providers" in changes:
            ecs.call(
                "put_cluster_capacity_providers",
                cluster=name,
                capacityProviders=p["capacity_providers"],
                defaultCapacityProviderStrategy=[],
            )
        if "tags" in changes:
            to_set, to_remove = tag_changes(
                tags_to_dict(current.get("tags"), "key", "value"), p["tags"], p["purge_tags"]
            )
            if to_remove:
                ecs.call("untag_resource", resourceArn=arn, tagKeys=to_remove)
            if to_set:
                ecs.call("tag_resource", resourceArn=arn, tags=dict_to_tags(to_set, "key", "value"))
        module.exit_json(**result, arn=arn)
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
