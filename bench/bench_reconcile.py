"""Reconcile speed: our roles and modules against the public AWS collections, side by side.

    .venv/bin/python -m bench bench_reconcile                -> bench/results/reconcile.json
    .venv/bin/python bench/bench_reconcile.py --only ours,baseline --ref HEAD --rounds 3

Each side gets its own fresh AWS endpoint (``python -m twin.emulator``) on a free loopback
port, stopped afterwards:

- ``ours``: the plays of site.yml that reconcile AWS (network ... processor, in its order) with
  the local inventory, and a private PostgreSQL for database.yml's migrations (the seven plays
  first measured no longer run without database.yml: the services read the outputs it publishes);
- ``baseline``: amazon.aws 10.1.2 + community.aws 10.0.0 (from the ansible 12.3.0 wheel)
  provisioning the same architecture (bench/collections/reconcile.yml);
- ``site``: the whole ``site.yml`` as ``make up`` runs it, on a stack of its own (free ports,
  state in a temporary directory).

Ours and the baseline converge from empty, then re-run with nothing to do ``--rounds`` times,
taking turns, so both see the same machine (its load swings by a factor of four here); the
median re-run is reported beside every round. The site runs after them, alone.

Then the same again over a network (``--latency-rounds``, under ``latency``): every side on
fresh endpoints started with ``VF_AWS_FAULTS=latency`` (each call waits a seeded draw, a
read's median 60 ms: twin/emulator/faults.py), reported under ``latency`` with the
endpoint's fault counters after each run. There the count of calls made one after another
sets the time, not the CPU.

Per run: wall and CPU seconds, the recap's changed count, module runs (task results with loop
items counted one by one, skipped ones not), the endpoint's write requests, the slowest tasks,
the load before and after; per side, the AWS resources it manages, counted from the endpoint
(what exists after the converge minus what a fresh endpoint holds), and the figures per
resource. A side that fails is reported as failed (``error``, ``failures``); the others go on.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench import write_result  # noqa: E402
from bench.ansible_runs import load, playbook  # noqa: E402
from bench.aws_resources import managed, resources  # noqa: E402
from bench.baseline_collections import certificate, collections  # noqa: E402
from tests.support import services  # noqa: E402
from tests.support.stack import new_stack, remove  # noqa: E402

HERE = ROOT / "bench"
REGION = "ap-southeast-2"
# The plays of site.yml that bring up this machine's twin; the others reconcile AWS. database.yml
# publishes where the services find the database and migrates it from this machine: ours gets
# a private PostgreSQL.
LOCAL_PLAYS = {"playbooks/local_stack.yml", "playbooks/local_runtime.yml"}
DATABASE_PLAY = "playbooks/database.yml"
NO_OUTPUTS = "_excluding_ssm_parameters"
# Each run's output, callback lines and endpoint log stay here until the next run (gitignored).
RUNS = HERE / "results" / "reconcile-runs"
# The bars for today's resources on this machine.
TARGETS = {"aws_plays_noop_seconds": 13, "make_up_noop_seconds": 20}
# Over a network (the latency rounds): the AWS plays' no-op re-run, and ours over the collections'.
LATENCY_TARGETS = {"aws_plays_noop_seconds": 20, "noop_wall_ours_over_baseline": 0.4}


@dataclass
class Side:
    """One deployment against its own endpoint: a first converge, then no-op re-runs."""

    name: str
    args: list[str]
    env: dict
    cwd: Path
    url: str
    work: Path
    pristine: dict
    request_log: Path | None = None
    first: dict | None = None
    noops: list[dict] = field(default_factory=list)
    found: dict = field(default_factory=dict)

    def run(self, label: str) -> dict:
        result = playbook(f"{self.name}-{label}", self.args, self.env, self.work, self.cwd, self.request_log)
        counters = fault_counters(self.url)
        if counters is not None:  # a hostile endpoint: what it did to the run, cumulative
            result["faults"] = counters
        return result

    def converge(self) -> None:
        self.first = self.run("first")
        self.found = managed(resources(self.url, REGION), self.pristine)

    def noop(self) -> None:
        self.noops.append(self.run(f"noop-{len(self.noops) + 1}"))

    def report(self) -> dict:
        count = sum(len(v) for v in self.found.values())
        # Published outputs are cheap to count and cheap to reconcile: the figures without them too.
        no_outputs = count - len(self.found.get("ssm_parameters", ()))
        runs = [r for r in (self.first, *self.noops) if r]
        for run in runs:
            per_resource(run, count, "")
            per_resource(run, no_outputs, NO_OUTPUTS)
        failed = [r for r in runs if r["returncode"]]
        median = (
            sorted(self.noops, key=lambda r: r["wall_seconds"])[len(self.noops) // 2] if self.noops else None
        )
        return {
            "ok": bool(runs) and not failed,
            "error": f"{self.name}: {len(failed)} of {len(runs)} runs failed: see failures, output_tail"
            f" and {self.work}"
            if failed
            else None,
            "resources": count,
            f"resources{NO_OUTPUTS}": no_outputs,
            "resources_by_kind": {k: len(v) for k, v in sorted(self.found.items())},
            "resource_names": {k: sorted(v) for k, v in sorted(self.found.items())},
            "first_converge": self.first,
            "noop_rerun": median,
            "noop_rounds": [
                {
                    k: r.get(k)
                    for k in (
                        "returncode",
                        "wall_seconds",
                        "cpu_seconds",
                        "changed",
                        "aws_requests",
                        "load_before",
                    )
                }
                for r in self.noops
            ],
            "noop_wall_seconds_median": round(statistics.median(r["wall_seconds"] for r in self.noops), 2)
            if self.noops
            else None,
        }


def fault_counters(url: str) -> dict | None:
    """The endpoint's hostile-mode counters (``faults`` in its state), None on a kind endpoint."""
    try:
        with urllib.request.urlopen(f"{url}/_videoforge/state", timeout=30) as answer:
            return json.load(answer).get("faults")
    except OSError:
        return None


