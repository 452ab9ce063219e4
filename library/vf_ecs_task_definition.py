#!/usr/bin/python
"""Reconcile an ECS task definition family: one new revision only on a real change."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ecs_task_definition
short_description: Register an ECS task definition revision only when something really changed
description:
  - Compares the declared task definition with the family's latest C(ACTIVE) revision after
    normalizing both the way ECS stores them (C(essential=true), C(protocol=tcp),
    C(hostPort=containerPort) on C(awsvpc), health check defaults, empty lists dropped,
    environment and secrets in name order, cpu/memory as strings). A re-run registers nothing;
    any real change (an environment value, a secret, cpu/memory, roles, the health check, the
    image) registers exactly one new revision.
  - Keeps the I(keep_revisions) newest active revisions of the family and deregisters older ones.
  - With I(state=absent) every active revision of the family is deregistered.
options:
  family:
    description: The task definition family.
    type: str
    required: true
  container_definitions:
    description:
      - The container definitions in the RegisterTaskDefinition request shape (camelCase keys),
        typically rendered from a template. Secrets go in C(secrets) with C(valueFrom), never in
        C(environment).
    type: list
    elements: dict
  cpu:
    description: Task CPU units (Fargate sizes, e.g. C(256)).
    type: str
  memory:
    description: Task memory in MiB (e.g. C(512)).
    type: str
  network_mode:
    description: The network mode.
    type: str
    default: awsvpc
    choices: [awsvpc, bridge, host, none]
  requires_compatibilities:
    description: Launch types the task definition is validated for.
    type: list
    elements: str
    default: [FARGATE]
  execution_role_arn:
    description: The role ECS uses to pull images, read secrets and write logs.
    type: str
  task_role_arn:
    description: The role the containers' code runs with.
    type: str
  runtime_platform:
    description: C(cpuArchitecture) and C(operatingSystemFamily).
    type: dict
  keep_revisions:
    description: How many of the newest active revisions to keep; older ones are deregistered.
    type: int
    default: 5
  state:
    description: C(present) to reconcile, C(absent) to deregister every active revision.
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the task definition (changing only tags registers no revision).
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
- name: Reconcile the gallery task definition
  vf_ecs_task_definition:
    family: video-forge-gallery
    cpu: "512"
    memory: "1024"
    execution_role_arn: "{{ execution_role.arn }}"
    task_role_arn: "{{ gallery_role.arn }}"
    container_definitions: "{{ lookup('ansible.builtin.template', 'containers.json.j2') | from_json }}"
    keep_revisions: 5
"""

RETURN = r"""
arn:
  description: The ARN of the revision that is current after the run.
  returned: when state=present
  type: str
revision:
  description: The current revision number (the one that would be registered in check mode).
  returned: when state=present
  type: int
registered:
  description: Whether a new revision was (or would be) registered.
  returned: always
  type: bool
changes:
  description: Dotted paths of what differs (C(containerDefinitions.web.environment), C(cpu)...).
  returned: always
  type: list
  elements: str
deregistered:
  description: ARNs of revisions deregistered (or that would be).
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
from ansible.module_utils.vf_ecs import (
    family_revisions_to_deregister,
    normalize_task_definition,
    task_definition_changes,
)


def read_latest(ecs, family: str) -> tuple[dict | None, dict]:
    try:
        resp = ecs.call("describe_task_definition", taskDefinition=family, include=["TAGS"])
    except AwsError as err:
        # ECS answers ClientException "Unable to describe task definition" for an unknown family.
        if err.code in ("ClientException", "InvalidParameterException"):
            return None, {}
        raise
    td = resp["taskDefinition"]
    if td.get("status") != "ACTIVE":
        return None, {}
    return td, tags_to_dict(resp.get("tags"), "key", "value")


def active_arns(ecs, family: str) -> list[str]:
    return ecs.paginate(
        "list_task_definitions", "taskDefinitionArns", familyPrefix=family, status="ACTIVE", sort="DESC"
    )


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        family={"type": "str", "required": True},
        container_definitions={"type": "list", "elements": "dict"},
        cpu={"type": "str"},
        memory={"type": "str"},
        network_mode={"type": "str", "default": "awsvpc", "choices": ["awsvpc", "bridge", "host", "none"]},
        requires_compatibilities={"type": "list", "elements": "str", "default": ["FARGATE"]},
        execution_role_arn={"type": "str"},
        task_role_arn={"type": "str"},
        runtime_platform={"type": "dict"},
        keep_revisions={"type": "int", "default": 5},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(
        argument_spec=spec,
        supports_check_mode=True,
        required_if=[("state", "present", ["container_definitions"])],
    )
    require_boto3(module.fail_json)
    p = module.params
    family = p["family"]
    ecs = connect_from_params("ecs", p)
    result: dict = {
        "family": family,
        "changed": False,
        "changes": [],
        "registered": False,
        "deregistered": [],
    }
    try:
        current, current_tags = read_latest(ecs, family)
        if p["state"] == "absent":
            arns = family_revisions_to_deregister(active_arns(ecs, family), family, 0)
            if arns:
                result.update(changed=True, changes=["delete"], deregistered=arns)
                result["diff"] = {"before": {"active_revisions": arns}, "after": {"active_revisions": []}}
                if not module.check_mode:
                    for arn in arns:
                        ecs.call("deregister_task_definition", taskDefinition=arn)
            module.exit_json(**result)

        desired = {
            "family": family,
            "containerDefinitions": p["container_definitions"],
            "networkMode": p["network_mode"],
            "requiresCompatibilities": p["requires_compatibilities"],
            "cpu": p["cpu"],
            "memory": p["memory"],
            "executionRoleArn": p["execution_role_arn"],
            "taskRoleArn": p["task_role_arn"],
            "runtimePlatform": p["runtime_platform"],
        }
        desired = {k: v for k, v in desired.items() if v not in (None, [], {})}
        changes = task_definition_changes(current, desired)
        # Computed before registering: a new revision counts as one of the kept ones.
        keep = max(p["keep_revisions"], 1) - (1 if changes else 0)
        stale = family_revisions_to_deregister(active_arns(ecs, family), family, keep)
        to_set, to_remove = tag_changes(current_tags, p["tags"], p["purge_tags"])
        result["changes"] = changes + (["tags"] if current is not None and (to_set or to_remove) else [])
        arn = (current or {}).get("taskDefinitionArn")
        revision = (current or {}).get("revision", 0)
        if changes:
            result["registered"] = True
            result["diff"] = {
                "before": normalize_task_definition(current) if current else {},
                "after": normalize_task_definition(desired),
            }
            revision = revision + 1 if current else None
            if not module.check_mode:
                extra = {"tags": dict_to_tags(p["tags"], "key", "value")} if p["tags"] else {}
                registered = ecs.call(
                    "register_task_definition", **normalize_task_definition(desired), **extra
                )["taskDefinition"]
                arn, revision = registered["taskDefinitionArn"], registered["revision"]
        elif to_set or to_remove:
            if not module.check_mode:
                if to_remove:
                    ecs.call("untag_resource", resourceArn=arn, tagKeys=to_remove)
                if to_set:
                    ecs.call("tag_resource", resourceArn=arn, tags=dict_to_tags(to_set, "key", "value"))
        result["changed"] = bool(result["changes"])
        if stale:
            result.update(changed=True, deregistered=stale)
            if not module.check_mode:
                for old in stale:
                    ecs.call("deregister_task_definition", taskDefinition=old)
        module.exit_json(**result, arn=arn, revision=revision)
    except AwsError as err:
        fail_with(module.fail_json, err, family=family)


if __name__ == "__main__":
    main()
