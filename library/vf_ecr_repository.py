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

import base64

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.vf_aws import AwsError, dict_to_tags, tags_to_dict
from ansible.module_utils.vf_ecr import repository_plan
from ansible.module_utils.vf_module import apply_tags, module_args, reconcile

OPTIONS = {
    "name": {"type": "str", "required": True},
    "image_tag_mutability": {"type": "str", "choices": ["IMMUTABLE", "MUTABLE"], "default": "IMMUTABLE"},
    "scan_on_push": {"type": "bool", "default": True},
    "image_tag": {"type": "str"},
    "return_login": {"type": "bool", "default": False},
    "force_delete": {"type": "bool", "default": True},
}


def read(aws, p: dict) -> dict:
    """The repository with its tags, whether I(image_tag) is pushed, and a registry login."""
    ecr = aws("ecr")
    try:
        repo = ecr.call("describe_repositories", repositoryNames=[p["name"]])["repositories"][0]
        repo["tags"] = tags_to_dict(
            ecr.call("list_tags_for_resource", resourceArn=repo["repositoryArn"]).get("tags")
        )
    except AwsError as err:
        if err.code != "RepositoryNotFoundException":
            raise
        repo = None
    return {"repository": repo, "extras": extras(aws, p, repo is not None) if p["state"] == "present" else {}}


def extras(aws, p: dict, exists: bool) -> dict:
    """The read-only extras: whether a tag is pushed, and a registry login (its password hidden)."""
    ecr, out = aws("ecr"), {}
    if p["image_tag"]:
        out["image_exists"] = False
        if exists:
            try:
                ecr.call("describe_images", repositoryName=p["name"], imageIds=[{"imageTag": p["image_tag"]}])
                out["image_exists"] = True
            except AwsError as err:
                if err.code != "ImageNotFoundException":
                    raise
    if p["return_login"]:
        data = ecr.call("get_authorization_token")["authorizationData"][0]
        username, _, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
        aws.hide(password)
        out["login"] = {"username": username, "password": password, "registry": data["proxyEndpoint"]}
    return out


def apply(aws, plan, p: dict) -> dict:
    """Create, or update the repository's settings and tags."""
    ecr, name, changes = aws("ecr"), p["name"], plan.changes
    if "create" in changes:
        req = {
            "repositoryName": name,
            "imageTagMutability": p["image_tag_mutability"],
            "imageScanningConfiguration": {"scanOnPush": p["scan_on_push"]},
        }
        if p["tags"]:
            req["tags"] = dict_to_tags(p["tags"])
        repo = ecr.call("create_repository", **req)["repository"]
        return {"arn": repo["repositoryArn"], "uri": repo["repositoryUri"]}
    if "image_tag_mutability" in changes:
        ecr.call(
            "put_image_tag_mutability", repositoryName=name, imageTagMutability=p["image_tag_mutability"]
        )
    if "scan_on_push" in changes:
        scanning = {"scanOnPush": p["scan_on_push"]}
        ecr.call("put_image_scanning_configuration", repositoryName=name, imageScanningConfiguration=scanning)
    apply_tags(ecr, "ecr", plan.result["arn"], plan.steps["tags"]["set"], plan.steps["tags"]["remove"])
    return {}


def main() -> None:
    """Reconcile one ECR repository."""
    module = AnsibleModule(**module_args(OPTIONS))
    reconcile(module, read, repository_plan, apply)


if __name__ == "__main__":
    main()
