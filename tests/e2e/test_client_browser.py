"""The client as a person uses it: a real Chromium against the whole local platform.

Sign up, sign in, upload the sample video (a presigned PUT straight to S3), watch the
gallery follow it to ready, play it through hls.js through the CDN twin (the master, asked
for with a short-lived playback token, never the access token, answers with the CDN's signed
cookies; playlists and segments come from the CDN, none from the streaming service), renew
the cookie as a long watch does without stopping, then rename and delete it (its segments are
404 once the CDN applied the invalidation).
A file above the multipart threshold uploads in parts through the edge, survives a network
failure, resumes with only the missing parts, and plays. Screenshots land in
tests/e2e/artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import imageio_ffmpeg
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.services import wait_for

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "Sample-Passw0rd!"
# Transcoding a 6 s clip takes seconds; the margin covers a busy 2-core machine.
READY_TIMEOUT_MS = 300_000


@pytest.fixture(scope="module")
def browser() -> Browser:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM} (make browser installs it)")
    # Playwright gives every launch a fresh temporary profile of its own.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--autoplay-policy=no-user-gesture-required",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Page:
    # Caddy's local CA is not trusted by the browser: accept its certificate.
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)
    page = context.new_page()
    yield page
    context.close()


def shoot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_up_and_in(page: Page, base_url: str) -> str:
    email = f"viewer-{uuid.uuid4().hex[:10]}@example.com"
    page.goto(base_url + "/")
    page.get_by_role("tab", name="Sign up").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Account created")).to_be_visible()
    # The sign-in form keeps the email; the password is typed again.
    expect(page.get_by_label("Email")).to_have_value(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Your videos", exact=True)).to_be_visible()
    expect(page.get_by_text(email)).to_be_visible()
    return email


def streaming_requests(stack, video_id: str) -> set[str]:
    """The paths (query left out) of this video's requests that reached the streaming service,
    from the access logs of its instances (hypercorn's: ``"GET /path?query 1.1" 200``)."""
    log = "".join(p.read_text() for p in (stack.state_dir / "logs").glob("streaming-*.log"))
    paths = re.findall(r'"[A-Z]+ ([^ ?"]+)[^ "]* 1\.1"', log)
    return {path for path in paths if video_id in path}


def test_sign_up_upload_watch_edit_delete(stack, page: Page):
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    # The page's clock can be moved on (the cookie's renewal, below); it runs as usual till then.
    page.clock.install()
    media: list = []  # every playlist and segment the player fetched, with its answer
    page.on("response", lambda r: media.append(r) if "/hls/" in r.url else None)

    sign_up_and_in(page, stack.url)

    # Upload: the staged file gets a title, then its row shows a progress bar.
    page.locator("input[type=file]").first.set_input_files(str(stack.sample_video))
    page.get_by_label("Title").fill("Browser sample")
    page.get_by_role("button", name="Upload", exact=True).click()
    card = page.locator("li.video-card", has_text="Browser sample")
    expect(card).to_be_visible()
    expect(page.get_by_text("uploaded. Transcoding will start shortly.")).to_be_visible()

    # The gallery polls: the card moves through the lifecycle to ready by itself.
    expect(card.locator("[data-status]")).to_have_attribute("data-status", "ready", timeout=READY_TIMEOUT_MS)
    expect(card.get_by_role("link", name="Watch")).to_be_visible()
    shoot(page, "gallery")

    # Reload: the session is restored from the refresh token, the video is still there.
    page.reload()
    expect(card.locator("[data-status]")).to_have_attribute("data-status", "ready")

    # Play it: hls.js loads the master playlist with a playback token and the video advances.
    video_id = card.get_attribute("data-video-id")
    card.get_by_role("link", name="Watch").click()
    expect(page).to_have_url(f"{stack.url}/watch/{video_id}")
    expect(page.get_by_role("heading", name="Browser sample")).to_be_visible()
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.currentTime > 0.5; }",
        timeout=60_000,
    )
    start = page.evaluate("document.querySelector('video').currentTime")
    page.wait_for_function(
        "(t) => document.querySelector('video').currentTime > t + 1", arg=start, timeout=60_000
    )
    assert page.evaluate("document.querySelector('video').error") is None
    assert page.evaluate("document.querySelector('video').videoWidth") > 0
    shoot(page, "player")
    # Through the CDN with its cookie: every playlist and segment from /hls/, none refused, and
    # nothing but the token and the master reached the streaming service.
    segments = [r for r in media if r.url.endswith(".ts")]
    assert segments and all(r.status == 200 for r in media), [(r.url, r.status) for r in media]
    assert all(r.headers["x-cache"].endswith("from cloudfront") for r in media)
    cookies = {c["name"]: c for c in page.context.cookies() if c["name"].startswith("CloudFront-")}
    assert sorted(cookies) == ["CloudFront-Key-Pair-Id", "CloudFront-Policy", "CloudFront-Signature"]
    assert all(c["path"] == f"/hls/{video_id}/" and c["httpOnly"] and c["secure"] for c in cookies.values())
    assert streaming_requests(stack, video_id) == {
        f"/api/stream/video/{video_id}/playback-token",
        f"/api/stream/video/{video_id}/playlist",
    }

    # A long watch: before the grant ends the player renews the cookie, and plays on.
    with page.expect_response(lambda r: f"/api/stream/video/{video_id}/playlist" in r.url) as renewal:
        page.clock.fast_forward("14:30")
    assert renewal.value.status == 200
    renewed = {c["name"]: c["value"] for c in page.context.cookies() if c["name"].startswith("CloudFront-")}
    assert renewed["CloudFront-Policy"] != cookies["CloudFront-Policy"]["value"]
    now = page.evaluate("document.querySelector('video').currentTime")
    page.evaluate("document.querySelector('video').currentTime = 0")
    page.wait_for_function("() => document.querySelector('video').currentTime > 1", timeout=60_000)
    assert page.evaluate("document.querySelector('video').error") is None and now > 0
    segment_url = segments[0].url

    # Edit title and visibility; the change is the server's (it survives a reload).
    page.get_by_role("link", name="Back to your videos").click()
    card.get_by_role("button", name="Edit").click()
    dialog = page.get_by_role("dialog", name="Edit video")
    dialog.get_by_label("Title").fill("Renamed sample")
    dialog.get_by_label("Public").check()
    dialog.get_by_role("button", name="Save").click()
    expect(dialog).to_be_hidden()
    page.reload()
    renamed = page.locator("li.video-card", has_text="Renamed sample")
    expect(renamed.get_by_text("Public")).to_be_visible()

    # Delete, confirmed inline; gone after a reload too.
    applied = stack.cdn_stats["invalidations_applied"]
    renamed.get_by_role("button", name="Delete Renamed sample").click()
    renamed.get_by_role("button", name="Delete", exact=True).click()
    expect(renamed).to_have_count(0)
    page.reload()
    expect(page.get_by_text("No videos yet")).to_be_visible()
    # The CDN applied the invalidation: with a cookie still good, its segments are 404 now.
    wait_for(lambda: stack.cdn_stats["invalidations_applied"] > applied, 30, "the invalidation")
    gone = page.request.get(segment_url)
    assert gone.status == 404 and gone.headers["x-cache"] == "Error from cloudfront"

    assert problems == []