@contextlib.contextmanager
def hostile(kinds: str):
    """Endpoints started meanwhile (they inherit this environment) run with ``VF_AWS_FAULTS=kinds``."""
    before = os.environ.get("VF_AWS_FAULTS")
    os.environ["VF_AWS_FAULTS"] = kinds
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("VF_AWS_FAULTS")
        else:
            os.environ["VF_AWS_FAULTS"] = before


def aws_plays(tree: Path) -> list[str]:
    """The plays of site.yml that reconcile AWS, in its order."""
    steps = yaml.safe_load((tree / "site.yml").read_text())
    plays = [step["ansible.builtin.import_playbook"] for step in steps]
    return [p for p in plays if p not in LOCAL_PLAYS]


def per_resource(run: dict, count: int, suffix: str) -> None:
    if count and not run["returncode"]:
        run[f"seconds_per_resource{suffix}"] = round(run["wall_seconds"] / count, 3)
        run[f"cpu_seconds_per_resource{suffix}"] = round(run["cpu_seconds"] / count, 3)
        run[f"module_runs_per_resource{suffix}"] = round(run["module_runs"] / count, 2)


def aws_only_env(extra: dict) -> dict:
    """This process's environment without its AWS, VideoForge and Ansible settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "VF_", "ANSIBLE_"))}
    env.update(ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_HOME=str(ROOT / ".ansible"))
    env.update(extra)
    return env


@contextlib.contextmanager
def source_tree(ref: str | None):
    """The repository as it is (``ref`` None), or the commit ``ref`` exported to a temporary dir."""
    if not ref:
        yield ROOT
        return
    tree = Path(tempfile.mkdtemp(prefix="vf-bench-ref-"))
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
        (tree / ".venv").symlink_to(ROOT / ".venv")
        if (ROOT / "apps/client/dist").is_dir():
            (tree / "apps/client/dist").symlink_to(ROOT / "apps/client/dist")
        yield tree
    finally:
        shutil.rmtree(tree, ignore_errors=True)


@contextlib.contextmanager
def ours(work: Path, pristine: dict, tree: Path, plays: list[str]):
    """The AWS-facing plays, with the local inventory, against a fresh endpoint."""
    log = work / "requests.jsonl"
    with contextlib.ExitStack() as stack:
        emulator = stack.enter_context(services.aws_emulator(work, request_log=log))
        names = ("HTTPS", "HTTP", "ALB", "CDN_ADMIN", "POSTGRES", "CLIENT", "GALLERY", "STREAMING")
        ports = {f"VF_{n}_PORT": str(services.free_port()) for n in names}
        if DATABASE_PLAY in plays:  # its migrations need a database that answers
            ports["VF_POSTGRES_PORT"] = str(stack.enter_context(services.postgres()).port)
        env = aws_only_env(
            ports
            | {"VF_STATE_DIR": str(work / "state"), "VF_AWS_PORT": str(emulator.port)}
            | {"ANSIBLE_CONFIG": str(tree / "ansible.cfg"), "ANSIBLE_HOME": str(tree / ".ansible")}
        )
        yield Side("ours", ["-i", "inventories/local", *plays], env, tree, emulator.url, work, pristine, log)


@contextlib.contextmanager
def baseline(work: Path, pristine: dict, tree: Path):
    """The public collections' playbook against a fresh endpoint."""
    path = collections()
    cert_file, key_file = certificate(work)
    log = work / "requests.jsonl"
    with services.aws_emulator(work, request_log=log) as emulator:
        extra = {"AWS_ENDPOINT_URL": emulator.url, "ANSIBLE_COLLECTIONS_PATH": str(path)}
        env = aws_only_env({**services.AWS_TEST_ENV, **extra})
        args = ["-i", "bench/collections/hosts.yml", "bench/collections/reconcile.yml"]
        args += [
            "-e",
            f"baseline_certificate_file={cert_file}",
            "-e",
            f"baseline_private_key_file={key_file}",
        ]
        yield Side("baseline", args, env, ROOT, emulator.url, work, pristine, log)


