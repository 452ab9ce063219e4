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
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
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
deregistered:
  description: ARNs of revisions deregistered (or that would be).
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ecs import TASK_DEFINITION_OPTIONS, task_definition_plan
from ansible.module_utils.vf_ecs_aws import apply_task_definition, read_task_definition
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile one task definition family."""
    required = [("state", "present", ["container_definitions"])]
    module = AnsibleModule(**module_args(TASK_DEFINITION_OPTIONS, required_if=required))
    reconcile(module, read_task_definition, task_definition_plan, apply_task_definition)


if __name__ == "__main__":
    main()
