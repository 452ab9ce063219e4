"""Reconcile speed: our roles and modules against the public AWS collections, side by side.

    .venv/bin/python -m bench bench_reconcile              -> bench/results/reconcile.json
    .venv/bin/python bench/bench_reconcile.py --only ours,baseline --ref HEAD

Three measurements, each on its own fresh AWS endpoint (``python -m twin.emulator``) on a
free loopback port, stopped afterwards:

- ``ours``: the AWS-facing plays (network ... processor) with the local inventory, first
  converge from empty, then a re-run with nothing to do;
- ``site``: the whole ``site.yml`` as ``make up`` runs it (a stack on free ports, its state in
  a temporary directory), brought up, then re-run with nothing to do;
- ``baseline``: amazon.aws 10.1.2 + community.aws 10.0.0 (from the ansible 12.3.0 wheel)
  provisioning the same architecture (bench/collections/reconcile.yml), first run and re-run.

Each run reports wall seconds, the recap's changed count, module runs (task results with
loop items counted one by one, skipped ones not), the slowest tasks, and the AWS resources
the deployment manages, counted from the endpoint (what exists after the converge minus what
a fresh endpoint already holds). A side that fails is reported as failed; the others go on.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from bench.aws_resources import managed, resources  # noqa: E402
from tests.support import services  # noqa: E402
from tests.support.stack import new_stack, remove  # noqa: E402

HERE = ROOT / "bench"
BIN = Path(sys.executable).parent
REGION = "ap-southeast-2"
AWS_PLAYS = [
    f"playbooks/{p}.yml" for p in "network storage messaging identity edge compute processor".split()
]
# The baseline: exactly the collections bundled in this wheel.
WHEEL = "ansible-12.3.0-py3-none-any.whl"
WHEEL_SHA256 = "cd156f82fa87f7a899212b0efa9f7ca3a24d609212de9f78428a572eb01e5414"
COLLECTIONS = {"amazon/aws": "10.1.2", "community/aws": "10.0.0"}
DOWNLOADS, COLLECTIONS_DIR = HERE / ".downloads", HERE / ".collections"
# Actions Ansible runs in the controller without shipping a module (reported apart).
CONTROLLER_ACTIONS = {
    "ansible.builtin.assert",
    "ansible.builtin.set_fact",
    "ansible.builtin.validate_argument_spec",
    "ansible.builtin.debug",
    "ansible.builtin.fail",
    "ansible.builtin.include_tasks",
    "ansible.builtin.include_role",
    "ansible.builtin.meta",
}
TIMEOUT = 1800
NO_OUTPUTS = "_excluding_ssm_parameters"
# Each run's output, callback lines and emulator log stay here until the next run (gitignored).
RUNS = HERE / "results" / "reconcile-runs"


def load() -> dict:
    one, five, fifteen = os.getloadavg()
    return {"load_1m": round(one, 2), "load_5m": round(five, 2), "load_15m": round(fifteen, 2)}


def summarise(events_file: Path, ended: float) -> dict:
    """Module runs, changed, failures and the slowest tasks from the callback's lines."""
    events = (
        [json.loads(line) for line in events_file.read_text().splitlines()] if events_file.exists() else []
    )
    runs = [
        e for e in events if e["event"] == "result" and not e["loop_summary"] and e["status"] != "skipped"
    ]
    stats = next((e for e in reversed(events) if e["event"] == "stats"), {})
    starts = [e for e in events if e["event"] == "task"]
    spans: Counter = Counter()
    for this, following in zip(starts, [*starts[1:], {"t": stats.get("t", ended)}], strict=True):
        spans[this["task"]] += following["t"] - this["t"]
    by_action = Counter(e["action"] for e in runs)
    return {
        "changed": stats.get("changed"),
        "ok": stats.get("ok"),
        "failed": stats.get("failures"),
        "module_runs": len(runs),
        "module_runs_controller_only": sum(n for a, n in by_action.items() if a in CONTROLLER_ACTIONS),
        "module_runs_by_action": dict(by_action.most_common()),
        "changed_results": [e["task"] for e in runs if e["status"] == "changed"],
        "failures": [{"task": e["task"], "msg": e.get("msg", "")} for e in runs if e["status"] == "failed"],
        "slowest_tasks": [{"task": t, "seconds": round(s, 2)} for t, s in spans.most_common(12)],
    }


