"""Our modules run in a warm fork of the controller (plugins/action/_vf_warm_fork.py): what a
play sees is what the ordinary module run gives, result for result, for every module (families
included): created, unchanged, a --check change with its diff, an argument error, a no_log value
kept out of the output, and the play's `environment` (the endpoint) applied. Switched off (the
environment or ansible.cfg), or when a private name it relies on is gone, every module runs the
ordinary way: this file is where the suite proves that way too."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import boto3

from tests.support.ansible_runner import run_playbook

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "library"
SECRET = "warm-fork-secret-value"
WARM = "in a warm fork of the controller"
ORDINARY = "&& sleep 0'"  # the local connection's command line of an ordinary (pipelined) module run
OFF = "VideoForge's warm fork is off"
VERBOSE = {"ANSIBLE_VERBOSITY": "3"}
# The endpoint comes only from the play's environment: the process's own points nowhere.
NOWHERE = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9", **VERBOSE}


def queue_tasks(prefix: str) -> list[dict]:
    queue = {"name": f"{prefix}-jobs", "visibility_timeout": 300, "tags": {"Project": "VideoForge"}}
    return [
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


def task(title: str, module: str, /, **args) -> dict:
    return {"name": title, module: args}


def family_tasks(p: str) -> list[dict]:
    """The families (and the info modules) make what the removal tasks then remove."""
    allow = {
        "Effect": "Allow",
        "Principal": {"Service": "ecs-tasks.amazonaws.com"},
        "Action": "sts:AssumeRole",
    }
    role = {"name": f"{p}-task", "assume_role_policy": {"Version": "2012-10-17", "Statement": [allow]}}
    container = {"name": "web", "image": "nginx", "memory": 512, "essential": True}
    web = {"family": f"{p}-web", "memory": "512", "container_definitions": [container]}
    targets = [{"resource_id": f"service/{p}-cluster/web"}]
    rules = {"api": {"path_patterns": ["/api/*"], "fixed_response": {"status_code": 404}}}
    return [
        task("Publish", "vf_ssm_parameters", path=f"/{p}", parameters={"queue": f"{p}-jobs"}),
        task("Read the outputs", "vf_outputs_info", path=f"/{p}", names=["queue"]),
        {**task("Find the network", "vf_vpc_info"), "register": "network"},
        task("Images", "vf_ecr_images_info", images=[f"{p}-repo:missing"], registry_id="000000000000"),
        task("Log groups", "vf_log_groups", names=[f"/{p}/web"], retention_days=7),
        task(
            "Target groups",
            "vf_target_groups",
            vpc_id="{{ network.vpc_id }}",
            target_groups=[{"name": f"{p}-tg", "port": 3000}],
        ),
        task("Roles", "vf_iam_roles", roles=[role]),
        task("Task definitions", "vf_ecs_task_definitions", task_definitions=[web]),
        task(
            "Services", "vf_ecs_services", cluster=f"{p}-cluster", services=[{"name": "web"}], state="absent"
        ),
        task("Scalable targets", "vf_app_autoscalings", scalable_targets=targets, state="absent"),
        task(
            "Policies", "vf_scaling_policies", group=f"{p}-asg", policies=[{"name": "cpu", "state": "absent"}]
        ),
        {**task("Listener rules", "vf_listener_rules", listener_arn="", rules=rules), "check_mode": True},
    ]


def removal_tasks(p: str, zone: str) -> list[dict]:
    """Every module that reconciles one resource, and the families that made some, removing what
    was made or what never was."""
    database = {"DB_HOST": "127.0.0.1", "DB_PORT": "9", "DB_NAME": "x", "DB_USER": "x", "DB_PASSWORD": "x"}
    absent = [
        ("Log group", "vf_log_groups", {"names": [f"/{p}/web"]}),
        ("Target group", "vf_target_groups", {"target_groups": [{"name": f"{p}-tg"}]}),
        ("Role", "vf_iam_roles", {"roles": [{"name": f"{p}-task"}]}),
        ("Task definition", "vf_ecs_task_definitions", {"task_definitions": [{"family": f"{p}-web"}]}),
        ("Cluster", "vf_ecs_cluster", {"name": f"{p}-cluster"}),
        ("Group", "vf_autoscaling_group", {"name": f"{p}-asg"}),
        ("Launch template", "vf_launch_template", {"name": f"{p}-lt"}),
        ("Alarm", "vf_metric_alarm", {"name": f"{p}-alarm"}),
        ("Load balancer", "vf_load_balancer", {"name": f"{p}-alb"}),
        ("Certificate", "vf_acm_certificate", {"name": f"{p}-cert"}),
        ("Record", "vf_route53_record", {"hosted_zone_id": zone, "name": f"www.{p}.example.com"}),
        ("Namespace", "vf_service_discovery", {"namespace": f"{p}.local"}),
        ("Security group", "vf_security_group", {"name": f"{p}-sg"}),
        ("User pool", "vf_cognito_user_pool", {"name": f"{p}-users"}),
        ("Repository", "vf_ecr_repository", {"name": f"{p}-repo"}),
        ("Bucket", "vf_s3_bucket", {"name": f"{p}-bucket"}),
        ("Database", "vf_rds_instance", {"name": f"{p}-db"}),
        ("Database subnets", "vf_rds_subnet_group", {"name": f"{p}-db"}),
        ("Distribution", "vf_cloudfront_distribution", {"name": f"{p}-site"}),
        ("Cache policies", "vf_cloudfront_cache_policies", {"cache_policies": [{"name": f"{p}-media"}]}),
        ("Origin access control", "vf_cloudfront_origin_access_control", {"name": f"{p}-media"}),
        (
            "Signing key",
            "vf_cloudfront_signing_key",
            {
                "key_group": f"{p}-signers",
                "public_key_prefix": f"{p}-signer",
                "parameter_path": f"/{p}/signer",
            },
        ),
    ]
    migrations = task("Migrations without a database", "vf_schema_migrations", apps_dir=str(ROOT / "apps"))
    return [task(name, module, **args, state="absent") for name, module, args in absent] + [
        {**migrations, "environment": database, "ignore_errors": True}
    ]


def play(tasks: list[dict], endpoint: str) -> list[dict]:
    return [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "environment": {"AWS_ENDPOINT_URL": endpoint},
            "tasks": tasks,
        }
    ]


def every_module(prefix: str, endpoint: str) -> tuple[list[dict], str]:
    """The plays, and the id of the hosted zone they use."""
    zone = boto3.client("route53").create_hosted_zone(Name=f"{prefix}.example.com", CallerReference=prefix)
    zone_id = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
    return play(
        queue_tasks(prefix) + family_tasks(prefix) + removal_tasks(prefix, zone_id), endpoint
    ), zone_id


def shape(result, prefix: str, zone: str) -> list[tuple]:
    """Each task's result, with what differs between two runs by nature (names, generated ids)."""
    out = []
    for task in result.tasks:
        r = {k: v for k, v in task.result.items() if k not in ("invocation", "queue_url", "queue_arn")}
        text = repr(sorted(r.items())).replace(prefix, "PREFIX").replace(zone, "ZONE")
        out.append((task.task, task.status, re.sub(r"\b(\d{12}|[0-9a-f]{16})\b", "ID", text)))
    return out


