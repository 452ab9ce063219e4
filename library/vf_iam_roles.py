#!/usr/bin/python
"""Reconcile a family of IAM roles (trust, inline and managed policies, instance profile) in one run."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_iam_roles
short_description: Create, update, read or delete several IAM roles in one task
description:
  - Reconciles each declared role on its own (trust policy, inline
    policies compared with C(canonical_json), managed policies, an instance profile of the same
    name, description, session duration, tags), in one module run (one process, one client,
    one account lookup) for the whole list.
  - With I(state=read) nothing changes; with I(state=absent) every role is deleted
    (instance profile and policies first).
  - The result has one entry per role in C(results) (its name as C(item), C(changed),
    C(changes)), and C(--diff) shows a before/after per role that differs.
  - One declared list is the whole family; roles not in it are left alone.
options:
  roles:
    description: The roles, each reconciled on its own.
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: The role name (and the instance profile name)., type: str, required: true}
      path: {description: The role path., type: str, default: /}
      assume_role_policy:
        description: The trust policy document (a dict). Required with I(state=present).
        type: dict
      inline_policies:
        description: Inline policies by name (dict of policy documents).
        type: dict
        default: {}
      managed_policy_arns: {description: Managed policies to attach., type: list, elements: str, default: []}
      purge_policies:
        description: Remove inline and managed policies that are not declared.
        type: bool
        default: true
      instance_profile:
        description: Keep an instance profile of the same name holding the role.
        type: bool
        default: false
      description: {description: The role description., type: str, default: ""}
      max_session_duration: {description: Maximum session duration in seconds., type: int, default: 3600}
      tags: {description: Tags of the role., type: dict, default: {}}
  state:
    description: C(present), C(absent) or C(read), for every role.
    type: str
    choices: [present, absent, read]
    default: present
extends_documentation_fragment: [vf_aws]
author: VideoForge
"""

EXAMPLES = r"""
- name: Task roles of the services and the processor's role and instance profile
  vf_iam_roles:
    roles:
      - name: video-forge-dev-streaming-task
        assume_role_policy: "{{ ecs_trust }}"
        inline_policies:
          media: "{{ lookup('ansible.builtin.template', 'streaming-policy.json.j2') | from_json }}"
      - name: video-forge-dev-processor
        assume_role_policy: "{{ ec2_trust }}"
        inline_policies: {access: "{{ processor_policy }}"}
        instance_profile: true
  register: roles
"""

RETURN = r"""
results:
  description:
    - Per role, in the declared order, its result (C(arn), C(account_id),
      C(exists), C(inline_policies), C(instance_profile_arn)), with C(item) (its name),
      C(changed) and C(changes).
  returned: always
  type: list
  elements: dict
roles:
  description: Name -> that role's result.
  returned: always
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_iam import ROLE_OPTIONS, role_plan
from ansible.module_utils.vf_iam_aws import apply_role, read_role
from ansible.module_utils.vf_module import family_items, module_args, reconcile_family

OPTIONS = {
    "roles": {
        "type": "list",
        "elements": "dict",
        "required": True,
        "options": {k: v for k, v in ROLE_OPTIONS.items() if k != "state"},
    },
    "state": ROLE_OPTIONS["state"],
}


def main() -> None:
    """Reconcile (or read) the roles."""
    module = AnsibleModule(**module_args(OPTIONS, state=False, tags=False))
    roles = family_items(module, "roles", "name", "role", ("assume_role_policy",), "an assume_role_policy")
    reconcile_family(module, "roles", ("state",), read_role, role_plan, apply_role, items=roles)


if __name__ == "__main__":
    main()
