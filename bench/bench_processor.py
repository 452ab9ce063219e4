"""The processor against its baseline, side by side in one run:

- wall: a 60 s 1080p job (message sent -> video ready in the database, through the real
  worker, moto S3 over HTTP and PostgreSQL) against the bare FFmpeg ladder command on the
  same file (same arguments, local disk, nothing uploaded). Target: at most 1.05x.
- first playable: message sent -> master playlist and a first segment of every rendition in
  S3 (what the streaming service needs to serve the video).
- memory: the worker's own RSS (the Python process, FFmpeg apart) with a 50 MB and a 500 MB
  source: flat, as the source goes to disk in parts and segments leave as they are made.

Runs are interleaved so a noisy neighbour slows both alike; the machine's load average is
recorded beside each figure.

    .venv/bin/python -m bench bench_processor      -> bench/results/processor.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import boto3
import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "apps")]

from bench import load_average, write_result  # noqa: E402
from processor import media  # noqa: E402
from processor.ffmpeg import Ffmpeg  # noqa: E402
from tests.support import media as clips  # noqa: E402
from tests.support import model, services  # noqa: E402
from videoforge import jobs  # noqa: E402
from videoforge.migrate import migrate  # noqa: E402

SECONDS, WIDTH, HEIGHT, FPS = 60, 1920, 1080, 25
PRESET = "veryfast"
RUNS = int(os.environ.get("BENCH_PROCESSOR_RUNS") or 2)
SEGMENT = int(model.catalog()["videoforge_hls_segment_seconds"])
MIB = 1024 * 1024


def bare_ladder(ffmpeg: Ffmpeg, source: Path, work: Path) -> float:
    """The same single FFmpeg run the job makes, on local disk: the baseline."""
    probe = ffmpeg.probe(source, tick=lambda: None)
    renditions = media.select_ladder(probe, model.ladder(), model.rendition_names())
    out = work / uuid.uuid4().hex
    for r in renditions:
        (out / r.name).mkdir(parents=True)
    args = media.ladder_args(
        ffmpeg.binary,
        str(source),
        str(out),
        renditions,
        probe.has_audio,
        SEGMENT,
        PRESET,
        ffmpeg.input_options(),
    )
    started = time.monotonic()
    subprocess.run(ffmpeg.command(args), check=True, capture_output=True, env=ffmpeg.environment())
    wall = time.monotonic() - started
    subprocess.run(["rm", "-rf", str(out)], check=False)
    return wall


def large_source(path: Path, size_bytes: int) -> Path:
    """1080p of noise, lossless: a big file that is still a few seconds of video."""
    if not path.exists():
        subprocess.run(
            [clips.ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
             "-f", "lavfi", "-i", f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS}:duration=60",
             "-vf", "noise=alls=12:allf=t", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
             "-pix_fmt", "yuv420p", "-fs", str(size_bytes), str(path)],
            check=True, capture_output=True,
        )  # fmt: skip
    return path


class Bench:
    def __init__(self, aws, pg, tmp: Path):
        self.tmp = tmp
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        migrate(pg.dsn("bench"))
        self.dsn = pg.dsn("bench")
        self.s3 = boto3.client("s3", endpoint_url=aws.url)
        self.sqs = boto3.client("sqs", endpoint_url=aws.url)
        self.s3.create_bucket(
            Bucket="bench", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"}
        )
        self.queue = self.sqs.create_queue(QueueName="bench", Attributes={"VisibilityTimeout": "300"})[
            "QueueUrl"
        ]
        self.env = {
            **os.environ,
            **model.processor_environment(),
            "PYTHONPATH": str(ROOT / "apps"),
            "DB_HOST": pg.host, "DB_PORT": str(pg.port), "DB_NAME": "bench", "DB_USER": pg.user,
            "DB_PASSWORD": "unused", "S3_BUCKET": "bench", "SQS_QUEUE_URL": self.queue,
            "PROCESSOR_WORK_DIR": str(tmp / "work"), "PROCESSOR_X264_PRESET": PRESET,
            "PROCESSOR_WAIT_SECONDS": "1", "LOG_LEVEL": "INFO",
        }  # fmt: skip
        self.log = open(tmp / "worker.log", "wb")
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "processor"], env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        self.proc = psutil.Process(self.worker.pid)

    def stop(self) -> None:
        self.worker.terminate()
        self.worker.wait(60)
        self.log.close()

    def job(self, source: Path) -> dict:
        """Upload and confirm as the gallery would, send the job, watch until ready."""
        video_id, user = str(uuid.uuid4()), "bench"
        job = jobs.Job.new(video_id, user, model.rendition_names())
        self.s3.upload_file(str(source), "bench", job.s3_key)
        etag = self.s3.head_object(Bucket="bench", Key=job.s3_key)["ETag"]
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO gallery_videos (id, owner_id, title, status, s3_key, file_name, content_type,"
                " size_bytes, source_etag, queued_at) VALUES (%s, %s, 'bench', 'queued', %s, 'source.mp4',"
                " 'video/mp4', %s, %s, now())",
                (video_id, user, job.s3_key, source.stat().st_size, etag),
            )
            load_before, sent = load_average(), time.time()
            started = time.monotonic()
            self.sqs.send_message(QueueUrl=self.queue, MessageBody=job.to_json())
            figures = self.watch(conn, video_id, started)
        return figures | {
            "phases": self.phases(video_id, sent),
            "load_before": load_before,
            "load_after": load_average(),
        }

    def phases(self, video_id: str, sent: float) -> dict:
        """Where the job's wall went, from the worker's log: before FFmpeg (receive, download,
        probe), FFmpeg's own run, and after it (last segments, playlists, master, database)."""
        at = {}
        for line in (self.tmp / "worker.log").read_text(errors="replace").splitlines():
            if line.startswith("{") and video_id in line:
                entry = json.loads(line)
                stamp = (
                    datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).timestamp()
                )
                at.setdefault(entry["message"], stamp)
        return {
            "before_ffmpeg": round(at["ffmpeg started"] - sent, 3),
            "ffmpeg": round(at["ffmpeg finished"] - at["ffmpeg started"], 3),
            "after_ffmpeg": round(at["video ready"] - at["ffmpeg finished"], 3),
        }

    def watch(self, conn, video_id: str, started: float) -> dict:
        playable, peak_rss = None, 0
        while True:
            status = conn.execute("SELECT status FROM gallery_videos WHERE id = %s", (video_id,)).fetchone()[
                0
            ]
            if playable is None:
                kinds = conn.execute(
                    "SELECT count(*) FILTER (WHERE kind = 'master') FROM media_assets WHERE video_id = %s",
                    (video_id,),
                ).fetchone()[0]
                if kinds:
                    playable = time.monotonic() - started
            try:
                peak_rss = max(peak_rss, self.proc.memory_info().rss)
            except psutil.NoSuchProcess:
                pass
            if status in ("ready", "failed"):
                break
            time.sleep(0.05)
        assert status == "ready", (self.tmp / "worker.log").read_text()[-2000:]
        wall = time.monotonic() - started
        return {
            "wall_seconds": round(wall, 3),
            "first_playable_seconds": playable,
            "worker_peak_rss_mib": round(peak_rss / MIB, 1),
        }


