"""How soon the local AWS endpoint answers after a restart with a gigabyte of objects stored:
from starting `python -m twin.emulator --state` to its first answer (HeadBucket), against a
target of 10 s, with the restore's own seconds and the process's RSS beside it.

The state is the one tests/integration/test_aws_state.py restarts with (tests/support/big_state.py);
the test proves the objects come back whole in little memory, this measures the wait.

    .venv/bin/python -m bench bench_state      -> bench/results/state.json
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import boto3
import psutil
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import load_average, write_result  # noqa: E402
from tests.support import big_state, services  # noqa: E402

TARGET_SECONDS = 10
RESTARTS = int(os.environ.get("BENCH_STATE_RESTARTS") or 3)
REGION = "ap-southeast-2"


def s3_client(url: str):
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - the emulator's
        config=Config(retries={"max_attempts": 1}),
    )


def restart(tmp: Path, state: Path) -> dict:
    load_start = load_average()
    started = time.monotonic()
    with services.aws_emulator(tmp, state=state) as aws:
        s3_client(aws.url).head_bucket(Bucket="media")
        answered = time.monotonic() - started
        rss = psutil.Process(aws.process.pid).memory_info().rss
    restored = json.loads((state / "restore.json").read_text())
    return {
        "answered_seconds": round(answered, 2),
        "restore_seconds": restored["restore_seconds"],
        "rss_mib": round(rss / big_state.MIB),
        "load_average_start": load_start,
    }


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="vf-bench-state-"))
    try:
        state = tmp / "aws"
        with services.aws_emulator(tmp, state=state) as aws:
            s3 = s3_client(aws.url)
            s3.create_bucket(Bucket="media", CreateBucketConfiguration={"LocationConstraint": REGION})
            digests = big_state.put_objects(s3, "media")
        stored = sum(p.stat().st_size for p in (state / "objects").rglob("*") if p.is_file())
        runs = [restart(tmp, state) for _ in range(RESTARTS)]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    median = statistics.median(r["answered_seconds"] for r in runs)
    result = {
        "objects": len(digests),
        "stored_mib": round(stored / big_state.MIB),
        "median_answered_seconds": median,
        "target_seconds": TARGET_SECONDS,
        "within_target": median < TARGET_SECONDS,
        "restarts": runs,
        "cpu_count": os.cpu_count(),
    }
    write_result("state", result)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
