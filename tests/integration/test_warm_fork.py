"""Our modules run in a warm fork of the controller (plugins/action/_vf_warm_fork.py): what a
play sees is what the ordinary module run gives, result for result: created, unchanged, a
--check change with its diff, an argument error, a no_log value kept out of the output, and
the play's `environment` (the endpoint) applied."""

from __future__ import annotations

from pathlib import Path

from tests.support.ansible_runner import run_playbook

ROOT = Path(__file__).resolve().parents[2]
SECRET = "warm-fork-secret-value"


def plays(prefix: str, endpoint: str) -> list[dict]:
    queue = {"name": f"{prefix}-jobs", "visibility_timeout": 300, "tags": {"Project": "VideoForge"}}
    tasks = [
        {"name": "Create", "vf_sqs_queue": queue},
        {"name": "Again", "vf_sqs_queue": queue},
        {
            "name": "Change in check mode",
            "check_mode": True,
            "vf_sqs_queue": {**queue, "visibility_timeout": 60},
        },
        {
            "name": "Wrong type",
            "ignore_errors": True,
            "vf_sqs_queue": {**queue, "visibility_timeout": "soon"},
        },
        {
            "name": "Secret",
            "no_log": True,
            "vf_ssm_parameter": {"name": f"/{prefix}/secret", "value": SECRET, "type": "SecureString"},
        },
    ]
    # The endpoint comes only from the play's environment: the process's own points nowhere.
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "environment": {"AWS_ENDPOINT_URL": endpoint},
            "tasks": tasks,
        }
    ]


def shape(result, prefix: str) -> list[tuple]:
    out = []
    for task in result.tasks:
        r = {k: v for k, v in task.result.items() if k not in ("invocation", "queue_url", "queue_arn")}
        text = repr(sorted(r.items())).replace(prefix, "PREFIX")
        out.append((task.task, task.status, text))
    return out


def test_a_warm_fork_reports_what_an_ordinary_module_run_reports(aws, tmp_path):
    nowhere = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", "ANSIBLE_VERBOSITY": "3"}
    warm = run_playbook(tmp_path / "warm", plays("vf-warm", aws.url), env=nowhere)
    cold = run_playbook(
        tmp_path / "cold",
        plays("vf-cold", aws.url),
        env={**nowhere, "ANSIBLE_ACTION_PLUGINS": str(tmp_path / "no-action-plugins")},
    )
    assert warm.ok, warm.output[-4000:]
    assert cold.ok, cold.output[-4000:]
    assert warm.output.count("in a warm fork of the controller") == 5
    assert "in a warm fork" not in cold.output
    assert [(t.task, t.status) for t in warm.tasks] == [
        ("Create", "changed"),
        ("Again", "ok"),
        ("Change in check mode", "changed"),
        ("Wrong type", "ignored"),
        ("Secret", "changed"),
    ]
    assert shape(warm, "vf-warm") == shape(cold, "vf-cold")
    assert "visibility_timeout" in warm.output and "soon" in warm.task("Wrong type").result["msg"]
    assert SECRET not in warm.output
