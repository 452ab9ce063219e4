#!/usr/bin/python
"""Find which image tags an ECR registry holds (read only)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_ecr_images_info
short_description: Find which of a list of image tags are pushed to ECR
description:
  - For each C(<repository>:<tag>) of I(images), asks ECR whether the repository holds the tag
    (C(DescribeImages) with the tag as its image id), so a deployment can refuse to point its
    services at an image that is not there.
  - A missing repository counts as a missing image. Never changes anything.
options:
  images:
    description: The images, each C(<repository name>:<tag>) (the repository name without the registry).
    type: list
    elements: str
    required: true
  registry_id:
    description:
      - The AWS account of the registry (the first label of C(<account>.dkr.ecr.<region>.amazonaws.com)).
      - The caller's account when left out.
    type: str
extends_documentation_fragment: [vf_aws]
author: VideoForge
"""

EXAMPLES = r"""
- name: Find which of the services' images are pushed
  vf_ecr_images_info:
    images: [video-forge-dev/gallery:0123456789ab, video-forge-dev/streaming:0123456789ab]
    registry_id: "123456789012"
  register: pushed
"""

RETURN = r"""
found:
  description: The images the registry holds, in the order given.
  returned: always
  type: list
  elements: str
missing:
  description: The images it does not hold (or whose repository does not exist), in the order given.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ecr import images_plan
from ansible.module_utils.vf_ecr_aws import read_images
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "images": {"type": "list", "elements": "str", "required": True},
    "registry_id": {"type": "str"},
}


def main() -> None:
    """Read which images are pushed."""
    module = AnsibleModule(**module_args(OPTIONS, state=False, tags=False))
    reconcile(module, read_images, images_plan)


if __name__ == "__main__":
    main()
