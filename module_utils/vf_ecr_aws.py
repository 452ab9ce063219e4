"""The ECR reads of vf_ecr_images_info and the read and apply steps of vf_ecr_repository (what
they report and compare is pure, in vf_ecr)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import Aws, AwsError, apply_tags, dict_to_tags, tags_to_dict

# What DescribeImages answers for a tag that is not pushed, or a repository that does not exist.
NOT_THERE = ("ImageNotFoundException", "RepositoryNotFoundException")


def read_images(aws: Aws, p: Mapping[str, Any]) -> dict[str, bool]:
    """Image (``<repository>:<tag>``) -> whether the registry holds it: one DescribeImages per
    image, with the tag as its image id (answered with the image, or an error when absent)."""
    ecr, pushed = aws("ecr"), {}
    registry = {"registryId": p["registry_id"]} if p.get("registry_id") else {}
    for image in p["images"]:
        repository, _, tag = image.rpartition(":")
        try:
            ecr.call("describe_images", repositoryName=repository, imageIds=[{"imageTag": tag}], **registry)
            pushed[image] = True
        except AwsError as err:
            if err.code not in NOT_THERE:
                raise
            pushed[image] = False
    return pushed


def read_repository(aws, p: dict) -> dict:
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
    return {
        "repository": repo,
        "extras": repository_extras(aws, p, repo is not None) if p["state"] == "present" else {},
    }


def repository_extras(aws, p: dict, exists: bool) -> dict:
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


def apply_repository(aws, plan, p: dict) -> dict:
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
