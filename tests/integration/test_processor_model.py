"""The catalog is the ladder's only source: a rung added to it reaches the processor's FFmpeg
arguments, with its bitrates, on both targets:

- locally: the supervisord program local_services renders (playbooks/local_runtime.yml);
- on AWS: the user-data processor_fleet renders into the launch template (playbooks/processor.yml).

Both are rendered by Ansible from a copy of the local inventory whose catalog has one more
rung, with the playbooks' own variables and the roles' own templates; the environment each
one gives the worker is then parsed the way systemd and supervisord read it, loaded by
ProcessorConfig, and turned into the ladder's FFmpeg arguments.

The user-data rendered from dev's model shows what an instance on AWS gets: the database
from the published db-host / db-port, verified TLS with the RDS CA bundle it installs, the
work directory on its own EBS volume, FFmpeg under the unit's limits.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from supervisor.datatypes import dict_of_key_value_pairs

from processor import media
from processor.config import ProcessorConfig
from tests.support import model
from tests.support.services import ROOT

NEW_RUNG = {
    "name": "240p",
    "height": 240,
    "video_bitrate": "300k",
    "max_rate": "321k",
    "audio_bitrate": "64k",
}
PROBE_1080P = media.Probe(10.0, 1920, 1080, 30.0, 0, True, "h264")
OUTPUTS = {
    "bucket": "b",
    "queue-url": "q",
    "user-pool-id": "p",
    "user-pool-client-id": "c",
    "db-password": "s3cret",
}


def _yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text()) or {}


def inventory_with_rung(tmp: Path, name: str = "local") -> Path:
    inventory = tmp / f"inventory-{name}"
    shutil.copytree(ROOT / "inventories" / name, inventory, symlinks=False)
    catalog = inventory / "group_vars" / "all" / "catalog.yml"
    data = _yaml(catalog)
    data["videoforge_rendition_ladder"].append(NEW_RUNG)
    catalog.write_text(yaml.safe_dump(data, sort_keys=False))
    environment = inventory / "group_vars" / "all" / "environment.yml"
    env = _yaml(environment)
    env["videoforge_images"]["tag"] = (
        env["videoforge_images"]["tag"] or "0123456789ab"
    )  # not this tree's HEAD
    environment.write_text(yaml.safe_dump(env, sort_keys=False))
    return inventory


def render_playbook(tmp: Path, local: bool = True) -> Path:
    """One play: the two playbooks' variables over the roles' defaults, the two templates (the
    user-data alone without ``local``)."""
    variables: dict = {}
    for role in ("processor_fleet", "local_services"):
        variables |= _yaml(ROOT / "roles" / role / "defaults" / "main.yml")
    for playbook in ("processor.yml", "local_runtime.yml"):
        variables |= _yaml(ROOT / "playbooks" / playbook)[0]["vars"]
    for role in ("processor_fleet", "local_services"):
        variables |= _yaml(ROOT / "roles" / role / "vars" / "main.yml")
    variables["playbook_dir"] = str(ROOT / "playbooks")
    play = {
        "name": "Render the processor's environment on both targets",
        "hosts": "localhost",
        "gather_facts": False,
        "vars": variables,
        "tasks": [
            {
                "name": "Render the user-data",
                "ansible.builtin.template": {
                    "src": str(ROOT / "roles/processor_fleet/templates/processor-user-data.sh.j2"),
                    "dest": str(tmp / "user-data.sh"),
                    "mode": "0600",
                },
            },
            {
                "name": "Render the local processor program",
                "ansible.builtin.template": {
                    "src": str(ROOT / "roles/local_services/templates/processor.conf.j2"),
                    "dest": str(tmp / "processor.conf"),
                    "mode": "0600",
                },
                "vars": {"__local_services_output": OUTPUTS},
            },
        ],
    }
    if not local:
        play["tasks"] = play["tasks"][:1]
    path = tmp / "render.yml"
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return path


def render(tmp: Path, inventory: str) -> Path:
    env = {
        **os.environ,
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_HOME": str(ROOT / ".ansible"),
        "VF_STATE_DIR": str(tmp / "state"),
    }
    playbook = Path(sys.executable).parent / "ansible-playbook"
    result = subprocess.run(
        [str(playbook), "-i", str(inventory_with_rung(tmp, inventory)),
         str(render_playbook(tmp, local=inventory == "local"))],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return tmp


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> Path:
    return render(tmp_path_factory.mktemp("model"), "local")


@pytest.fixture(scope="module")
def dev_user_data(tmp_path_factory) -> str:
    return (render(tmp_path_factory.mktemp("model-dev"), "dev") / "user-data.sh").read_text()


def user_data_environment(script: str) -> dict[str, str]:
    """The instances' env file, as systemd reads it (KEY='value' lines)."""
    body = script.split("<<'CONF'\n", 1)[1].split("\nCONF\n", 1)[0]
    return {
        key: value for key, _, value in (shlex.split(line)[0].partition("=") for line in body.splitlines())
    }


def start_settings(script: str) -> list[str]:
    """What the unit's ExecStartPre writes before every start (the SCRIPT heredoc's echo lines)."""
    body = script.split("<<SCRIPT\n", 1)[1].split("\nSCRIPT\n", 1)[0]
    return [line.strip().removeprefix("echo ").strip('"') for line in body.splitlines() if "echo" in line]


def unit(script: str) -> dict[str, str]:
    body = script.split("<<UNIT\n", 1)[1].split("\nUNIT\n", 1)[0]
    return dict(line.split("=", 1) for line in body.splitlines() if "=" in line and not line.startswith("#"))


