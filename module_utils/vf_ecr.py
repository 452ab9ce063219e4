"""Pure functions for ECR repositories: what differs and the plan of vf_ecr_repository."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible.module_utils.vf_module import Call, Plan, deletion, tag_plan


def repository_changes(current: Mapping[str, Any] | None, desired: Mapping[str, Any]) -> list[str]:
    """``current`` is describe_repositories' entry plus ``tags`` (a dict)."""
    if current is None:
        return ["create"]
    changes = []
    if current.get("imageTagMutability", "MUTABLE") != desired["image_tag_mutability"]:
        changes.append("image_tag_mutability")
    scan = (current.get("imageScanningConfiguration") or {}).get("scanOnPush", False)
    if bool(scan) != desired["scan_on_push"]:
        changes.append("scan_on_push")
    tags = tag_plan(current.get("tags", {}), desired["tags"], desired["purge_tags"])
    if tags["set"] or tags["remove"]:
        changes.append("tags")
    return changes


def repository_summary(repo: Mapping[str, Any] | None) -> dict[str, Any]:
    """A described repository as ``--diff`` shows it."""
    if not repo:
        return {}
    return {
        "image_tag_mutability": repo.get("imageTagMutability"),
        "scan_on_push": (repo.get("imageScanningConfiguration") or {}).get("scanOnPush", False),
        "tags": repo.get("tags", {}),
    }


def repository_plan(current: Mapping[str, Any], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """What to do to one repository. ``current``: ``repository`` (with ``tags``, or None) and
    the read-only extras ``read`` gathered (``image_exists``, ``login``)."""
    repo = current["repository"]
    result = {
        "name": p["name"],
        "arn": (repo or {}).get("repositoryArn"),
        "uri": (repo or {}).get("repositoryUri"),
    }
    if p["state"] == "absent":
        delete = Call("ecr", "delete_repository", {"repositoryName": p["name"], "force": p["force_delete"]})
        return deletion({"name": p["name"]}, repository_summary(repo) if repo else None, delete)
    result.update(current["extras"])
    changes = repository_changes(repo, p)
    after = {
        "image_tag_mutability": p["image_tag_mutability"],
        "scan_on_push": p["scan_on_push"],
        "tags": dict(p["tags"]),
    }
    tags = tag_plan((repo or {}).get("tags", {}), p["tags"], p["purge_tags"])
    return Plan(changes, repository_summary(repo), after, result, {"tags": tags})


def images_plan(current: Mapping[str, bool], p: Mapping[str, Any], check_mode: bool) -> Plan:
    """Which of the images are pushed (vf_ecr_images_info; never a change). ``current``: image
    -> whether the registry holds it."""
    return Plan(
        result={
            "found": [image for image in p["images"] if current.get(image)],
            "missing": [image for image in p["images"] if not current.get(image)],
        }
    )
