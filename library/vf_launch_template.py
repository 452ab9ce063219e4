#!/usr/bin/python
"""Reconcile an EC2 launch template: a new version only on a real change, made the default."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: vf_launch_template
short_description: Create or update an EC2 launch template, one version per real change
description:
  - Compares the declared launch template data with the default version (user data decoded,
    lists sorted, only the declared metadata options) and creates a new version only when it
    differs, then makes it the default version.
  - Every new version carries the complete data rather than a C(SourceVersion) delta, so the
    result does not depend on inheritance (which moto does not implement).
  - The module base64-encodes I(user_data) itself - pass the rendered script as text.
  - The AMI is taken from I(image_id) or looked up in the public SSM parameter
    I(image_ssm_parameter) (Amazon Linux 2023 by default). A newer AMI is a real change.
options:
  name:
    description: The launch template name.
    type: str
    required: true
  image_id:
    description: The AMI; when omitted it is read from I(image_ssm_parameter).
    type: str
  image_ssm_parameter:
    description: Public SSM parameter naming the AMI.
    type: str
    default: /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64
  instance_type:
    description: The instance type.
    type: str
  user_data:
    description: The user data as text (encoded by the module).
    type: str
    default: ""
  iam_instance_profile:
    description: Instance profile name or ARN.
    type: str
  security_group_ids:
    description: Security groups of the instances.
    type: list
    elements: str
    default: []
  key_name:
    description: SSH key pair name.
    type: str
  require_imdsv2:
    description: Require IMDSv2 tokens.
    type: bool
    default: true
  monitoring:
    description: Detailed monitoring.
    type: bool
    default: false
  instance_tags:
    description: Tags given to instances and volumes launched from the template.
    type: dict
    default: {}
  block_devices:
    description:
      - EBS volumes the instances get besides the image's root volume (the processor's work
        volume, sized from the largest upload in the model).
      - Each is encrypted and deleted with its instance unless said otherwise.
    type: list
    elements: dict
    default: []
    suboptions:
      device_name: {description: The device (C(/dev/xvdb))., type: str, required: true}
      volume_size: {description: Size in GiB., type: int, required: true}
      volume_type: {description: The EBS volume type., type: str, default: gp3}
      encrypted: {description: Encrypt the volume (the account's EBS key)., type: bool, default: true}
      delete_on_termination: {description: Delete the volume with the instance., type: bool, default: true}
  tags:
    description: Tags of the launch template itself.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws, vf_aws.state]
author: VideoForge
"""

EXAMPLES = r"""
- name: Launch template of the processor
  vf_launch_template:
    name: video-forge-dev-processor
    instance_type: t3.medium
    user_data: "{{ lookup('ansible.builtin.template', 'processor-user-data.sh.j2') }}"
    iam_instance_profile: video-forge-dev-processor
    security_group_ids: [sg-123]
"""

RETURN = r"""
id:
  description: The launch template id.
  returned: when it exists
  type: str
default_version:
  description: The default version after the run (in check mode, the version that would be created).
  returned: when state=present
  type: int
latest_version:
  description: The latest version after the run.
  returned: when state=present
  type: int
image_id:
  description: The AMI used.
  returned: when state=present
  type: str
"""


from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_ec2 import launch_template_plan
from ansible.module_utils.vf_ec2_aws import apply_launch_template, read_launch_template
from ansible.module_utils.vf_module import module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "image_id": {"type": "str"},
    "image_ssm_parameter": {
        "type": "str",
        "default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    },
    "instance_type": {"type": "str"},
    "user_data": {"type": "str", "default": ""},
    "iam_instance_profile": {"type": "str"},
    "security_group_ids": {"type": "list", "elements": "str", "default": []},
    "key_name": {"type": "str", "no_log": False},
    "require_imdsv2": {"type": "bool", "default": True},
    "monitoring": {"type": "bool", "default": False},
    "instance_tags": {"type": "dict", "default": {}},
    "block_devices": {
        "type": "list",
        "elements": "dict",
        "default": [],
        "options": {
            "device_name": {"type": "str", "required": True},
            "volume_size": {"type": "int", "required": True},
            "volume_type": {"type": "str", "default": "gp3"},
            "encrypted": {"type": "bool", "default": True},
            "delete_on_termination": {"type": "bool", "default": True},
        },
    },
    "tags": {"type": "dict", "default": {}},
}


def main() -> None:
    """Reconcile one launch template."""
    module = AnsibleModule(
        **module_args(OPTIONS, tags=False, required_if=[("state", "present", ["instance_type"])])
    )
    reconcile(module, read_launch_template, launch_template_plan, apply_launch_template)


if __name__ == "__main__":
    main()