def supervisor_environment(program: str) -> dict[str, str]:
    line = next(line for line in program.splitlines() if line.startswith("environment="))
    return dict_of_key_value_pairs(line.removeprefix("environment="))


def ffmpeg_args(env: dict[str, str], monkeypatch, qualities: list[str]) -> list[str]:
    for name in list(os.environ):
        if name.startswith(("PROCESSOR_", "RENDITION", "HLS_")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cfg = ProcessorConfig.from_env()
    renditions = media.select_ladder(PROBE_1080P, cfg.ladder, qualities)
    return media.ladder_args(
        "ffmpeg", "source", "out", renditions, True, cfg.segment_seconds, cfg.x264_preset, []
    )


def assert_new_rung_encoded(args: list[str]) -> None:
    stream_map = args[args.index("-var_stream_map") + 1].split()
    names = [entry.rsplit("name:", 1)[1] for entry in stream_map]
    assert names == [*model.rendition_names(), "240p"]
    i = names.index("240p")
    assert args[args.index(f"-b:v:{i}") + 1] == "300000"
    assert args[args.index(f"-maxrate:v:{i}") + 1] == "321000"
    assert args[args.index(f"-b:a:{i}") + 1] == "64000"
    assert f"[s{i}]scale=426:240" in args[args.index("-filter_complex") + 1]


def test_a_rung_added_to_the_catalog_reaches_ffmpeg_locally(rendered, monkeypatch):
    env = supervisor_environment((rendered / "processor.conf").read_text())
    # The gallery's job asks for the names the same catalog gives it.
    assert env["RENDITIONS"].split(",") == [*model.rendition_names(), "240p"]
    assert_new_rung_encoded(ffmpeg_args(env, monkeypatch, env["RENDITIONS"].split(",")))


def test_a_rung_added_to_the_catalog_reaches_ffmpeg_on_the_instances(rendered, monkeypatch):
    script = (rendered / "user-data.sh").read_text()
    env = user_data_environment(script)
    assert "RENDITIONS" not in env  # the whole ladder, with its bitrates, not rung names
    assert model.media_limits().max_pixels_per_frame == int(
        yaml.safe_load(env["PROCESSOR_MEDIA_LIMITS"])["max_pixels_per_frame"]
    )
    assert env["PROCESSOR_FFMPEG_SANDBOX"].split()[-2:] == ["--net", "--"]
    assert env["PROCESSOR_WORK_DIR"].startswith("/var/lib/")  # the EBS volume, not tmpfs /tmp
    assert "s3cret" not in script and "DB_PASSWORD=" not in script.split("<<SCRIPT", 1)[0]
    names = [r["name"] for r in yaml.safe_load(env["RENDITION_LADDER"])]
    assert_new_rung_encoded(ffmpeg_args(env, monkeypatch, names))
    shellcheck = Path(sys.executable).parent / "shellcheck"
    checked = subprocess.run(
        [str(shellcheck), "--severity=style", str(rendered / "user-data.sh")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout


def test_instances_find_the_database_where_the_database_role_published_it(dev_user_data):
    env = user_data_environment(dev_user_data)
    # With an RDS instance the model creates, only the database role knows the endpoint: the
    # instances read db-host / db-port under the parameter path at every start, never the model's host.
    assert "DB_HOST" not in env and "DB_PORT" not in env
    assert 'DB_HOST=\\$(param "$PARAMETER_PATH/db-host")' in start_settings(dev_user_data)
    assert 'DB_PORT=\\$(param "$PARAMETER_PATH/db-port")' in start_settings(dev_user_data)
    assert "readonly PARAMETER_PATH=/video-forge/dev\n" in dev_user_data


def test_instances_verify_the_database_with_the_rds_bundle_they_install(dev_user_data):
    database = yaml.safe_load((ROOT / "inventories/dev/group_vars/all/environment.yml").read_text())[
        "videoforge_database"
    ]
    env = user_data_environment(dev_user_data)
    assert (env["DB_SSLMODE"], env["DB_SSLROOTCERT"]) == (
        "verify-full",
        "/etc/ssl/certs/rds-global-bundle.pem",
    )
    assert f"readonly DB_SSLROOTCERT={database['sslrootcert']}\n" in dev_user_data
    assert f"readonly DB_CA_BUNDLE_URL={database['ca_bundle_url']}\n" in dev_user_data
    # fetched, checked to be certificates, installed where libpq reads it; before the unit starts
    install = dev_user_data.index('install -m 0644 "$DB_SSLROOTCERT.new" "$DB_SSLROOTCERT"')
    assert (
        dev_user_data.index("curl -fsS --retry 5") < install < dev_user_data.index("systemctl enable --now")
    )


def test_instances_work_on_their_ebs_volume_under_the_units_limits(dev_user_data):
    env, service = user_data_environment(dev_user_data), unit(dev_user_data)
    assert env["PROCESSOR_WORK_DIR"] == "/var/lib/videoforge/work"
    assert "readonly WORK_DEVICE=/dev/xvdb\n" in dev_user_data  # the launch template's volume
    assert "readonly STATE_DIR=/var/lib/videoforge\n" in dev_user_data
    assert 'mountpoint -q "$STATE_DIR" || mount "$STATE_DIR"' in dev_user_data
    assert service["RequiresMountsFor"] == "$STATE_DIR"
    assert service["StateDirectory"] == "videoforge"
    assert service["MemoryMax"] == "90%" and service["CPUQuota"] == "$cpu_quota"
    assert service["OOMPolicy"] == "continue"
    assert "--net" in env["PROCESSOR_FFMPEG_SANDBOX"].split()  # FFmpeg without a network
