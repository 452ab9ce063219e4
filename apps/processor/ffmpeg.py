"""Running FFmpeg on an upload nobody vetted.

Every run: only the `file` protocol (an HLS or concat playlist cannot make FFmpeg fetch a URL
or read another file), only the demuxers of the accepted upload types, decoders refusing
frames above the pixel limit (a 16k x 16k frame is never allocated), at most the longest
allowed duration read, a scrubbed environment (no database password, no AWS credentials),
and, on the instances, inside the sandbox the model names (a private network namespace).
"""

from __future__ import annotations

import collections
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from processor import media
from processor.limits import MediaLimits

Tick = Callable[[], None]

# What FFmpeg inherits: enough to find its libraries and speak plain C, nothing else.
_KEPT_ENV = ("PATH", "LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class Ffmpeg:
    binary: str
    limits: MediaLimits
    sandbox: tuple[str, ...] = ()

    def input_options(self) -> list[str]:
        return [
            "-protocol_whitelist", "file",
            "-format_whitelist", ",".join(self.limits.input_formats),
            "-max_pixels", str(self.limits.max_pixels_per_frame),
            "-t", str(int(self.limits.max_duration_seconds) + 1),
        ]  # fmt: skip

    def command(self, args: Sequence[str]) -> list[str]:
        """args as media.* builds them (binary first), inside the sandbox."""
        return [*self.sandbox, self.binary, *args[1:]]

    @staticmethod
    def environment() -> dict[str, str]:
        env = {k: os.environ[k] for k in _KEPT_ENV if k in os.environ}
        env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
        return env

    def popen(self, args: Sequence[str], **kwargs) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(args), env=self.environment(), stdin=subprocess.DEVNULL, **kwargs
        )

    def run(self, args: Sequence[str], timeout: float, tick: Tick) -> tuple[int, str]:
        """(exit status, stderr); ``tick`` runs about once a second while it works and may raise
        (FFmpeg is killed then)."""
        proc = self.popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    _, stderr = proc.communicate(timeout=1.0)
                    return proc.returncode, stderr
                except subprocess.TimeoutExpired:
                    if time.monotonic() > deadline:
                        raise
                    tick()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()

    def probe(self, path: Path, tick: Tick) -> media.Probe:
        """Probe with FFmpeg itself (no ffprobe in the wheel); measure the duration by a stream
        copy pass when the container declares none. Limits are checked before anything else."""
        base = [self.binary, "-hide_banner", "-nostdin", *self.input_options()]
        _, stderr = self.run([*base, "-i", str(path)], timeout=120, tick=tick)
        oversize = media.declared_oversize(stderr)
        if oversize:
            said = next(line for line in stderr.splitlines() if "Picture size" in line)
            self.limits.check_picture(*oversize, detail=said.strip())
        probe = media.parse_probe(stderr)
        if probe.duration <= 0:
            copy = [*base, "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "null", "-"]
            _, stderr = self.run(copy, timeout=self.limits.budget_seconds(0), tick=tick)
            duration = media.parse_decoded_duration(stderr)
            if duration <= 0:
                raise media.UnreadableMedia("The uploaded file has no playable video frames.")
            probe = media.Probe(**{**vars(probe), "duration": duration})
        self.limits.check(probe.duration, probe.display_width, probe.display_height, probe.fps)
        return probe

    def poster(self, source: Path, out: Path, duration: float) -> str | None:
        """A JPEG frame ~10% in (the first frame when the seek finds nothing); None when
        made, else FFmpeg's complaint for the log."""
        opts = self.input_options()
        stderr = ""
        for at in (duration, 0):
            args = media.poster_args(self.binary, str(source), str(out), at, input_options=opts)
            result = subprocess.run(
                self.command(args), env=self.environment(), stdin=subprocess.DEVNULL,
                capture_output=True, text=True, timeout=300, check=False,
            )  # fmt: skip
            if result.returncode == 0 and out.exists() and out.stat().st_size > 0:
                return None
            stderr = result.stderr
        return stderr[-500:] or "no poster frame"


class LadderRun:
    """The ladder's FFmpeg process: its progress (``-progress pipe:1``) and stderr tail."""

    def __init__(self, ffmpeg: Ffmpeg, args: Sequence[str]):
        self.proc = ffmpeg.popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.started = self.moved_at = time.monotonic()
        self.out_time = 0.0
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=30)
        self.readers = [
            threading.Thread(target=self._read_progress, daemon=True),
            threading.Thread(target=lambda: self.stderr_tail.extend(self.proc.stderr), daemon=True),
        ]
        for t in self.readers:
            t.start()

    def _read_progress(self) -> None:
        for line in self.proc.stdout:
            out_time, _ = media.parse_progress([line])
            if out_time is not None and out_time != self.out_time:
                self.out_time, self.moved_at = out_time, time.monotonic()

    def running(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def finish(self) -> None:
        """After exit: the readers have everything; a failure carries FFmpeg's words (log only)."""
        for t in self.readers:
            t.join(timeout=10)
        if self.proc.returncode != 0:
            tail = " | ".join(line.strip() for line in self.stderr_tail if line.strip())[-800:]
            raise RuntimeError(f"FFmpeg exited with status {self.proc.returncode}: {tail}")
