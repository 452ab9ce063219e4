"""Removing objects from S3 in bulk, checking what DeleteObjects says about every key.

DeleteObjects answers 200 even when some keys were not deleted: each such key is in the
answer's ``Errors`` (with its own code: AccessDenied, InternalError, SlowDown...). A caller that
reads only the status leaves those objects behind without knowing; here they are an error.
"""

from __future__ import annotations

from collections.abc import Iterable


class ObjectsNotDeleted(Exception):
    """Some keys were not deleted; ``errors`` is DeleteObjects' own list for them."""

    def __init__(self, errors: list[dict]) -> None:
        codes = sorted({e.get("Code", "?") for e in errors})
        example = errors[0].get("Key")
        super().__init__(f"{len(errors)} objects not deleted ({', '.join(codes)}), e.g. {example}")
        self.errors = errors


def delete_under(s3, bucket: str, prefixes: Iterable[str], keep: Iterable[str] = ()) -> int:
    """Delete every object under ``prefixes`` but ``keep``; how many went. Raises
    ObjectsNotDeleted, after trying every page, when any key was not deleted."""
    kept = set(keep)
    deleted, failed = 0, []
    for prefix in prefixes:
        # A listing page holds at most 1,000 keys, as many as one DeleteObjects takes.
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", []) if o["Key"] not in kept]
            if not keys:
                continue
            answer = s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
            errors = answer.get("Errors", [])
            failed += errors
            deleted += len(keys) - len(errors)
    if failed:
        raise ObjectsNotDeleted(failed)
    return deleted
