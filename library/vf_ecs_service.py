#!/usr/bin/python
"""Reconcile an ECS Fargate service without fighting its autoscaler."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ecs_service
short_description: Create, update or delete an ECS Fargate service and wait for a steady rollout
description:
  - Reconciles one ECS service - task definition, network configuration, load balancer
    attachment to target groups, Cloud Map registries, rolling update percentages, the
    deployment circuit breaker (with rollback), health check grace period.
  - The desired count is left alone when auto scaling owns it, either because
    I(desired_count_managed_by_autoscaling=true) or, by default, because an Application Auto
    Scaling scalable target is registered for the service. It is set on creation.
  - With I(wait=true) the module waits until the primary deployment is complete and alone, for
    up to I(wait_timeout) seconds (which may exceed ten minutes), and fails when the circuit
    breaker marks the rollout as failed.
  - Fields that AWS always returns for a service (C(deploymentConfiguration),
    C(healthCheckGracePeriodSeconds), C(enableExecuteCommand)) are treated as unknown, not as
    different, when a response lacks them (moto 5 drops them), so a re-run does not report a
    change forever. Fields AWS may omit are compared with their default.
options:
  name:
    description: The service name.
    type: str
    required: true
  cluster:
    description: The cluster name or ARN.
    type: str
    required: true
  task_definition:
    description:
      - C(family), C(family:revision) or a task definition ARN.
      - C(family) means its latest active revision.
    type: str
  desired_count:
    description: Number of tasks (set on creation; afterwards only when autoscaling does not own it).
    type: int
    default: 1
  desired_count_managed_by_autoscaling:
    description:
      - C(true) leaves the desired count of an existing service alone, C(false) always reconciles it,
        C(auto) leaves it alone when a scalable target is registered for the service.
    type: str
    choices: ['auto', 'true', 'false']
    default: auto
  launch_type:
    description: The launch type.
    type: str
    default: FARGATE
  platform_version:
    description: The Fargate platform version (C(LATEST) when not given).
    type: str
  subnets:
    description: Subnets of the tasks' network interfaces.
    type: list
    elements: str
    default: []
  security_groups:
    description: Security groups of the tasks.
    type: list
    elements: str
    default: []
  assign_public_ip:
    description: Give the tasks a public IP (needed in public subnets without a NAT to pull images).
    type: bool
    default: false
  load_balancers:
    description: Target groups the tasks register in.
    type: list
    elements: dict
    default: []
    suboptions:
      target_group_arn:
        description: The target group's ARN.
        type: str
        required: true
      container_name:
        description: The container that receives the traffic.
        type: str
        required: true
      container_port:
        description: The container port.
        type: int
        required: true
  service_registries:
    description: Cloud Map services the tasks register in.
    type: list
    elements: dict
    default: []
    suboptions:
      registry_arn:
        description: The Cloud Map service ARN.
        type: str
        required: true
      container_name:
        description: Container (for SRV records).
        type: str
      container_port:
        description: Container port (for SRV records).
        type: int
  minimum_healthy_percent:
    description: Rolling update lower bound.
    type: int
    default: 100
  maximum_percent:
    description: Rolling update upper bound.
    type: int
    default: 200
  circuit_breaker:
    description: Enable the deployment circuit breaker.
    type: bool
    default: true
  rollback:
    description: Roll back to the last completed deployment when the circuit breaker trips.
    type: bool
    default: true
  health_check_grace_period:
    description: Seconds the scheduler ignores load balancer health checks after a task starts.
    type: int
  enable_execute_command:
    description: Allow ECS Exec.
    type: bool
    default: false
  propagate_tags:
    description: Propagate tags to tasks.
    type: str
    choices: [SERVICE, TASK_DEFINITION, NONE]
    default: SERVICE
  force_new_deployment:
    description: Force a new deployment even when nothing changed (always reports changed).
    type: bool
    default: false
  wait:
    description: Wait for a steady deployment after a change.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait (may exceed ten minutes).
    type: int
    default: 900
  state:
    description: C(present) or C(absent) (scaled to zero, deleted, waited until inactive).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the service.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: Reconcile the gallery service
  vf_ecs_service:
    name: gallery
    cluster: video-forge
    task_definition: video-forge-gallery
    desired_count: 1
    subnets: [subnet-1, subnet-2]
    security_groups: [sg-1]
    load_balancers:
      - {target_group_arn: "{{ tg_arn }}", container_name: gallery, container_port: 3000}
    service_registries:
      - registry_arn: "{{ cloud_map.services.gallery.arn }}"
    wait_timeout: 1200
"""

RETURN = r"""
arn:
  description: The service ARN.
  returned: when it exists
  type: str
task_definition:
  description: The task definition ARN the service runs (or would, in check mode).
  returned: when state=present
  type: str
desired_count:
  description: The desired count after the run.
  returned: when state=present
  type: int
desired_count_managed_by_autoscaling:
  description: Whether the desired count was left to the autoscaler.
  returned: when state=present
  type: bool
deployment_state:
  description: C(steady), C(in_progress) or C(failed) after the run.
  returned: when state=present
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ecs_aws import apply_service, read_service
from ansible.module_utils.vf_ecs_services import SERVICE_OPTIONS, service_plan
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile one ECS service."""
    module = AnsibleModule(
        **module_args(SERVICE_OPTIONS, required_if=[("state", "present", ["task_definition"])])
    )
    reconcile(module, read_service, service_plan, apply_service)


if __name__ == "__main__":
    main()
