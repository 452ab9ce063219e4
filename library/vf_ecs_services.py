#!/usr/bin/python
"""Reconcile a family of ECS Fargate services of one cluster in one run, without fighting their
autoscaler."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ecs_services
short_description: Create, update or delete several ECS Fargate services of one cluster in one task
description:
  - Reconciles each declared service on its own (task definition,
    network configuration, target groups, Cloud Map registries, rolling update percentages, the
    circuit breaker, the health check grace period, tags; the desired count left alone when auto
    scaling owns it), in one module run (one process, one client) for the whole list.
  - A service with I(wait=true) is waited for before the next one
    is reconciled; a failed rollout fails the task naming the service.
  - The result has one entry per service in C(results) (its label as C(item), C(changed),
    C(changes), C(arn), C(task_definition)), and C(--diff) shows a before/after per service that differs.
  - One declared list is the whole family; services of the cluster not in it are left alone.
options:
  cluster:
    description: The cluster name or ARN of every service.
    type: str
    required: true
  services:
    description: The services, each reconciled on its own in I(cluster).
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: The service name., type: str, required: true}
      label:
        description: How C(results) (as C(item)) and C(services) name this service (default its name).
        type: str
      task_definition:
        description:
          - C(family), C(family:revision) or a task definition ARN (C(family) is its latest active
            revision). Required with I(state=present).
        type: str
      desired_count:
        description: Number of tasks (set on creation; afterwards only when autoscaling does not own it).
        type: int
        default: 1
      desired_count_managed_by_autoscaling:
        description:
          - C(true) leaves the desired count of an existing service alone, C(false) always reconciles
            it, C(auto) leaves it alone when a scalable target is registered for the service.
        type: str
        choices: ['auto', 'true', 'false']
        default: auto
      launch_type: {description: The launch type., type: str, default: FARGATE}
      platform_version: {description: The Fargate platform version (C(LATEST) when not given)., type: str}
      subnets: {description: Subnets of the tasks., type: list, elements: str, default: []}
      security_groups: {description: Security groups of the tasks., type: list, elements: str, default: []}
      assign_public_ip: {description: Give the tasks a public IP., type: bool, default: false}
      load_balancers:
        description: Target groups the tasks register in.
        type: list
        elements: dict
        default: []
        suboptions:
          target_group_arn: {description: The target group's ARN., type: str, required: true}
          container_name: {description: The container that receives the traffic., type: str, required: true}
          container_port: {description: The container port., type: int, required: true}
      service_registries:
        description: Cloud Map services the tasks register in.
        type: list
        elements: dict
        default: []
        suboptions:
          registry_arn: {description: The Cloud Map service ARN., type: str, required: true}
          container_name: {description: Container (for SRV records)., type: str}
          container_port: {description: Container port (for SRV records)., type: int}
      minimum_healthy_percent: {description: Rolling update lower bound., type: int, default: 100}
      maximum_percent: {description: Rolling update upper bound., type: int, default: 200}
      circuit_breaker: {description: Enable the deployment circuit breaker., type: bool, default: true}
      rollback: {description: Roll back when the circuit breaker trips., type: bool, default: true}
      health_check_grace_period:
        description: Seconds the scheduler ignores load balancer health checks after a task starts.
        type: int
      enable_execute_command: {description: Allow ECS Exec., type: bool, default: false}
      propagate_tags:
        description: Propagate tags to tasks.
        type: str
        choices: [SERVICE, TASK_DEFINITION, NONE]
        default: SERVICE
      force_new_deployment:
        description: Force a new deployment even when nothing changed (always reports changed).
        type: bool
        default: false
      wait: {description: Wait for a steady deployment after a change., type: bool, default: true}
      wait_timeout: {description: Seconds to wait (may exceed ten minutes)., type: int, default: 900}
      tags: {description: Tags of the service., type: dict, default: {}}
      purge_tags: {description: Remove tags not in I(tags)., type: bool, default: true}
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Reconcile the services
  vf_ecs_services:
    cluster: video-forge
    services:
      - name: gallery
        task_definition: video-forge-gallery
        subnets: [subnet-1, subnet-2]
        security_groups: [sg-1]
        load_balancers:
          - {target_group_arn: "{{ gallery_tg_arn }}", container_name: gallery, container_port: 3000}
        wait_timeout: 1200
      - name: streaming
        task_definition: video-forge-streaming
        subnets: [subnet-1, subnet-2]
        security_groups: [sg-1]
        load_balancers:
          - {target_group_arn: "{{ streaming_tg_arn }}", container_name: streaming, container_port: 3001}
  register: services
"""

RETURN = r"""
results:
  description:
    - Per service, in the declared order, its result (C(arn),
      C(task_definition), C(desired_count), C(desired_count_managed_by_autoscaling),
      C(deployment_state)), with C(item) (its label), C(changed) and C(changes).
  returned: always
  type: list
  elements: dict
services:
  description: Label -> that service's result.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ecs_aws import apply_service, read_service
from ansible.module_utils.vf_ecs_services import SERVICE_OPTIONS, service_plan
from ansible.module_utils.vf_module import TAG_OPTIONS, family_items, module_args, reconcile_family

ITEM_OPTIONS = {k: v for k, v in SERVICE_OPTIONS.items() if k != "cluster"}
OPTIONS = {
    "cluster": SERVICE_OPTIONS["cluster"],
    "services": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {**ITEM_OPTIONS, "label": {"type": "str"}, **TAG_OPTIONS},
    },
}


def main() -> None:
    """Reconcile the cluster's declared services."""
    module = AnsibleModule(**module_args(OPTIONS, tags=False))
    services = family_items(module, "services", "name", "service", ("task_definition",), "a task_definition")
    reconcile_family(
        module, "services", ("cluster", "state"), read_service, service_plan, apply_service, items=services
    )


if __name__ == "__main__":
    main()