def requests(request_log: Path | None, start: int) -> dict:
    """What the endpoint answered from line ``start`` of its request log: all, and the writes."""
    if request_log is None or not request_log.exists():
        return {}
    lines = [json.loads(line) for line in request_log.read_text().splitlines()[start:]]
    writes = Counter(f"{e['service']}:{e['action']}" for e in lines if e["write"] and e["status"] < 400)
    return {"aws_requests": len(lines), "aws_writes": sum(writes.values()), "aws_write_actions": dict(writes)}


def log_lines(request_log: Path | None) -> int:
    return len(request_log.read_text().splitlines()) if request_log and request_log.exists() else 0


def playbook(name: str, args: list[str], env: dict, work: Path, cwd: Path, request_log: Path | None) -> dict:
    """Run ``ansible-playbook ARGS`` with the timing callback; wall time and what it reported."""
    events = work / f"{name}.events.jsonl"
    log = work / f"{name}.log"
    env = {
        **env,
        "ANSIBLE_CALLBACK_PLUGINS": str(HERE / "callback_plugins"),
        "ANSIBLE_CALLBACKS_ENABLED": "vf_bench_timing",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
        "VF_BENCH_EVENTS": str(events),
    }
    before, logged = load(), log_lines(request_log)
    started = time.monotonic()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [str(BIN / "ansible-playbook"), *args],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            rc = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 15)  # its own session: ansible-playbook and its workers only
            rc = proc.wait()
    wall = time.monotonic() - started
    result = {"returncode": rc, "wall_seconds": round(wall, 2), **summarise(events, time.time())}
    result.update(requests(request_log, logged))
    result.update(load_before=before, load_after=load(), log=str(log))
    if rc:
        result["output_tail"] = log.read_text()[-3000:]
    print(f"   {name}: rc={rc} {wall:.1f}s changed={result['changed']} module runs={result['module_runs']}")
    return result


def per_resource(run: dict, count: int, suffix: str = "") -> None:
    if count and not run["returncode"]:
        run[f"seconds_per_resource{suffix}"] = round(run["wall_seconds"] / count, 3)
        run[f"module_runs_per_resource{suffix}"] = round(run["module_runs"] / count, 2)


def converge_twice(
    name: str, args: list[str], env: dict, work: Path, url: str, pristine: dict, cwd: Path, request_log=None
) -> dict:
    first = playbook(f"{name}-first", args, env, work, cwd, request_log)
    found = managed(resources(url, REGION), pristine)
    second = playbook(f"{name}-noop", args, env, work, cwd, request_log)
    count = sum(len(v) for v in found.values())
    # Published outputs are cheap to count and cheap to reconcile: the figures without them too.
    no_outputs = count - len(found.get("ssm_parameters", ()))
    for run in (first, second):
        per_resource(run, count)
        per_resource(run, no_outputs, NO_OUTPUTS)
    ok = not first["returncode"] and not second["returncode"]
    return {
        "ok": ok,
        "error": None if ok else f"{name} did not converge: see failures, output_tail and {work}",
        "resources": count,
        f"resources{NO_OUTPUTS}": no_outputs,
        "resources_by_kind": {k: len(v) for k, v in sorted(found.items())},
        "resource_names": {k: sorted(v) for k, v in sorted(found.items())},
        "first_converge": first,
        "noop_rerun": second,
    }


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