def test_every_module_reports_in_a_warm_fork_what_it_reports_the_ordinary_way(aws, tmp_path):
    warm_plays, warm_zone = every_module("vf-warm", aws.url)
    off_plays, off_zone = every_module("vf-off", aws.url)
    warm = run_playbook(tmp_path / "warm", warm_plays, env=NOWHERE)
    ordinary = run_playbook(tmp_path / "off", off_plays, env={**NOWHERE, "VF_WARM_FORK": "0"})
    assert warm.ok, warm.output[-4000:]
    assert ordinary.ok, ordinary.output[-4000:]
    assert {task.action for task in warm.tasks} == {path.stem for path in LIBRARY.glob("vf_*.py")}
    assert warm.output.count(WARM) == len(warm.tasks)
    assert WARM not in ordinary.output and ordinary.output.count(ORDINARY) == len(ordinary.tasks)
    assert OFF not in warm.output + ordinary.output  # switched off: as asked, no warning
    assert [(t.task, t.status) for t in warm.tasks[:5]] == [
        ("Create", "changed"),
        ("Again", "ok"),
        ("Change in check mode", "changed"),
        ("Wrong type", "ignored"),
        ("Secret", "changed"),
    ]
    assert shape(warm, "vf-warm", warm_zone) == shape(ordinary, "vf-off", off_zone)
    assert "visibility_timeout" in warm.output and "soon" in warm.task("Wrong type").result["msg"]
    assert SECRET not in warm.output + ordinary.output


