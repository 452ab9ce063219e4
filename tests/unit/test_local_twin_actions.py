"""The local twin's controller-side actions (roles/local_supervisor/action_plugins): a file is
written only when it differs, check mode writes nothing, waits end as soon as a server answers."""

from __future__ import annotations

import http.server
import importlib.util
import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

PLUGINS = Path(__file__).resolve().parents[2] / "roles" / "local_supervisor" / "action_plugins"


def plugin(name: str):
    spec = importlib.util.spec_from_file_location(f"vf_test_{name}", PLUGINS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


files = plugin("vf_local_files")
wait = plugin("vf_local_wait")
supervisord = plugin("vf_local_supervisord")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_files_written_once_then_unchanged(tmp_path):
    dirs = [
        {"path": str(tmp_path / "a"), "mode": "0750"},
        {"path": str(tmp_path / "a" / "b"), "mode": "0700"},
    ]
    conf = [{"dest": str(tmp_path / "a" / "b" / "x.conf"), "content": "x=1\n", "mode": "0600"}]
    changed, diffs = files.reconcile(dirs, conf, check=False)
    assert changed == [str(tmp_path / "a"), str(tmp_path / "a" / "b"), str(tmp_path / "a" / "b" / "x.conf")]
    assert (tmp_path / "a" / "b" / "x.conf").read_text() == "x=1\n"
    assert (mode(tmp_path / "a"), mode(tmp_path / "a" / "b"), mode(tmp_path / "a" / "b" / "x.conf")) == (
        0o750,
        0o700,
        0o600,
    )
    assert diffs[-1]["after"] == "x=1\n"
    before = (tmp_path / "a" / "b" / "x.conf").stat().st_mtime_ns
    assert files.reconcile(dirs, conf, check=False) == ([], [])
    assert (tmp_path / "a" / "b" / "x.conf").stat().st_mtime_ns == before


def test_a_changed_content_or_mode_is_found_and_check_mode_writes_nothing(tmp_path):
    dest = tmp_path / "x.conf"
    dest.write_text("x=1\n")
    dest.chmod(0o644)
    want = [{"dest": str(dest), "content": "x=2\n", "mode": "0600"}]
    changed, diffs = files.reconcile([], want, check=True)
    assert changed == [str(dest)]
    assert diffs[0]["before"] == "x=1\n(mode 0644)\n" and diffs[0]["after"] == "x=2\n(mode 0600)\n"
    assert dest.read_text() == "x=1\n" and mode(dest) == 0o644
    files.reconcile([], want, check=False)
    assert dest.read_text() == "x=2\n" and mode(dest) == 0o600
    # Only the mode differs: changed, the content is left as it is.
    dest.chmod(0o640)
    assert files.reconcile([], want, check=False)[0] == [str(dest)]
    assert mode(dest) == 0o600 and dest.read_text() == "x=2\n"
    assert not list(tmp_path.glob(".x.conf.*"))  # no temporary file left behind


def test_a_secret_stays_out_of_the_diff(tmp_path):
    want = [{"dest": str(tmp_path / "pw"), "content": "hunter2\n", "mode": "0600", "secret": True}]
    _, diffs = files.reconcile([], want, check=True)
    assert "hunter2" not in repr(diffs)


def test_wait_answers_at_once_for_an_open_port_and_an_answering_url():
    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        started = time.monotonic()
        assert wait.answer({"host": "127.0.0.1", "port": port}) is None
        assert wait.answer({"url": f"http://127.0.0.1:{port}/health"}) is None
        assert time.monotonic() - started < 1
        assert wait.answer({"url": f"http://127.0.0.1:{port}/nope"}) == "status 404, not 200"
    finally:
        server.shutdown()
        server.server_close()


def test_wait_reports_a_closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: refused
        assert "ConnectionRefusedError" in wait.answer({"host": "127.0.0.1", "port": port})


@pytest.mark.parametrize("content", ["", "not a pid", "999999999"])
def test_supervisord_not_running_for_a_missing_or_stale_pidfile(tmp_path, content):
    (tmp_path / "run").mkdir()
    if content:
        (tmp_path / "run" / "supervisord.pid").write_text(content)
    assert supervisord.supervisord_pid(str(tmp_path)) is None


def test_supervisord_pidfile_naming_another_process_is_not_supervisord(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "supervisord.pid").write_text(str(os.getpid()))  # pytest, not supervisord
    assert supervisord.supervisord_pid(str(tmp_path)) is None
