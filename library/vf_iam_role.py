#!/usr/bin/python
"""Reconcile an IAM role: trust policy, inline policies, managed policies, instance profile."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_iam_role
short_description: Create, update, read or delete an IAM role with its inline policies
description:
  - Reconciles one role - its trust policy, inline policies (compared with C(canonical_json)
    so key order and formatting never report a change), attached managed policies, an
    instance profile of the same name (for EC2), description and tags.
  - With I(state=read) nothing changes; the result carries the role (if any) and the
    C(account_id) of the caller, which roles use to build least-privilege resource ARNs.
  - With I(state=absent) the role is detached from its instance profile, its policies removed,
    the instance profile deleted, then the role.
options:
  name:
    description: The role name (and the instance profile name).
    type: str
    required: true
  path:
    description: The role path.
    type: str
    default: /
  assume_role_policy:
    description: The trust policy document (a dict).
    type: dict
  inline_policies:
    description: Inline policies by name (dict of policy documents).
    type: dict
    default: {}
  managed_policy_arns:
    description: Managed policies to attach.
    type: list
    elements: str
    default: []
  purge_policies:
    description: Remove inline and managed policies that are not declared.
    type: bool
    default: true
  instance_profile:
    description: Keep an instance profile of the same name holding the role.
    type: bool
    default: false
  description:
    description: The role description.
    type: str
    default: ""
  max_session_duration:
    description: Maximum session duration in seconds.
    type: int
    default: 3600
  state:
    description: C(present), C(absent) or C(read).
    type: str
    choices: [present, absent, read]
    default: present
  tags:
    description: Tags of the role.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws]
author: VideoForge
"""

EXAMPLES = r"""
- name: Task role of the streaming service
  vf_iam_role:
    name: video-forge-dev-streaming-task
    assume_role_policy:
      Version: "2012-10-17"
      Statement:
        - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: "sts:AssumeRole"}
    inline_policies:
      media: "{{ lookup('ansible.builtin.template', 'streaming-policy.json.j2') | from_json }}"
"""

RETURN = r"""
arn:
  description: The role ARN.
  returned: when it exists
  type: str
instance_profile_arn:
  description: The instance profile ARN.
  returned: when I(instance_profile=true) and it exists
  type: str
account_id:
  description: The AWS account of the caller.
  returned: always
  type: str
inline_policies:
  description: The role's inline policy documents by name, as IAM returns them.
  returned: when it exists
  type: dict
exists:
  description: Whether the role exists (after the run).
  returned: always
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_iam import ROLE_OPTIONS, role_plan
from ansible.module_utils.vf_iam_aws import apply_role, read_role
from ansible.module_utils.vf_module import module_args, reconcile


def main() -> None:
    """Reconcile (or read) one IAM role."""
    module = AnsibleModule(
        **module_args(
            ROLE_OPTIONS, state=False, tags=False, required_if=[("state", "present", ["assume_role_policy"])]
        )
    )
    reconcile(module, read_role, role_plan, apply_role)


if __name__ == "__main__":
    main()
