#!/usr/bin/python
"""Reconcile a family of ECS task definition families in one run: one new revision per family only
on a real change."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ecs_task_definitions
short_description: Register revisions of several ECS task definition families in one task, only on change
description:
  - Reconciles each declared task definition family on its own (the declared definition
    compared with the family's latest C(ACTIVE) revision, both normalized the way ECS stores
    them; a new revision only on a real change; the I(keep_revisions) newest active revisions
    kept), in one module run (one process, one client) for the whole list.
  - The result has one entry per family in C(results) (its label as C(item), C(changed),
    C(changes), C(arn), C(revision)), and C(--diff) shows a before/after per family that differs.
  - With I(state=absent) every active revision of every listed family is deregistered.
  - One declared list is the whole family of resources; task definition families not in it are left alone.
options:
  task_definitions:
    description: The families, each reconciled on its own.
    type: list
    elements: dict
    required: true
    suboptions:
      family: {description: The task definition family., type: str, required: true}
      label:
        description: How C(results) (as C(item)) and C(task_definitions) name it (default its family).
        type: str
      container_definitions:
        description:
          - The container definitions in the RegisterTaskDefinition request shape (camelCase keys).
            Required with I(state=present).
        type: list
        elements: dict
      cpu: {description: Task CPU units (Fargate sizes)., type: str}
      memory: {description: Task memory in MiB., type: str}
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
      task_role_arn: {description: The role the containers' code runs with., type: str}
      runtime_platform: {description: C(cpuArchitecture) and C(operatingSystemFamily)., type: dict}
      keep_revisions:
        description: How many of the newest active revisions to keep; older ones are deregistered.
        type: int
        default: 5
      tags:
        description: Tags of the task definition (changing only tags registers no revision).
        type: dict
        default: {}
      purge_tags: {description: Remove tags not in I(tags)., type: bool, default: true}
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Reconcile the services' task definitions
  vf_ecs_task_definitions:
    task_definitions:
      - family: video-forge-gallery
        label: gallery
        cpu: "512"
        memory: "1024"
        execution_role_arn: "{{ execution_role_arn }}"
        container_definitions: "{{ lookup('ansible.builtin.template', 'gallery.json.j2') | from_json }}"
      - family: video-forge-streaming
        label: streaming
        cpu: "256"
        memory: "512"
        container_definitions: "{{ lookup('ansible.builtin.template', 'streaming.json.j2') | from_json }}"
  register: task_definitions
"""

RETURN = r"""
results:
  description:
    - Per family, in the declared order, its result (C(arn),
      C(revision), C(registered), C(deregistered)), with C(item) (its label), C(changed) and C(changes).
  returned: always
  type: list
  elements: dict
task_definitions:
  description: Label -> that family's result.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ecs import TASK_DEFINITION_OPTIONS, task_definition_plan
from ansible.module_utils.vf_ecs_aws import apply_task_definition, read_task_definition
from ansible.module_utils.vf_module import TAG_OPTIONS, family_items, module_args, reconcile_family

OPTIONS = {
    "task_definitions": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {**TASK_DEFINITION_OPTIONS, "label": {"type": "str"}, **TAG_OPTIONS},
    },
}


def main() -> None:
    """Reconcile the task definition families."""
    module = AnsibleModule(**module_args(OPTIONS, tags=False))
    required = ("container_definitions",)
    families = family_items(module, "task_definitions", "family", "task definition", required)
    reconcile_family(
        module,
        "task_definitions",
        ("state",),
        read_task_definition,
        task_definition_plan,
        apply_task_definition,
        items=families,
    )


if __name__ == "__main__":
    main()
