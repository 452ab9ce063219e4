"""A gigabyte of S3 objects in the local AWS endpoint: what tests/integration/test_aws_state.py
restarts with and bench/bench_state.py times.

Several hundred objects, a few KB to 100 MB, 1 GiB and a little more in all, each unlike any
other and unlike itself at any other offset, so a byte read back from the wrong object or the
wrong place changes its checksum.
"""

from __future__ import annotations

import hashlib
import random

GIB = 1024**3
MIB = 1024**2
BLOCK = 64 * 1024
# Random bytes that every object's blocks are cut from: drawing a GiB of random bytes cost
# about 4 s of CPU, cutting it from a pool costs what a copy does.
POOL = random.Random(13).randbytes(16 * BLOCK)


def object_sizes() -> list[int]:
    """Several hundred objects, a few KB to 100 MB, 1 GiB and a little more in all."""
    rng = random.Random(13)
    sizes = [100 * MIB] * 6 + [rng.randint(5, 20) * MIB for _ in range(24)]
    sizes += [rng.randint(2 * 1024, MIB) for _ in range(300)]
    while sum(sizes) < GIB:
        sizes.append(8 * MIB)
    return sizes


def content(seed: int, size: int) -> bytes:
    """``size`` bytes whose every 64 KiB block starts with the object's seed and the block's
    index, then random bytes from the pool at an offset both choose."""
    blocks = []
    for index in range(-(-size // BLOCK)):
        stamp = f"{seed}:{index}:".encode()
        at = (seed * 7919 + index * 104729) % (len(POOL) - BLOCK)
        blocks.append(stamp + POOL[at : at + BLOCK - len(stamp)])
    return b"".join(blocks)[:size]


def put_objects(s3, bucket: str) -> dict[str, str]:
    """Every object of ``object_sizes`` PUT into ``bucket``; their keys and MD5 digests."""
    digests = {}
    for i, size in enumerate(object_sizes()):
        body = content(i, size)
        key = f"uploads/user/{i:04d}/source"
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        digests[key] = hashlib.md5(body).hexdigest()  # noqa: S324 - a checksum, not security
    return digests
