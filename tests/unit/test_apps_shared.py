"""What the apps share through apps/videoforge, and only through it: one back-off, one log
format, one boto3 client configuration."""

from __future__ import annotations

import ast
import io
import json
import logging
import threading

import pytest

from tests.support.ansible_runner import ROOT
from videoforge import aws
from videoforge import logging as vf_logging
from videoforge.backoff import Backoff
from videoforge.settings import Settings

APPS = ROOT / "apps"


def test_the_backoff_doubles_up_to_its_cap_and_starts_again_after_a_success():
    longest = Backoff(1.0, 10.0, jitter=lambda: 1.0)
    assert [longest.next_delay() for _ in range(6)] == [1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    longest.reset()
    assert longest.next_delay() == 1.0
    # A long outage never overflows the doubling.
    assert Backoff(1.0, 10.0, jitter=lambda: 1.0, failures=5000).next_delay() == 10.0


def test_the_jitter_spreads_delays_over_the_upper_half_of_the_ceiling():
    shortest = Backoff(2.0, 60.0, jitter=lambda: 0.0)
    assert [shortest.next_delay() for _ in range(3)] == [1.0, 2.0, 4.0]
    delays = {Backoff(2.0, 60.0, failures=3).next_delay() for _ in range(50)}
    assert all(8.0 <= d <= 16.0 for d in delays) and len(delays) > 1


def test_a_stop_ends_the_wait_at_once():
    stop = threading.Event()
    stop.set()
    assert Backoff(3600.0, 3600.0).wait(stop) is True  # an hour's delay, not waited
    assert Backoff(0.001, 0.001).wait(threading.Event()) is False


def settings(**overrides) -> Settings:
    values = dict(aws_region="ap-southeast-2", aws_endpoint_url=None, s3_bucket="b",
                  s3_public_endpoint_url=None, sqs_queue_url="q", db_host="h", db_port=5432,
                  db_name="d", db_user="u", db_password="", db_pool_min=1, db_pool_max=2,
                  cognito_user_pool_id="p", cognito_client_id="c", cognito_jwks_url="")  # fmt: skip
    return Settings(**{**values, **overrides})


def test_the_workers_long_polls_outlast_no_read_timeout_and_its_threads_share_the_pool():
    sqs, s3 = aws.clients(settings(), aws.WORKER, "sqs", "s3")
    assert sqs.meta.config.read_timeout > 20  # SQS's longest WaitTimeSeconds
    assert sqs.meta.config.retries["mode"] == "standard"
    assert sqs.meta.config.retries["total_max_attempts"] == 6  # a try and five retries, as before
    assert s3.meta.config.max_pool_connections >= 32 and s3.meta.config.signature_version == "s3v4"


def test_a_health_check_gives_up_within_the_load_balancers_timeout():
    probe = aws.client(aws.session(settings()), "sqs", aws.PROBE, None).meta.config
    # Each try within the catalog's 5 s target group timeout.
    assert probe.connect_timeout + probe.read_timeout <= 5


def test_every_app_logs_one_json_format():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(vf_logging.JsonFormatter())
    logger = logging.getLogger("processor.test")
    logger.addHandler(handler)
    try:
        logger.warning("queue not readable yet", extra={"queue_url": "q", "retry_in": 1.5})
    finally:
        logger.removeHandler(handler)
    entry = json.loads(stream.getvalue())
    assert list(entry)[:4] == ["time", "level", "logger", "message"]
    assert (entry["level"], entry["logger"], entry["queue_url"]) == ("WARNING", "processor.test", "q")


def imported_modules(path) -> set[str]:
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("app", ["gallery", "streaming", "processor", "videoforge"])
def test_apps_share_code_only_through_videoforge_and_never_import_the_deployer(app):
    others = {"gallery", "streaming", "processor", "videoforge"} - {app, "videoforge"}
    deployer = {"library", "module_utils", "ansible", "plugins"}
    for path in (APPS / app).rglob("*.py"):
        if app == "videoforge":  # the shared package imports no app either
            others = {"gallery", "streaming", "processor"}
        wrong = imported_modules(path) & (others | deployer)
        assert not wrong, f"{path.relative_to(ROOT)} imports {sorted(wrong)}"
