"""The whole local platform, brought up by `ansible-playbook site.yml` as `make up` does,
but on free ports and in a temporary state directory, so it never collides with a stack
a developer is running."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.services import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


@dataclass
class PlaybookRun:
    returncode: int
    output: str

    @property
    def recap(self) -> dict[str, dict[str, int]]:
        return {
            m[1]: {"ok": int(m[2]), "changed": int(m[3]), "unreachable": int(m[4]), "failed": int(m[5])}
            for m in RECAP.finditer(self.output)
        }

    @property
    def changed_tasks(self) -> list[str]:
        """Names of the tasks that reported changed (from the default callback's output)."""
        names, current = [], None
        for line in self.output.splitlines():
            if line.startswith(("TASK [", "RUNNING HANDLER [")):
                current = line.split("[", 1)[1].rsplit("]", 1)[0]
            elif line.startswith("changed:") and current:
                names.append(current)
        return names


@dataclass
class Stack:
    state_dir: Path
    env: dict[str, str]
    ports: dict[str, int]
    runs: list[PlaybookRun] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.ports['https']}"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['http']}"

    @property
    def ca_file(self) -> Path:
        """The authority that signs the site's certificate: the CDN twin's, else Caddy's."""
        cdn = self.state_dir / "cdn" / "pki" / "root.crt"
        return (
            cdn
            if cdn.exists()
            else self.state_dir / "caddy" / "data" / "pki" / "authorities" / "local" / "root.crt"
        )

    @property
    def cdn_stats(self) -> dict:
        """The CDN twin's counters (GET /_videoforge/cdn on its admin port)."""
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.ports['cdn_admin']}/_videoforge/cdn", timeout=10
        ) as r:
            return json.load(r)

    @property
    def aws_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['aws']}"

    def playbook(self, *args: str, playbook: str = "site.yml") -> PlaybookRun:
        proc = subprocess.run(
            [str(BIN / "ansible-playbook"), "-i", "inventories/local", playbook, *args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        run = PlaybookRun(proc.returncode, proc.stdout)
        self.runs.append(run)
        (self.state_dir / "logs").mkdir(parents=True, exist_ok=True)
        (self.state_dir / "logs" / f"playbook-{len(self.runs)}.log").write_text(proc.stdout)
        return run

    def tool(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "twin.stack", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )

    def up(self) -> PlaybookRun:
        run = self.playbook()
        if run.returncode:
            raise AssertionError(f"site.yml failed:\n{run.output[-8000:]}")
        return run

    def down(self) -> None:
        self.tool("down")

    def aws_env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.aws_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "ap-southeast-2",
        }


def new_stack(private: bool = False) -> Stack:
    """A stack on free ports in a temporary state directory.

    ``private``: the state directory lies inside a 0700 directory, as a clone in root's home
    does, so nothing but its owner can traverse there (PostgreSQL must run anyway).
    """
    state = Path(tempfile.mkdtemp(prefix="vf-stack-"))
    if private:
        state = state / "home" / "clone" / ".state"
        state.mkdir(parents=True)
        state.parent.parent.chmod(0o700)
    else:
        state.chmod(0o755)
    names = ("https", "http", "alb", "cdn_admin", "aws", "postgres", "client", "gallery", "streaming")
    ports = {name: free_port() for name in names}
    env = {
        **os.environ,
        "VF_STATE_DIR": str(state),
        "ANSIBLE_HOME": str(ROOT / ".ansible"),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        **{f"VF_{name.upper()}_PORT": str(port) for name, port in ports.items()},
    }
    # The test's own AWS_* settings must not leak into the stack: the inventory sets them.
    for key in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        env.pop(key, None)
    return Stack(state, env, ports)


def remove(stack: Stack) -> None:
    stack.down()
    top, tmp = stack.state_dir, Path(tempfile.gettempdir())
    if tmp in top.parents:  # the whole temporary directory new_stack made
        top = tmp / top.relative_to(tmp).parts[0]
    shutil.rmtree(top, ignore_errors=True)