def two_modules(prefix: str, endpoint: str) -> list[dict]:
    return play(
        [
            {"name": "Queue", "vf_sqs_queue": {"name": f"{prefix}-jobs"}},
            {"name": "Log group", "vf_log_groups": {"names": [f"/{prefix}/web"], "state": "absent"}},
        ],
        endpoint,
    )


def ran_the_ordinary_way(result) -> bool:
    statuses = [(t.task, t.status) for t in result.tasks]
    return statuses == [("Queue", "changed"), ("Log group", "ok")] and (
        WARM not in result.output and result.output.count(ORDINARY) == 2
    )


def test_switched_off_in_ansible_cfg_every_module_runs_the_ordinary_way(aws, tmp_path):
    """A checkout whose ansible.cfg says `[videoforge] warm_fork = false`."""
    checkout = tmp_path / "checkout"
    checkout.mkdir()
    for entry in ROOT.iterdir():
        if entry.name != "ansible.cfg":
            (checkout / entry.name).symlink_to(entry)
    config = (ROOT / "ansible.cfg").read_text()
    assert "\nwarm_fork = true\n" in config
    (checkout / "ansible.cfg").write_text(config.replace("\nwarm_fork = true\n", "\nwarm_fork = false\n"))
    result = run_playbook(
        tmp_path,
        two_modules("vf-cfg", aws.url),
        env={**NOWHERE, "ANSIBLE_CONFIG": str(checkout / "ansible.cfg")},
    )
    assert result.ok, result.output[-4000:]
    assert ran_the_ordinary_way(result), result.output[-4000:]
    assert OFF not in result.output


def started_with(directory: Path, code: str) -> dict[str, str]:
    """The environment of an ansible-playbook that runs ``code`` when it starts (not the module
    processes it starts: they inherit the environment but are not ansible-playbook)."""
    directory.mkdir()
    body = textwrap.indent(code, "    ")
    (directory / "sitecustomize.py").write_text(
        f"import sys\nfrom pathlib import Path\n\nif Path(sys.argv[0]).name == 'ansible-playbook':\n{body}\n"
    )
    return {"PYTHONPATH": str(directory)}


def test_a_private_name_gone_from_the_module_side_runs_every_module_the_ordinary_way_with_one_warning(
    aws, tmp_path
):
    """What an ansible-core that renamed its AnsiballZ exception handler would do to the fork:
    the fork's child finds it gone before the module runs, and the module runs the ordinary way."""
    gone = "from ansible.module_utils._internal._ansiballz import _loader\ndel _loader._handle_exception"
    env = {**NOWHERE, **started_with(tmp_path / "site", gone)}
    result = run_playbook(tmp_path, two_modules("vf-gone", aws.url), env=env)
    assert result.ok, result.output[-4000:]
    assert ran_the_ordinary_way(result), result.output[-4000:]
    assert result.output.count(OFF) == 1, result.output[-4000:]
    assert "ImportError: cannot import name '_handle_exception'" in result.output
