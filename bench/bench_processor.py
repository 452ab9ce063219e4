"""The processor's overhead: a job's wall time (message sent -> video ready in the database,
through the real worker, moto S3 over HTTP and PostgreSQL) against the bare FFmpeg ladder
command on the same file (same arguments, local disk, nothing uploaded). Also: the same
ladder as one FFmpeg run per rendition (what the single invocation saves), and the worker's
peak memory (process tree RSS) while it runs.

    .venv/bin/python -m bench bench_processor      -> bench/results/processor.json
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import psutil
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "apps")]

from processor import media  # noqa: E402
from processor.ffmpeg import Ffmpeg  # noqa: E402
from tests.support import media as clips  # noqa: E402
from tests.support import model, services  # noqa: E402
from videoforge import jobs  # noqa: E402
from videoforge.migrate import migrate  # noqa: E402

SECONDS, WIDTH, HEIGHT, FPS = 10, 1920, 1080, 25
SEGMENT = 4
PRESET = "veryfast"
RUNS = 3


def bare_ladder(ffmpeg: str, source: Path, work: Path, per_rendition: bool = False) -> float:
    probe = Ffmpeg(ffmpeg, model.media_limits()).probe(source, tick=lambda: None)
    renditions = media.select_ladder(probe, model.ladder(), model.rendition_names())
    groups = [[r] for r in renditions] if per_rendition else [renditions]
    started, cpu = time.monotonic(), children_cpu()
    for group in groups:
        out = work / uuid.uuid4().hex
        for r in group:
            (out / r.name).mkdir(parents=True)
        args = media.ladder_args(ffmpeg, str(source), str(out), group, probe.has_audio, SEGMENT, PRESET)
        subprocess.run(args, check=True, capture_output=True)
    return time.monotonic() - started, children_cpu() - cpu


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def worker_cpu(proc: psutil.Process) -> float:
    """CPU seconds of the worker and the FFmpeg runs it has waited for."""
    t = proc.cpu_times()
    return t.user + t.system + t.children_user + t.children_system


def _r(values: list) -> list:
    return [round(v, 3) if v is not None else None for v in values]


def _med(values: list[float]) -> float:
    return round(statistics.median(values), 3)


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


def python_rss(proc: psutil.Process) -> int:
    try:
        return proc.memory_info().rss
    except psutil.NoSuchProcess:
        return 0


def main() -> None:
    ffmpeg = clips.ffmpeg_exe()
    tmp = Path(tempfile.mkdtemp(prefix="vf-bench-processor-"))
    source = clips.make_clip(tmp / "source.mp4", WIDTH, HEIGHT, SECONDS, fps=FPS)
    bare, split = [], []

    with services.aws_emulator(tmp) as aws, services.postgres() as pg:
        services.set_aws_test_env(aws.url)
        with psycopg.connect(pg.dsn(), autocommit=True) as conn:
            conn.execute("CREATE DATABASE bench")
        migrate(pg.dsn("bench"))
        s3 = boto3.client("s3", endpoint_url=aws.url)
        sqs = boto3.client("sqs", endpoint_url=aws.url)
        s3.create_bucket(Bucket="bench", CreateBucketConfiguration={"LocationConstraint": "ap-southeast-2"})
        queue = sqs.create_queue(QueueName="bench", Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
        env = {
            **os.environ,
            **model.processor_environment(),
            "PYTHONPATH": str(ROOT / "apps"),
            "DB_HOST": pg.host,
            "DB_PORT": str(pg.port),
            "DB_NAME": "bench",
            "DB_USER": pg.user,
            "DB_PASSWORD": "unused",
            "S3_BUCKET": "bench",
            "SQS_QUEUE_URL": queue,
            "PROCESSOR_WORK_DIR": str(tmp / "work"),
            "PROCESSOR_X264_PRESET": PRESET,
            "HLS_SEGMENT_SECONDS": str(SEGMENT),
            "PROCESSOR_WAIT_SECONDS": "1",
            "LOG_LEVEL": "WARNING",
        }
        log = open(tmp / "worker.log", "wb")
        worker = subprocess.Popen(
            [sys.executable, "-m", "processor"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        proc = psutil.Process(worker.pid)
        jobs_wall, jobs_cpu, first_segment, peak_tree, peak_python = [], [], [], 0, 0
        try:
            # Interleaved, so a noisy neighbour slows every variant alike.
            for _ in range(RUNS):
                bare.append(bare_ladder(ffmpeg, source, tmp / "bare"))
                split.append(bare_ladder(ffmpeg, source, tmp / "split", per_rendition=True))
                cpu_before = worker_cpu(proc)
                video_id, user = str(uuid.uuid4()), "bench"
                job = jobs.Job.new(video_id, user, model.rendition_names())
                s3.upload_file(str(source), "bench", job.s3_key)
                with psycopg.connect(pg.dsn("bench"), autocommit=True) as conn:
                    conn.execute(
                        "INSERT INTO gallery_videos (id, owner_id, title, status, s3_key, file_name,"
                        " content_type, size_bytes)"
                        " VALUES (%s, %s, 'bench', 'queued', %s, 'source.mp4', 'video/mp4', %s)",
                        (video_id, user, job.s3_key, source.stat().st_size),
                    )
                    started = time.monotonic()
                    sqs.send_message(QueueUrl=queue, MessageBody=job.to_json())
                    seen_segment = None
                    while True:
                        status = conn.execute("SELECT status FROM gallery_videos WHERE id = %s", (video_id,))
                        status = status.fetchone()[0]
                        if seen_segment is None:
                            listed = s3.list_objects_v2(Bucket="bench", Prefix=f"hls/{video_id}/360p/seg_")
                            if listed.get("KeyCount"):
                                seen_segment = time.monotonic() - started
                        peak_tree = max(peak_tree, tree_rss(proc))
                        peak_python = max(peak_python, python_rss(proc))
                        if status in ("ready", "failed"):
                            break
                        time.sleep(0.05)
                    assert status == "ready", (tmp / "worker.log").read_text()[-2000:]
                    jobs_wall.append(time.monotonic() - started)
                    jobs_cpu.append(worker_cpu(proc) - cpu_before)
                    first_segment.append(seen_segment)
        finally:
            worker.terminate()
            worker.wait(60)
            log.close()

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
        "bare_ffmpeg_ladder": {
            "wall_seconds": _r([w for w, _ in bare]),
            "cpu_seconds": _r([c for _, c in bare]),
        },
        "bare_ffmpeg_per_rendition": {
            "wall_seconds": _r([w for w, _ in split]),
            "cpu_seconds": _r([c for _, c in split]),
        },
        "job": {"wall_seconds": _r(jobs_wall), "cpu_seconds": _r(jobs_cpu)},
        "first_segment_in_s3_seconds": _r(first_segment),
        "median": {
            "bare_ffmpeg_ladder_wall": _med([w for w, _ in bare]),
            "bare_ffmpeg_ladder_cpu": _med([c for _, c in bare]),
            "bare_ffmpeg_per_rendition_wall": _med([w for w, _ in split]),
            "bare_ffmpeg_per_rendition_cpu": _med([c for _, c in split]),
            "job_wall": _med(jobs_wall),
            "job_cpu": _med(jobs_cpu),
        },
        "job_over_bare_wall_ratio": round(_med(jobs_wall) / _med([w for w, _ in bare]), 3),
        "job_over_bare_cpu_ratio": round(_med(jobs_cpu) / _med([c for _, c in bare]), 3),
        "single_run_cpu_saving_vs_per_rendition": round(
            1 - _med([c for _, c in bare]) / _med([c for _, c in split]), 3
        ),
        "single_run_wall_saving_vs_per_rendition": round(
            1 - _med([w for w, _ in bare]) / _med([w for w, _ in split]), 3
        ),
        "load_average_at_end": os.getloadavg(),
        "worker_peak_rss_mib": {
            "python_process": round(peak_python / 2**20, 1),
            "with_ffmpeg_children": round(peak_tree / 2**20, 1),
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "notes": "CPU seconds are the robust numbers on a shared machine (wall times follow its load). "
        "job = SQS send -> gallery_videos.status 'ready' (download, probe, poster, "
        "ladder with live segment uploads, final playlists, master, database); bare = the same "
        "FFmpeg ladder arguments on local disk. Job CPU counts the worker and its FFmpeg runs, "
        "not moto or PostgreSQL.",
    }
    out = ROOT / "bench" / "results" / "processor.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result["median"]), "wall ratio", result["job_over_bare_wall_ratio"])
    subprocess.run(["rm", "-rf", str(tmp)], check=False)


if __name__ == "__main__":
    main()
