"""What one hour of 1080p costs in CPU: the job's own FFmpeg ladder (the catalog's ladder, the
worker's default preset, the same command as bench_processor's bare run) on a 60 s 1080p25
source, measured in CPU seconds (user + system of the FFmpeg process) per second of media.

CPU time, not wall: this machine is shared, and an instance that runs one job at a time keeps
every vCPU busy with the ladder's four encoders and its decoder, so its wall time is the CPU
time over its vCPUs (docs/COST.md, "What a transcoded hour costs"). Two sources, since x264's
work depends on the picture: a clean moving test pattern, and the same pattern with film-grain
noise, nearer a camera's footage. ``make cost`` reads the figure from docs/prices.yml, where it
is copied with this run's date and machine.

    .venv/bin/python -m bench bench_encode      -> bench/results/encode.json
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from bench import load_average, write_result
from bench.bench_processor import FPS, HEIGHT, PRESET, SECONDS, WIDTH, bare_ladder
from processor.ffmpeg import Ffmpeg
from tests.support import media as clips
from tests.support import model

RUNS = int(os.environ.get("BENCH_ENCODE_RUNS") or 2)
# testsrc2 alone, and with temporal noise (grain that changes every frame) over it.
PICTURES = {"pattern": "", "grain": ",noise=alls=10:allf=t"}


def source(path: Path, extra_filter: str) -> Path:
    subprocess.run(
        [clips.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
         "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={SECONDS}{extra_filter}",
         "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
         "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-b:a", "128k", "-shortest", str(path)],
        check=True, capture_output=True,
    )  # fmt: skip
    return path


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(ffmpeg: Ffmpeg, path: Path, work: Path) -> dict:
    before, load_before = children_cpu(), load_average()
    wall = bare_ladder(ffmpeg, path, work)
    cpu = children_cpu() - before
    return {
        "cpu_seconds": round(cpu, 2),
        "wall_seconds": round(wall, 2),
        "cpu_seconds_per_media_second": round(cpu / SECONDS, 3),
        "load_before": load_before,
        "load_after": load_average(),
    }


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="vf-bench-encode-"))
    ffmpeg = Ffmpeg(clips.ffmpeg_exe(), model.media_limits())
    results = {}
    for name, extra in PICTURES.items():
        path = source(tmp / f"{name}.mp4", extra)
        runs = [measure(ffmpeg, path, tmp / "out") for _ in range(RUNS)]
        results[name] = {
            "runs": runs,
            "cpu_seconds_per_media_second": min(r["cpu_seconds_per_media_second"] for r in runs),
            "source_bytes": path.stat().st_size,
        }
    cpu_model = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), platform.processor(),
    )  # fmt: skip
    result = {
        "date": datetime.now(UTC).date().isoformat(),
        "source": {"width": WIDTH, "height": HEIGHT, "fps": FPS, "seconds": SECONDS},
        "ladder": list(model.rendition_names()),
        "preset": PRESET,
        "ffmpeg": subprocess.run(
            [clips.ffmpeg_exe(), "-version"], capture_output=True, text=True
        ).stdout.split("\n")[0],
        "machine": {"cpu": cpu_model, "vcpus": os.cpu_count(), "machine": platform.machine()},
        "pictures": results,
        "notes": "cpu = user + system seconds of the FFmpeg process (RUSAGE_CHILDREN); the lowest of the "
        "runs is taken, as contention only adds to it. wall is printed for reference only: the machine "
        "is shared.",
    }
    write_result("encode", result)
    print(json.dumps({k: v["cpu_seconds_per_media_second"] for k, v in results.items()}), "CPU s per media s")
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