MIB = 1024 * 1024


@pytest.fixture(scope="module")
def large_video(tmp_path_factory) -> Path:
    """A real 129 MB MP4, past the 100 MiB multipart threshold: 8 s of 720p H.264 + AAC
    encoded at a constant 130 Mbit/s (x264 pads with filler data, as a camera at a high
    bitrate writes it): valid media that transcodes in seconds, made in about 3 s."""
    path = tmp_path_factory.mktemp("large") / "large-camera-clip.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=25:duration=8",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=8",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-b:v", "130M", "-minrate", "130M", "-maxrate", "130M", "-bufsize", "65M",
         "-x264-params", "nal-hrd=cbr",
         "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)],
        check=True, timeout=120,
    )  # fmt: skip
    assert path.stat().st_size > 100 * MIB
    return path


def saved_upload(page: Page) -> dict:
    """The page's saved multipart state (what makes a resume possible)."""
    raw = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => k.startsWith('videoforge.upload.'))"
        ".map((k) => localStorage.getItem(k))"
    )
    assert len(raw) == 1, raw
    return json.loads(raw[0])


def test_a_large_upload_survives_a_network_failure_resumes_and_plays(stack, page: Page, large_video: Path):
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    sign_up_and_in(page, stack.url)

    # The network fails for part 5 (a dropped connection, whatever the client retries) until
    # the person is back online.
    sent: list[tuple[int, int]] = []  # (part number, status) of every part PUT that got an answer

    def answered(response) -> None:
        part = re.search(r"[?&]partNumber=(\d+)", response.url)
        if response.request.method == "PUT" and part:
            sent.append((int(part[1]), response.status))

    def offline(route) -> None:
        route.abort("internetdisconnected")

    page.on("response", answered)
    part_5 = re.compile(r"/s3/.*[?&]partNumber=5(&|$)")
    page.route(part_5, offline)

    page.locator("input[type=file]").first.set_input_files(str(large_video))
    page.get_by_label("Title").fill("Large upload")
    page.get_by_role("button", name="Upload", exact=True).click()
    row = page.locator("li.upload-row", has_text="Large upload")
    expect(row.get_by_role("alert")).to_contain_text("network error", timeout=120_000)
    expect(row.get_by_role("button", name="Retry")).to_be_visible()
    before = saved_upload(page)
    done_before = {int(n) for n in before["etags"]}
    assert before["size"] == large_video.stat().st_size and len(before["parts"]) == 8
    assert done_before and 5 not in done_before, before["etags"]
    assert all(url.startswith(stack.url + "/s3/") for url in (p["url"] for p in before["parts"]))
    shoot(page, "large-upload-interrupted")

    # Back online: Retry resumes the same multipart upload and sends only what S3 lacks.
    page.unroute(part_5, offline)
    answered_before = len(sent)
    row.get_by_role("button", name="Retry").click()
    expect(page.get_by_text("“Large upload” uploaded. Transcoding will start shortly.")).to_be_visible(
        timeout=300_000
    )
    resent = {n for n, _ in sent[answered_before:]}
    assert resent and not resent & done_before, (sorted(done_before), sent)
    assert {n for n, status in sent if status == 200} == set(range(1, 9))

    # It plays, like any other video.
    card = page.locator("li.video-card", has_text="Large upload")
    expect(card.locator("[data-status]")).to_have_attribute("data-status", "ready", timeout=READY_TIMEOUT_MS)
    card.get_by_role("link", name="Watch").click()
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.currentTime > 1.5; }",
        timeout=60_000,
    )
    assert page.evaluate("document.querySelector('video').error") is None
    assert page.evaluate("document.querySelector('video').videoHeight") in (360, 480, 720)
    shoot(page, "large-upload-player")
    assert problems == []


def test_wrong_password_shows_the_api_message(stack, page: Page):
    page.goto(stack.url + "/")
    page.get_by_label("Email").fill(f"nobody-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_label("Password").fill("Not-the-passw0rd!")
    page.get_by_role("button", name="Sign in", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    # The gallery's {code, message} is what the person reads, not a generic failure.
    assert alert.inner_text().strip()
    assert "HTTP" not in alert.inner_text()
    expect(page.get_by_role("heading", name="Your videos", exact=True)).to_have_count(0)
