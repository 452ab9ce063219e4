"""Invalidations reach the CDN twin as CloudFront's edges learn of them: from the API.

The twin polls ``ListInvalidations`` for its distribution (every page: the emulator lists
oldest first, CloudFront newest first; neither order is relied on) and applies each batch
it has not seen (``GetInvalidation``: its paths) to its cache. What exists when it starts is
taken as applied: the cache starts empty. The apps only ever call ``CreateInvalidation``,
as on AWS; nothing in the emulator knows the twin exists.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import boto3
from botocore.config import Config

log = logging.getLogger("twin.cdn.invalidations")


class Invalidations:
    def __init__(self, endpoint: str, distribution_id: str, apply: Callable[[list[str]], int]) -> None:
        self._client = boto3.client(
            "cloudfront",
            endpoint_url=endpoint,
            region_name="us-east-1",
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10
            ),
        )
        self._distribution_id = distribution_id
        self._apply = apply
        self._seen: set[str] | None = None

    def _ids(self) -> list[str]:
        ids: list[str] = []
        for page in self._client.get_paginator("list_invalidations").paginate(
            DistributionId=self._distribution_id
        ):
            ids += [item["Id"] for item in page["InvalidationList"].get("Items") or []]
        return ids

    def new_batches(self) -> list[tuple[str, list[str]]]:
        """(id, paths) of the batches not seen before (blocking: run it in a thread)."""
        ids = self._ids()
        if self._seen is None:
            self._seen = set(ids)
            return []
        batches = []
        for invalidation_id in ids:
            if invalidation_id not in self._seen:
                answer = self._client.get_invalidation(
                    DistributionId=self._distribution_id, Id=invalidation_id
                )
                batches.append(
                    (invalidation_id, answer["Invalidation"]["InvalidationBatch"]["Paths"].get("Items") or [])
                )
        return batches

    async def run(self, every: float) -> None:
        """Poll forever, applying batches on the event loop (the cache is the loop's alone); a
        failed poll (the endpoint restarting) is tried again next time."""
        while True:
            try:
                for invalidation_id, paths in await asyncio.to_thread(self.new_batches):
                    removed = self._apply(paths)
                    self._seen.add(invalidation_id)
                    log.info("invalidation %s applied: %s (%d objects)", invalidation_id, paths, removed)
            except Exception as exc:
                log.warning("listing invalidations failed: %s", exc)
            await asyncio.sleep(every)