@contextlib.contextmanager
def site(work: Path, pristine: dict, tree: Path):
    """``make up`` on a stack of its own (free ports, temporary state dir)."""
    stack = new_stack()
    try:
        env = {
            **stack.env,
            "ANSIBLE_CONFIG": str(tree / "ansible.cfg"),
            "ANSIBLE_HOME": str(tree / ".ansible"),
        }
        yield Side("site", ["-i", "inventories/local", "site.yml"], env, tree, stack.aws_url, work, pristine)
    finally:
        # The stack's process logs (aws.log holds the endpoint's tracebacks) outlive its state dir.
        if (stack.state_dir / "logs").is_dir():
            shutil.copytree(stack.state_dir / "logs", work / "stack-logs", dirs_exist_ok=True)
        remove(stack)  # stops this stack's supervisord (and so its endpoint) only


def fresh_endpoint(work: Path) -> dict:
    """What a fresh endpoint already holds (the default VPC's security group ...): not managed."""
    with services.aws_emulator(work) as emulator:
        return resources(emulator.url, REGION)


def measure(factories: dict, rounds: int, work: Path, pristine: dict, tree: Path) -> dict:
    """Bring every side up, converge each, then take turns at the no-op re-runs."""
    out, sides = {}, []
    with contextlib.ExitStack() as stack:
        for name, factory in factories.items():
            print(f"-- {name}", flush=True)
            try:
                (work / name).mkdir()
                side = stack.enter_context(factory(work / name, pristine, tree))
                side.converge()
                sides.append(side)
            except Exception as exc:  # a side that cannot even start is reported, the others go on
                out[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        for _ in range(rounds):
            for side in sides:
                side.noop()
        for side in sides:
            out[side.name] = side.report()
    return out


def ratio(ours: dict, theirs: dict, run: str, key: str) -> float | None:
    a, b = (ours.get(run) or {}).get(key), (theirs.get(run) or {}).get(key)
    return round(a / b, 3) if a and b else None


def compare(ours: dict, theirs: dict) -> dict:
    """Ours per resource over theirs per resource (below 1: ours is cheaper per resource), and
    the median no-op re-run's wall time and AWS calls, ours over theirs."""
    per = {
        f"{run}_{key}{suffix}_ours_over_theirs": ratio(ours, theirs, run, key + suffix)
        for run in ("noop_rerun", "first_converge")
        for key in ("seconds_per_resource", "cpu_seconds_per_resource", "module_runs_per_resource")
        for suffix in ("", NO_OUTPUTS)
    }
    a, b = ours.get("noop_wall_seconds_median"), theirs.get("noop_wall_seconds_median")
    per["noop_wall_ours_over_theirs"] = round(a / b, 3) if a and b else None
    per["noop_rerun_aws_requests_ours_over_theirs"] = ratio(ours, theirs, "noop_rerun", "aws_requests")
    return per


def targets(result: dict) -> dict:
    """The bars: the AWS plays' no-op re-run at most 13 s with changed=0; make up at most 20 s."""
    ours = result.get("ours", {}).get("noop_rerun") or {}
    site = result.get("site", {}).get("noop_rerun") or {}
    return {
        **TARGETS,
        "aws_plays_noop_met": bool(ours)
        and not ours["returncode"]
        and ours["wall_seconds"] <= TARGETS["aws_plays_noop_seconds"]
        and ours["changed"] == 0,
        "make_up_noop_met": bool(site)
        and not site["returncode"]
        and site["wall_seconds"] <= TARGETS["make_up_noop_seconds"],
    }


def latency_targets(result: dict) -> dict:
    """Over a network: the AWS plays' no-op re-run at most 20 s with changed=0, and at most 0.4x
    the collections' playbook."""
    ours = result.get("ours", {}).get("noop_rerun") or {}
    share = (result.get("ratios") or {}).get("noop_wall_ours_over_theirs")
    return {
        **LATENCY_TARGETS,
        "aws_plays_noop_met": bool(ours)
        and not ours["returncode"]
        and ours["wall_seconds"] <= LATENCY_TARGETS["aws_plays_noop_seconds"]
        and ours["changed"] == 0,
        "ours_over_baseline_met": share is not None
        and share <= LATENCY_TARGETS["noop_wall_ours_over_baseline"],
    }


def measure_all(
    wanted: list[str], rounds: int, work: Path, pristine: dict, tree: Path, plays: list[str]
) -> dict:
    """Ours and the baseline taking turns, then the site alone; the ratios."""
    work.mkdir(parents=True, exist_ok=True)
    sides = (("ours", functools.partial(ours, plays=plays)), ("baseline", baseline))
    result = measure({n: f for n, f in sides if n in wanted}, rounds, work, pristine, tree)
    if "site" in wanted:  # alone: its services would load the machine under the others
        result |= measure({"site": site}, rounds, work, pristine, tree)
    if "ours" in result and "baseline" in result:
        result["ratios"] = compare(result["ours"], result["baseline"])
    return result


def git(*args: str) -> str:
    done = subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="ours,baseline,site", help="comma list of ours, baseline, site")
    parser.add_argument(
        "--ref", help="measure our side at this git commit (exported apart), not the working tree"
    )
    parser.add_argument("--rounds", type=int, default=3, help="no-op re-runs per side (default 3)")
    parser.add_argument(
        "--latency-rounds",
        type=int,
        default=3,
        help="no-op re-runs per side under latency (default 3, 0: none)",
    )
    opts = parser.parse_args(argv)
    # Stopped with SIGTERM (or ^C): unwind, so every endpoint, database and stack started here stops.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    wanted = opts.only.split(",")
    shutil.rmtree(RUNS, ignore_errors=True)  # the logs of the previous run
    RUNS.mkdir(parents=True)
    result = {
        "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "ours_source": opts.ref or "working tree",
        "ours_commit": git("rev-parse", opts.ref or "HEAD"),
        "working_tree_changed_files": len(git("status", "--porcelain", "--untracked-files=no").splitlines()),
        "cpu_count": os.cpu_count(),
        "load_at_start": load(),
        "region": REGION,
        "noop_rounds": opts.rounds,
        "latency_noop_rounds": opts.latency_rounds,
    }
    pristine = fresh_endpoint(RUNS)
    with source_tree(opts.ref) as tree:
        plays = result["ours_plays"] = aws_plays(tree)
        result |= measure_all(wanted, opts.rounds, RUNS, pristine, tree, plays)
        result["targets"] = targets(result)
        if opts.latency_rounds:
            with hostile("latency"):
                latency = {"load_at_start": load()}
                latency |= measure_all(wanted, opts.latency_rounds, RUNS / "latency", pristine, tree, plays)
            latency["targets"] = latency_targets(latency)
            result["latency"] = latency
    result["load_at_end"] = load()
    write_result("reconcile", result)
    print(json.dumps(headline(result), indent=2))


