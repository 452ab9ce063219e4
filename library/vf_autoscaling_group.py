#!/usr/bin/python
"""Reconcile an EC2 Auto Scaling Group; roll its instances when the launch template changes."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_autoscaling_group
short_description: Create, update or delete an Auto Scaling Group, with an instance refresh on change
description:
  - Reconciles one group - size (min/max/desired), launch template and version, subnets, health
    check, group metrics collection, tags (propagated to instances).
  - When the launch template version it uses changes (e.g. a new default version number was
    passed), an instance refresh is started (unless one is already running) so running
    instances are replaced by ones from the new version.
  - With I(preserve_desired_capacity=true) an existing group's desired capacity is left to its
    scaling policies unless it falls outside min/max.
  - C(DefaultInstanceWarmup) is compared only when I(default_instance_warmup) is declared (AWS
    omits it when unset; moto drops it, so do not declare it against moto).
options:
  name:
    description: The group name.
    type: str
    required: true
  launch_template:
    description: C(name) and C(version) (a number, C($Default) or C($Latest)).
    type: dict
  min_size:
    description: Minimum size.
    type: int
    default: 0
  max_size:
    description: Maximum size.
    type: int
    default: 1
  desired_capacity:
    description: Desired capacity (set on creation; see I(preserve_desired_capacity)).
    type: int
  preserve_desired_capacity:
    description: Leave an existing group's desired capacity to its scaling policies.
    type: bool
    default: true
  subnets:
    description: Subnets of the group.
    type: list
    elements: str
    default: []
  health_check_type:
    description: C(EC2) or C(ELB).
    type: str
    default: EC2
  health_check_grace_period:
    description: Seconds.
    type: int
    default: 300
  default_instance_warmup:
    description: Seconds (compared only when given).
    type: int
  metrics:
    description: Group metrics to collect (backlog per instance reads C(GroupInServiceInstances)).
    type: list
    elements: str
    default: []
  instance_refresh:
    description:
      - Roll the instances with an instance refresh whenever any runs another launch template
        version than the group's (after a template change, or a refresh that did not finish).
      - A refresh that does not start fails the task; so does one that ends C(Failed),
        C(Cancelled) or rolled back (with I(instance_refresh_wait)).
      - Needs a numeric I(launch_template) version. An endpoint without the API (the emulator)
        is warned about and its instances keep their version.
    type: bool
    default: true
  min_healthy_percentage:
    description:
      - The share of capacity kept in service during a refresh. With 100 and
        I(max_healthy_percentage) 200, each replacement is launched and healthy before the
        instance it replaces is terminated, so even a single instance is never taken down first.
    type: int
    default: 100
  max_healthy_percentage:
    description: How far above the desired capacity a refresh may launch replacements.
    type: int
    default: 200
  instance_refresh_wait:
    description: Wait for the refresh to end (and fail unless it ends C(Successful)).
    type: bool
    default: true
  instance_refresh_timeout:
    description: Seconds to wait for a refresh.
    type: int
    default: 1800
  wait_timeout:
    description: Seconds to wait for the group to disappear with I(state=absent).
    type: int
    default: 600
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: The processor fleet
  vf_autoscaling_group:
    name: video-forge-dev-processor
    launch_template: {name: video-forge-dev-processor, version: "{{ lt.default_version }}"}
    min_size: 0
    max_size: 3
    desired_capacity: 1
    subnets: "{{ private_subnet_ids }}"
    metrics: [GroupInServiceInstances]
"""

RETURN = r"""
arn:
  description: The group ARN.
  returned: when it exists
  type: str
instance_refresh:
  description: The instance refresh this run started or followed (C(id), C(status)).
  returned: when one was started
  type: dict
desired_capacity:
  description: The desired capacity after the run.
  returned: when state=present
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import group_plan
from ansible.module_utils.vf_autoscaling_aws import apply_group, read_group
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "launch_template": {"type": "dict"},
    "min_size": {"type": "int", "default": 0},
    "max_size": {"type": "int", "default": 1},
    "desired_capacity": {"type": "int"},
    "preserve_desired_capacity": {"type": "bool", "default": True},
    "subnets": {"type": "list", "elements": "str", "default": []},
    "health_check_type": {"type": "str", "default": "EC2"},
    "health_check_grace_period": {"type": "int", "default": 300},
    "default_instance_warmup": {"type": "int"},
    "metrics": {"type": "list", "elements": "str", "default": []},
    "instance_refresh": {"type": "bool", "default": True},
    "min_healthy_percentage": {"type": "int", "default": 100},
    "max_healthy_percentage": {"type": "int", "default": 200},
    "instance_refresh_wait": {"type": "bool", "default": True},
    "instance_refresh_timeout": {"type": "int", "default": 1800},
    "wait_timeout": {"type": "int", "default": 600},
}


def main() -> None:
    """Reconcile one Auto Scaling Group."""
    module = AnsibleModule(**module_args(OPTIONS, required_if=[("state", "present", ["launch_template"])]))
    reconcile(module, read_group, group_plan, apply_group)


if __name__ == "__main__":
    main()
