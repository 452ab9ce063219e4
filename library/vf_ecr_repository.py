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
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
  tags:
    description: Tags of the repository.
    type: dict
    default: {}
  purge_tags:
    description: Remove tags that I(tags) does not list.
    type: bool
    default: true
extends_documentation_fragment: [vf_aws]
notes:
  - Supports check mode and diff mode. In check mode no call changes anything.
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
changes:
  description: What differs from the declared state.
  returned: always
  type: list
  elements: str
"""

import base64

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import (
    AwsError,
    aws_argument_spec,
    connect_from_params,
    dict_to_tags,
    fail_with,
    require_boto3,
    tag_changes,
    tags_to_dict,
)


def repository_changes(current: dict | None, desired: dict) -> list[str]:
    """``current`` is describe_repositories' entry plus ``tags`` (a dict)."""
    if current is None:
        return ["create"]
    changes = []
    if current.get("imageTagMutability", "MUTABLE") != desired["image_tag_mutability"]:
        changes.append("image_tag_mutability")
    scan = (current.get("imageScanningConfiguration") or {}).get("scanOnPush", False)
    if bool(scan) != desired["scan_on_push"]:
        changes.append("scan_on_push")
    to_set, to_remove = tag_changes(current.get("tags", {}), desired["tags"], desired["purge_tags"])
    if to_set or to_remove:
        changes.append("tags")
    return changes


def describe(ecr, name: str) -> dict | None:
    try:
        repo = ecr.call("describe_repositories", repositoryNames=[name])["repositories"][0]
    except AwsError as err:
        if err.code == "RepositoryNotFoundException":
            return None
        raise
    repo["tags"] = tags_to_dict(
        ecr.call("list_tags_for_resource", resourceArn=repo["repositoryArn"]).get("tags")
    )
    return repo


def extras(ecr, name: str, p: dict, exists: bool, no_log_values: set) -> dict:
    """The read-only extras: whether a tag is pushed, and a registry login."""
    out: dict = {}
    if p["image_tag"]:
        found = False
        if exists:
            try:
                ecr.call("describe_images", repositoryName=name, imageIds=[{"imageTag": p["image_tag"]}])
                found = True
            except AwsError as err:
                if err.code != "ImageNotFoundException":
                    raise
        out["image_exists"] = found
    if p["return_login"]:
        data = ecr.call("get_authorization_token")["authorizationData"][0]
        username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        no_log_values.add(password)
        out["login"] = {"username": username, "password": password, "registry": data["proxyEndpoint"]}
    return out


def summary(repo: dict | None) -> dict:
    if not repo:
        return {}
    return {
        "image_tag_mutability": repo.get("imageTagMutability"),
        "scan_on_push": (repo.get("imageScanningConfiguration") or {}).get("scanOnPush", False),
        "tags": repo.get("tags", {}),
    }


def main() -> None:
    spec = aws_argument_spec()
    spec.update(
        name={"type": "str", "required": True},
        image_tag_mutability={"type": "str", "choices": ["IMMUTABLE", "MUTABLE"], "default": "IMMUTABLE"},
        scan_on_push={"type": "bool", "default": True},
        image_tag={"type": "str"},
        return_login={"type": "bool", "default": False},
        force_delete={"type": "bool", "default": True},
        state={"type": "str", "choices": ["present", "absent"], "default": "present"},
        tags={"type": "dict", "default": {}},
        purge_tags={"type": "bool", "default": True},
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    require_boto3(module.fail_json)
    p = module.params
    name = p["name"]
    ecr = connect_from_params("ecr", p)
    result: dict = {"name": name, "changed": False, "changes": []}
    try:
        current = describe(ecr, name)
        if p["state"] == "absent":
            if current:
                result.update(
                    changed=True, changes=["delete"], diff={"before": summary(current), "after": {}}
                )
                if not module.check_mode:
                    ecr.call("delete_repository", repositoryName=name, force=p["force_delete"])
            module.exit_json(**result)
        changes = repository_changes(current, p)
        result["changes"] = changes
        if changes:
            after = {
                "image_tag_mutability": p["image_tag_mutability"],
                "scan_on_push": p["scan_on_push"],
                "tags": dict(p["tags"]),
            }
            result.update(changed=True, diff={"before": summary(current), "after": after})
        if module.check_mode or not changes:
            module.exit_json(
                **result,
                **extras(ecr, name, p, current is not None, module.no_log_values),
                arn=(current or {}).get("repositoryArn"),
                uri=(current or {}).get("repositoryUri"),
            )
        if "create" in changes:
            req = {
                "repositoryName": name,
                "imageTagMutability": p["image_tag_mutability"],
                "imageScanningConfiguration": {"scanOnPush": p["scan_on_push"]},
            }
            if p["tags"]:
                req["tags"] = dict_to_tags(p["tags"])
            current = ecr.call("create_repository", **req)["repository"]
            module.exit_json(
                **result,
                **extras(ecr, name, p, True, module.no_log_values),
                arn=current["repositoryArn"],
                uri=current["repositoryUri"],
            )
        arn = current["repositoryArn"]
        if "image_tag_mutability" in changes:
            ecr.call(
                "put_image_tag_mutability", repositoryName=name, imageTagMutability=p["image_tag_mutability"]
            )
        if "scan_on_push" in changes:
            ecr.call(
                "put_image_scanning_configuration",
                repositoryName=name,
                imageScanningConfiguration={"scanOnPush": p["scan_on_push"]},
            )
        if "tags" in changes:
            to_set, to_remove = tag_changes(current["tags"], p["tags"], p["purge_tags"])
            if to_remove:
                ecr.call("untag_resource", resourceArn=arn, tagKeys=to_remove)
            if to_set:
                ecr.call("tag_resource", resourceArn=arn, tags=dict_to_tags(to_set))
        module.exit_json(
            **result,
            **extras(ecr, name, p, True, module.no_log_values),
            arn=arn,
            uri=current["repositoryUri"],
        )
    except AwsError as err:
        fail_with(module.fail_json, err, name=name)


if __name__ == "__main__":
    main()