def _med(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="vf-bench-processor-"))
    ffmpeg = Ffmpeg(clips.ffmpeg_exe(), model.media_limits())
    source = clips.make_clip(tmp / "source.mp4", WIDTH, HEIGHT, SECONDS, fps=FPS)
    sources = {
        "50MB": large_source(tmp / "50mb.mp4", 50 * 10**6),
        "500MB": large_source(tmp / "500mb.mp4", 500 * 10**6),
    }
    bare, job_runs, memory = [], [], {}
    with services.aws_emulator(tmp) as aws, services.postgres() as pg:
        services.set_aws_test_env(aws.url)
        bench = Bench(aws, pg, tmp)
        try:
            for _ in range(RUNS):  # interleaved
                load_before = load_average()
                bare.append({"wall_seconds": round(bare_ladder(ffmpeg, source, tmp / "bare"), 3),
                             "load_before": load_before, "load_after": load_average()})  # fmt: skip
                job_runs.append(bench.job(source))
            for name, path in sources.items():
                memory[name] = bench.job(path) | {"bytes": path.stat().st_size}
        finally:
            bench.stop()
    bare_wall = _med([r["wall_seconds"] for r in bare])
    job_wall = _med([r["wall_seconds"] for r in job_runs])
    result = {
        "source": {
            "width": WIDTH,
            "height": HEIGHT,
            "seconds": SECONDS,
            "fps": FPS,
            "bytes": source.stat().st_size,
        },
        "ladder": list(model.rendition_names()),
        "preset": PRESET,
        "segment_seconds": SEGMENT,
        "runs": RUNS,
        "bare_ffmpeg_ladder": bare,
        "job": job_runs,
        "median": {
            "bare_ffmpeg_ladder_wall": bare_wall,
            "job_wall": job_wall,
            "first_playable_seconds": _med([r["first_playable_seconds"] for r in job_runs]),
        },
        "job_over_bare_wall_ratio": round(job_wall / bare_wall, 3),
        "target_ratio": 1.05,
        "worker_rss_by_source_size": memory,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_at_end": load_average(),
        },
        "notes": "job = SQS send -> gallery_videos.status 'ready' (download with If-Match, probe, poster "
        "beside the ladder, segments uploaded while FFmpeg runs, VOD playlists, master, database); bare = "
        "the same FFmpeg ladder command on local disk. first_playable = send -> the master playlist row "
        "(every rendition has a segment in S3). worker RSS is the Python process alone (FFmpeg apart). "
        "moto, PostgreSQL and the worker share the machine's cores with FFmpeg in the job runs only.",
    }
    write_result("processor", result)
    print(json.dumps(result["median"]), "wall ratio", result["job_over_bare_wall_ratio"])
    print(json.dumps({k: v["worker_peak_rss_mib"] for k, v in memory.items()}), "MiB worker RSS")
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
