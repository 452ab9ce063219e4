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
  state:
    description: C(present) or C(absent) (every version deleted).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the launch template itself.
    type: dict
    default: {}
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
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
changes:
  description: LaunchTemplateData keys that differ.
  returned: always
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_autoscaling import (
    encode_user_data,
    launch_template_data_changes,
    normalize_launch_template_data,
)
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
)


def describe(ec2, name: str) -> dict | None:
    try:
        return ec2.call("describe_launch_templates", LaunchTemplateNames=[name])["LaunchTemplates"][0]
    except AwsError as err:
        if "NotFound" in err.code or err.code == "InvalidLaunchTemplateName.NotFoundException":
            return None
        raise


def default_data(ec2, template_id: str) -> dict:
    versions = ec2.call(
        "describe_launch_template_versions", LaunchTemplateId=template_id, Versions=["$Default"]
    )
    return versions["LaunchTemplateVersions"][0]["LaunchTemplateData"]


def desired_data(p: dict, image_id: str) -> dict:
    data: dict = {"ImageId": image_id, "InstanceType": p["instance_type"]}
    if p["user_data"]:
        data["UserData"] = encode_user_data(p["user_data"])
    profile = p["iam_instance_profile"]
    if profile:
        data["IamInstanceProfile"] = {"Arn": profile} if profile.startswith("arn:") else {"Name": profile}
    if p["security_group_ids"]:
        data["SecurityGroupIds"] = p["security_group_ids"]
    if p["key_name"]:
        data["KeyName"] = p["key_name"]
    data["MetadataOptions"] = {
        "HttpTokens": "required" if p["require_imdsv2"] else "optional",
        "HttpEndpoint": "enabled",
    }
    if p["monitoring"]:
        data["Monitoring"] = {"Enabled": True}
    if p["instance_tags"]:
        data["TagSpecifications"] = [
            {"ResourceType": kind, "Tags": dict_to_tags(p["instance_tags"])}
            for kind in ("instance", "volume")
        ]
    return data


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        image_id={"type": "str"},
        image_ssm_parameter={
            "type": "str",
            "default": "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
        },
        instance_type={"type": "str"},
        user_data={"type": "str", "default": ""},
        iam_instance_profile={"type": "str"},
        security_group_ids={"type": "list", "elements": "str", "default": []},
        key_name={"type": "str", "no_log": False},
        require_imdsv2={"type": "bool", "default": True},
        monitoring={"type": "bool", "default": False},
        instance_tags={"type": "dict", "default": {}},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
    )
    module = AnsibleModule(
        argument_spec=spec, supports_check_mode=True, required_if=[("state", "present", ["instance_type"])]
    )
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    ec2 = connect_from_params("ec2", p)
    result: dict = {"name": name, "changed": False, "changes": []}
    try:
        current = describe(ec2, name)
        if p["state"] == "absent":
            if current:
                result.update(changed=True, changes=["delete"], id=current["LaunchTemplateId"])
                result["diff"] = {
                    "before": {"name": name, "latest_version": current["LatestVersionNumber"]},
                    "after": {},
                }
                if not module.check_mode:
                    ec2.call("delete_launch_template", LaunchTemplateId=current["LaunchTemplateId"])
            module.exit_json(**result)

        image_id = (
            p["image_id"]
            or connect_from_params("ssm", p).call("get_parameter", Name=p["image_ssm_parameter"])[
                "Parameter"
            ]["Value"]
        )
        data = desired_data(p, image_id)
        now = default_data(ec2, current["LaunchTemplateId"]) if current else None
        changes = launch_template_data_changes(now, data)
        result.update(changes=changes, image_id=image_id)
        default_version = int(current["DefaultVersionNumber"]) if current else 0
        latest_version = int(current["LatestVersionNumber"]) if current else 0
        if changes:
            result.update(
                changed=True,
                diff={
                    "before": normalize_launch_template_data(now) if now else {},
                    "after": normalize_launch_template_data(data),
                },
            )
        if module.check_mode or not changes:
            if changes:
                default_version = latest_version = latest_version + 1
            module.exit_json(
                **result,
                id=(current or {}).get("LaunchTemplateId"),
                default_version=default_version,
                latest_version=latest_version,
            )
        if current is None:
            req = {"LaunchTemplateName": name, "LaunchTemplateData": data}
            if p["tags"]:
                req["TagSpecifications"] = [
                    {"ResourceType": "launch-template", "Tags": dict_to_tags(p["tags"])}
                ]
            created = ec2.call("create_launch_template", **req)["LaunchTemplate"]
            module.exit_json(**result, id=created["LaunchTemplateId"], default_version=1, latest_version=1)
        version = ec2.call(
            "create_launch_template_version",
            LaunchTemplateId=current["LaunchTemplateId"],
            LaunchTemplateData=data,
        )["LaunchTemplateVersion"]["VersionNumber"]
        ec2.call(
            "modify_launch_template",
            LaunchTemplateId=current["LaunchTemplateId"],
            DefaultVersion=str(version),
        )
        module.exit_json(
            **result,
            id=current["LaunchTemplateId"],
            default_version=int(version),
            latest_version=int(version),
        )
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
