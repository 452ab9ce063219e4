"""Ids that come out the same when a request is replayed.

A replayed request must create the very ids the original did: later requests name them
(an Auto Scaling Group its launch template id, a listener its target group ARN). moto
draws every id from one RNG; here each thread gets its own, and a control-plane write
reseeds its thread's RNG from the seed the journal keeps with it, so concurrent reads
(receipt handles, request ids) cannot shift the ids a write creates.
"""

from __future__ import annotations

import random
import threading

_local = threading.local()


def thread_rng() -> random.Random:
    rng = getattr(_local, "rng", None)
    if rng is None:
        rng = _local.rng = random.Random()  # noqa: S311 - emulator ids, not secrets
    return rng


def seed_thread(seed: int | str) -> None:
    thread_rng().seed(f"videoforge-write-{seed}")


def make_ids_replayable() -> None:
    """Route moto's RNG through the per-thread RNGs."""
    from moto.moto_api._internal import mock_random

    # Random's other methods (choice, uuid4, ...) are built on these two primitives.
    mock_random.random = lambda: thread_rng().random()
    mock_random.getrandbits = lambda k: thread_rng().getrandbits(k)


def create_defaults(regions: list[str]) -> None:
    """Create each region's default VPC, subnets and security group with fixed ids.

    moto makes them lazily, on the first EC2 call, from whatever random state that moment
    has; kept requests name their ids (a security group's VPC, an ALB's subnets), so they
    must come out the same on every start.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ec2.models import ec2_backends

    for region in regions:
        thread_rng().seed(f"videoforge-defaults-{region}")
        ec2_backends[DEFAULT_ACCOUNT_ID][region].describe_vpcs()