def headline(result: dict) -> dict:
    keys = (
        "returncode",
        "wall_seconds",
        "cpu_seconds",
        "changed",
        "module_runs",
        "aws_requests",
        "aws_writes",
    )
    keys += ("seconds_per_resource", "module_runs_per_resource", "seconds_per_resource" + NO_OUTPUTS)
    keys += ("load_before",)
    out = {}
    for name in ("ours", "baseline", "site"):
        if name in result:
            side = result[name]
            out[name] = {k: side.get(k) for k in ("ok", "error", "resources", "resources" + NO_OUTPUTS)}
            for run in ("first_converge", "noop_rerun"):
                if side.get(run):
                    out[name][run] = {k: side[run].get(k) for k in keys}
                    out[name][run]["failures"] = sorted({f["task"] for f in side[run]["failures"]})
            out[name]["noop_rounds_wall_and_load_1m"] = [
                (r["wall_seconds"], (r.get("load_before") or {}).get("load_1m"))
                for r in side.get("noop_rounds", [])
            ]
            out[name]["noop_wall_seconds_median"] = side.get("noop_wall_seconds_median")
    out["ratios"] = result.get("ratios")
    out["targets"] = result.get("targets")
    if "latency" in result:
        out["latency"] = headline(result["latency"])
        first = (result["latency"].get("ours") or {}).get("first_converge") or {}
        out["latency"]["ours_first_converge_faults"] = first.get("faults")
    return out


if __name__ == "__main__":
    main(sys.argv[1:])  # no sys.exit: under `python -m bench` the next benchmark still runs