def measure_ours(work: Path, pristine: dict, tree: Path) -> dict:
    """The AWS-facing plays, with the local inventory, against a fresh endpoint."""
    with services.aws_emulator(work, request_log=work / "requests.jsonl") as emulator:
        ports = {f"VF_{p}_PORT": str(services.free_port()) for p in ("HTTPS", "HTTP", "POSTGRES", "CLIENT")}
        ports |= {f"VF_{p}_PORT": str(services.free_port()) for p in ("GALLERY", "STREAMING")}
        env = aws_only_env(
            {"VF_STATE_DIR": str(work / "state"), "VF_AWS_PORT": str(emulator.port), **ports}
            | {"ANSIBLE_CONFIG": str(tree / "ansible.cfg"), "ANSIBLE_HOME": str(tree / ".ansible")}
        )
        args = ["-i", "inventories/local", *AWS_PLAYS]
        return converge_twice("ours", args, env, work, emulator.url, pristine, tree, work / "requests.jsonl")


def measure_site(work: Path, pristine: dict, tree: Path) -> dict:
    """``make up`` twice on a stack of its own (free ports, temporary state dir)."""
    stack = new_stack()
    try:
        env = {
            **stack.env,
            "ANSIBLE_CONFIG": str(tree / "ansible.cfg"),
            "ANSIBLE_HOME": str(tree / ".ansible"),
        }
        return converge_twice(
            "site", ["-i", "inventories/local", "site.yml"], env, work, stack.aws_url, pristine, tree
        )
    finally:
        # The stack's process logs (aws.log holds the endpoint's tracebacks) outlive its state dir.
        if (stack.state_dir / "logs").is_dir():
            shutil.copytree(stack.state_dir / "logs", work / "stack-logs", dirs_exist_ok=True)
        remove(stack)  # stops this stack's supervisord (and so its emulator) only


def collections() -> Path:
    """amazon.aws and community.aws exactly as the ansible 12.3.0 wheel bundles them."""
    marker = COLLECTIONS_DIR / ".from"
    if marker.exists() and marker.read_text() == WHEEL_SHA256:
        return COLLECTIONS_DIR
    wheel = DOWNLOADS / WHEEL
    if not wheel.exists():
        DOWNLOADS.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [str(BIN / "pip"), "download", "--quiet", "--no-deps", "ansible==12.3.0", "-d", str(DOWNLOADS)],
            check=True,
        )
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise RuntimeError(f"{wheel}: sha256 {digest}, expected {WHEEL_SHA256}")
    shutil.rmtree(COLLECTIONS_DIR, ignore_errors=True)
    with zipfile.ZipFile(wheel) as whl:
        for name in COLLECTIONS:
            whl.extractall(
                COLLECTIONS_DIR, [n for n in whl.namelist() if n.startswith(f"ansible_collections/{name}/")]
            )
    for name, version in COLLECTIONS.items():
        manifest = json.loads((COLLECTIONS_DIR / "ansible_collections" / name / "MANIFEST.json").read_text())
        if manifest["collection_info"]["version"] != version:
            raise RuntimeError(f"{name} is {manifest['collection_info']['version']}, expected {version}")
    marker.write_text(WHEEL_SHA256)
    return COLLECTIONS_DIR


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as the local edge imports into ACM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


def measure_baseline(work: Path, pristine: dict) -> dict:
    path = collections()
    cert_file, key_file = certificate(work)
    with services.aws_emulator(work, request_log=work / "requests.jsonl") as emulator:
        env = aws_only_env(
            {**services.AWS_TEST_ENV, "AWS_ENDPOINT_URL": emulator.url, "ANSIBLE_COLLECTIONS_PATH": str(path)}
        )
        args = ["-i", "bench/collections/hosts.yml", "bench/collections/reconcile.yml"]
        args += [
            "-e",
            f"baseline_certificate_file={cert_file}",
            "-e",
            f"baseline_private_key_file={key_file}",
        ]
        return converge_twice(
            "baseline", args, env, work, emulator.url, pristine, ROOT, work / "requests.jsonl"
        )


def fresh_endpoint(work: Path) -> dict:
    """What a fresh endpoint already holds (default VPC, its security group ...): not managed."""
    with services.aws_emulator(work) as emulator:
        return resources(emulator.url, REGION)


