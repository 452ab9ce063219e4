"""What the CDN twin learns from CloudFront's API, as CloudFront's edges learn it: the
invalidations made for its distribution, and the public keys of the key group it trusts.

The twin polls ``ListInvalidations`` for its distribution (every page: the emulator lists
oldest first, CloudFront newest first; neither order is relied on) and applies each batch it
has not seen (``GetInvalidation``: its paths) to its cache; what exists when it starts is
taken as applied (the cache starts empty). Every KEYS_EVERY polls it reads the key group
(``GetKeyGroup``, then ``GetPublicKey`` for each key), so a signing key rotation reaches it as
it reaches CloudFront. The apps only ever call CloudFront's API, as on AWS; nothing in the
emulator knows the twin exists.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import boto3
from botocore.config import Config

log = logging.getLogger("twin.cdn.control")
KEYS_EVERY = 10


class Control:
    def __init__(self, endpoint: str, distribution_id: str, key_group_id: str) -> None:
        self._client = boto3.client(
            "cloudfront",
            endpoint_url=endpoint,
            region_name="us-east-1",
            config=Config(
                retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=3, read_timeout=10
            ),
        )
        self._distribution_id = distribution_id
        self._key_group_id = key_group_id
        self._seen: set[str] | None = None
        self._keys: dict[str, str] = {}

    def _invalidation_ids(self) -> list[str]:
        ids: list[str] = []
        pages = self._client.get_paginator("list_invalidations").paginate(
            DistributionId=self._distribution_id
        )
        for page in pages:
            ids += [item["Id"] for item in page["InvalidationList"].get("Items") or []]
        return ids

    def new_batches(self) -> list[tuple[str, list[str]]]:
        """(id, paths) of the batches not seen before (blocking: run it in a thread)."""
        ids = self._invalidation_ids()
        if self._seen is None:
            self._seen = set(ids)
            return []
        batches = []
        for invalidation_id in ids:
            if invalidation_id not in self._seen:
                answer = self._client.get_invalidation(
                    DistributionId=self._distribution_id, Id=invalidation_id
                )
                paths = answer["Invalidation"]["InvalidationBatch"]["Paths"].get("Items") or []
                batches.append((invalidation_id, paths))
        return batches

    def trusted_keys(self) -> dict[str, str]:
        """Public key id -> PEM of every key in the group (blocking)."""
        group = self._client.get_key_group(Id=self._key_group_id)["KeyGroup"]["KeyGroupConfig"]
        keys = {}
        for key_id in group.get("Items") or []:
            pem = self._keys.get(key_id)
            if pem is None:
                answer = self._client.get_public_key(Id=key_id)
                pem = answer["PublicKey"]["PublicKeyConfig"]["EncodedKey"]
            keys[key_id] = pem
        self._keys = keys
        return keys

    async def run(
        self, every: float, invalidate: Callable[[list[str]], int], trust: Callable[[dict], None]
    ) -> None:
        """Poll forever, applying what changed on the event loop (the cache and the keys are
        the loop's alone); a failed poll (the endpoint restarting) is tried again next time."""
        polls = 0
        while True:
            try:
                if self._key_group_id and polls % KEYS_EVERY == 0:
                    trust(await asyncio.to_thread(self.trusted_keys))
                for invalidation_id, paths in await asyncio.to_thread(self.new_batches):
                    removed = invalidate(paths)
                    self._seen.add(invalidation_id)
                    log.info("invalidation %s applied: %s (%d objects)", invalidation_id, paths, removed)
            except Exception as exc:
                log.warning("reading the distribution's state failed: %s", exc)
            polls += 1
            await asyncio.sleep(every)
