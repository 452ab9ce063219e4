"""DeleteObjects answers 200 with per-key errors: every one is an error, none is lost."""

from __future__ import annotations

import pytest

from videoforge.storage import ObjectsNotDeleted, delete_under


class Bucket:
    """S3 as ListObjectsV2 and DeleteObjects answer (shapes from the S3 API reference): keys it
    refuses to delete come back in ``Errors`` of a 200 answer."""

    def __init__(self, keys: list[str], refuse: set[str], page_size: int = 2) -> None:
        self.keys, self.refuse, self.page_size = sorted(keys), refuse, page_size
        self.requests: list[list[str]] = []

    def get_paginator(self, name: str):
        assert name == "list_objects_v2"
        return self

    def paginate(self, Bucket: str, Prefix: str):
        under = [k for k in self.keys if k.startswith(Prefix)]
        for start in range(0, len(under), self.page_size):
            yield {"Contents": [{"Key": k} for k in under[start : start + self.page_size]]}

    def delete_objects(self, Bucket: str, Delete: dict) -> dict:
        asked = [o["Key"] for o in Delete["Objects"]]
        self.requests.append(asked)
        errors = [
            {"Key": k, "Code": "InternalError", "Message": "We encountered an internal error."}
            for k in asked
            if k in self.refuse
        ]
        self.keys = [k for k in self.keys if k not in asked or k in self.refuse]
        return {"Errors": errors} if errors else {}


def test_every_page_is_deleted_and_refused_keys_are_an_error():
    keys = [f"hls/v/720p/seg_{n:05}.ts" for n in range(5)] + ["thumbnails/v/poster.jpg"]
    bucket = Bucket(keys, refuse={"hls/v/720p/seg_00003.ts"})
    with pytest.raises(ObjectsNotDeleted) as raised:
        delete_under(bucket, "b", ["hls/v/", "thumbnails/v/"])
    assert [e["Key"] for e in raised.value.errors] == ["hls/v/720p/seg_00003.ts"]
    assert "InternalError" in str(raised.value)
    # The other pages were still deleted: only the refused key is left, for the next try.
    assert bucket.keys == ["hls/v/720p/seg_00003.ts"]
    bucket.refuse.clear()
    assert delete_under(bucket, "b", ["hls/v/", "thumbnails/v/"]) == 1
    assert bucket.keys == []


def test_kept_keys_are_not_asked_for():
    bucket = Bucket(["uploads/u/v/source", "uploads/u/v/part"], refuse=set())
    assert delete_under(bucket, "b", ["uploads/u/v/"], keep=["uploads/u/v/source"]) == 1
    assert bucket.keys == ["uploads/u/v/source"]
    assert all("uploads/u/v/source" not in asked for asked in bucket.requests)
