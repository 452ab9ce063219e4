"""The ECR reads of vf_ecr_images_info (what it reports is pure, in vf_ecr)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_aws import AwsError
from ansible.module_utils.vf_module import Aws

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
