#!/usr/bin/python
"""Reconcile an ECR repository (immutable tags, scan on push)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ecr_repository
short_description: Create, update or delete an ECR repository
description:
  - Reconciles one repository's tag mutability, scan-on-push setting and tags.
  - Image tags are immutable by default - a tag (the git commit) always names the same image.
options:
  name:
    description: The repository name.
    type: str
    required: true
  image_tag_mutability:
    description: C(IMMUTABLE) or C(MUTABLE).
    type: str
    choices: [IMMUTABLE, MUTABLE]
    default: IMMUTABLE
  scan_on_push:
    description: Scan images when pushed.
    type: bool
    default: true
  image_tag:
    description: A tag to look up; the result says whether the repository holds it (C(image_exists)).
    type: str
  return_login:
    description: Return a registry login (C(login.username), C(login.password), C(login.registry)).
    type: bool
    default: false
  force_delete:
    description: With I(state=absent), delete the repository even when it holds images.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws, vf_aws.state, vf_aws.tags]
author: VideoForge
"""

EXAMPLES = r"""
- name: Repository for the gallery image
  vf_ecr_repository:
    name: video-forge/gallery
"""

RETURN = r"""
arn:
  description: The repository ARN.
  returned: when it exists
  type: str
image_exists:
  description: Whether I(image_tag) is in the repository (tags are immutable, so it need not be pushed again).
  returned: when I(image_tag) is given
  type: bool
login:
  description: Registry credentials (only with I(return_login=true); never logged).
  returned: when I(return_login=true)
  type: dict
uri:
  description: The repository URI (registry/name) to tag and push images to.
  returned: when it exists
  type: str
"""


from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ecr import repository_plan
from ansible.module_utils.vf_ecr_aws import apply_repository, read_repository
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "image_tag_mutability": {"type": "str", "choices": ["IMMUTABLE", "MUTABLE"], "default": "IMMUTABLE"},
    "scan_on_push": {"type": "bool", "default": True},
    "image_tag": {"type": "str"},
    "return_login": {"type": "bool", "default": False},
    "force_delete": {"type": "bool", "default": True},
}


def main() -> None:
    """Reconcile one ECR repository."""
    module = AnsibleModule(**module_args(OPTIONS))
    reconcile(module, read_repository, repository_plan, apply_repository)


if __name__ == "__main__":
    main()