def guarded(name: str, measure, *args) -> dict:
    print(f"-- {name}", flush=True)
    try:
        return measure(*args)
    except Exception as exc:  # a side that cannot even start is reported, the others still run
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"}


def ratio(ours: dict, theirs: dict, run: str, key: str) -> float | None:
    a, b = ours.get(run, {}).get(key), theirs.get(run, {}).get(key)
    return round(a / b, 3) if a and b else None


def compare(ours: dict, theirs: dict) -> dict:
    """Ours per resource over theirs per resource (below 1: ours is cheaper per resource)."""
    return {
        f"{run}_{key}_ours_over_theirs": ratio(ours, theirs, run, key)
        for run in ("noop_rerun", "first_converge")
        for base in ("seconds_per_resource", "module_runs_per_resource")
        for key in (base, base + NO_OUTPUTS)
    }


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
    ).stdout.strip()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="ours,site,baseline", help="comma list of ours, site, baseline")
    parser.add_argument(
        "--ref", help="measure our side at this git commit (exported apart), not the working tree"
    )
    opts = parser.parse_args(argv)
    wanted = opts.only.split(",")
    shutil.rmtree(RUNS, ignore_errors=True)  # the logs of the previous run
    work = RUNS
    work.mkdir(parents=True)
    result = {
        "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "git_commit": git("rev-parse", "HEAD"),
        "ours_source": opts.ref or "working tree",
        "ours_commit": git("rev-parse", opts.ref) if opts.ref else git("rev-parse", "HEAD"),
        "working_tree_changes": len(git("status", "--porcelain", "--untracked-files=no").splitlines()),
        "cpu_count": os.cpu_count(),
        "load_at_start": load(),
        "region": REGION,
    }
    try:
        pristine = fresh_endpoint(work)
        with source_tree(opts.ref) as tree:
            for name, measure, args in (
                ("ours", measure_ours, (tree,)),
                ("site", measure_site, (tree,)),
                ("baseline", measure_baseline, ()),
            ):
                if name in wanted:
                    (work / name).mkdir()
                    result[name] = guarded(name, measure, work / name, pristine, *args)
    finally:
        result["load_at_end"] = load()
    if "ours" in result and "baseline" in result:
        result["ratios"] = compare(result["ours"], result["baseline"])
    result["targets"] = targets(result)
    out = HERE / "results" / "reconcile.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(headline(result), indent=2))


def targets(result: dict) -> dict:
    """Issue 11's bars: the AWS plays' no-op re-run at most 13 s, changed=0; make up at most 20 s."""
    ours = result.get("ours", {}).get("noop_rerun", {})
    site = result.get("site", {}).get("noop_rerun", {})
    return {
        "aws_plays_noop_at_most_13s_changed_0": bool(ours)
        and not ours["returncode"]
        and ours["wall_seconds"] <= 13
        and ours["changed"] == 0,
        "make_up_noop_at_most_20s": bool(site) and not site["returncode"] and site["wall_seconds"] <= 20,
    }


def headline(result: dict) -> dict:
    keys = (
        "returncode",
        "wall_seconds",
        "changed",
        "module_runs",
        "seconds_per_resource",
        "module_runs_per_resource",
        "seconds_per_resource" + NO_OUTPUTS,
        "aws_writes",
        "failures",
    )
    out = {}
    for side in ("ours", "site", "baseline"):
        if side in result:
            r = result[side]
            out[side] = {"ok": r["ok"], "error": r["error"], "resources": r.get("resources")}
            out[side]["resources" + NO_OUTPUTS] = r.get("resources" + NO_OUTPUTS)
            for run in ("first_converge", "noop_rerun"):
                if run in r:
                    out[side][run] = {k: r[run].get(k) for k in keys}
    out["ratios"] = result.get("ratios")
    out["targets"] = result["targets"]
    return out


if __name__ == "__main__":
    main(sys.argv[1:])  # no sys.exit: under `python -m bench` the next benchmark still runs
