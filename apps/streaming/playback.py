"""Playback routes: playback tokens, master playlist, media playlists, poster.

Access: public videos to anyone; private ones only to their owner. Another user's private
video, an unknown id and a missing rendition all answer the same 404.

A player's requests carry either the viewer's access token as ``Authorization: Bearer`` or,
where a player cannot send headers (hls.js's segment and playlist loads, Safari, FFmpeg), a
playback token in ``?playback=``: short-lived (PLAYBACK_TOKEN_TTL), good for one video's
playlists and poster only, for the viewer it was issued to. The viewer's access token never
travels in a URL. A token (either kind) that is present but not valid is a 401.

Behind the CDN (CDN_SITE_URL), the master answers with the CloudFront signed cookies that
let this viewer fetch ``/hls/<id>/*`` from the CDN until their grant ends (``cdn_cookies``),
and its variants are the stored media playlists there: no media playlist or segment request
reaches this service.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
import uuid
from typing import ClassVar

from botocore.exceptions import ClientError
from psycopg import AsyncConnection
from pydantic import BaseModel, Field
from quart import Blueprint, Response, current_app, g, redirect
from quart_schema import document_response, security_scheme, validate_querystring, validate_response

from streaming.playlists import PlaylistCache, UnsafeUri, master_playlist, rewrite_media_playlist
from videoforge import db, jobs, videos
from videoforge.auth import User, current_user, require_user
from videoforge.cdn import CookieSigner, set_cookie_headers
from videoforge.errors import ApiError, not_found, unauthorized
from videoforge.openapi import errors
from videoforge.ratelimit import enforce
from videoforge.web import aws, web_settings

log = logging.getLogger("streaming.playback")
blueprint = Blueprint("playback", __name__, url_prefix="/video")
MPEGURL = "application/vnd.apple.mpegurl"
# Anyone may watch a public video: the token is optional on the playback routes.
OPTIONAL_AUTH = [{}, {"bearerAuth": []}]
PLAYBACK_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{43}$"  # noqa: S105 - a shape, not a secret


class PlaybackQuery(BaseModel):
    playback: str | None = Field(
        default=None,
        pattern=PLAYBACK_TOKEN_PATTERN,
        description="playback token (POST .../playback-token) for players that cannot send headers",
    )


class PlaybackToken(BaseModel):
    token: str
    expires_in: int
    playlist_url: str


class Playlist(BaseModel):
    """An HLS playlist."""

    MEDIA_TYPE: ClassVar[str | None] = MPEGURL


class PlaylistHeaders(BaseModel):
    cache_control: str = Field(description="short while the video is still processing")


class MasterHeaders(PlaylistHeaders):
    set_cookie: str | None = Field(
        default=None,
        description="behind the CDN: CloudFront-Policy, CloudFront-Signature, CloudFront-Key-Pair-Id "
        "(Path=/hls/<id>/; Secure; HttpOnly; SameSite=Lax), good until the viewer's grant ends",
    )


class Redirect(BaseModel):
    """No body: follow Location."""

    MEDIA_TYPE: ClassVar[str | None] = None


class RedirectHeaders(BaseModel):
    location: str = Field(description="presigned S3 URL of the poster")


def cache() -> PlaylistCache:
    return current_app.extensions["playlist_cache"]


def _grant_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def _viewer(conn: AsyncConnection, video_id: uuid.UUID, playback: str | None) -> User | None:
    """The caller, who must be allowed to watch: 401 for a token that is not valid, else 404
    unless the video is public or theirs."""
    if playback is None:
        user = await current_user(required=False)
        access = await videos.get_access(conn, video_id)
    else:
        access = await videos.get_access(conn, video_id, _grant_hash(playback))
        if access is None or access.granted_to is None:
            raise unauthorized("the playback token is not valid for this video or has expired")
        user = User(sub=access.granted_to, username=access.granted_to)
    if access is None:
        raise not_found()
    if access.visibility != "public" and (user is None or user.sub != access.owner_id):
        raise not_found()
    g.user = user
    g.grant_expires_at = access.grant_expires_at
    return user


def _cache_control(seconds: int) -> str:
    return f"private, max-age={seconds}"


@blueprint.post("/<uuid:video_id>/playback-token")
@require_user
@validate_response(PlaybackToken, 201)
@errors(429)
async def playback_token(video_id: uuid.UUID) -> tuple[PlaybackToken, int]:
    """A short-lived token to play one video: put it in playlist URLs instead of the access token.
    429 past the limits on playback grants per address or per user."""
    await enforce("playback_grant", user=g.user.sub)
    token = secrets.token_urlsafe(32)
    seconds = web_settings().playback_token_ttl
    async with db.pool().connection() as conn:
        access = await videos.get_access(conn, video_id)
        if access is None or (access.visibility != "public" and access.owner_id != g.user.sub):
            raise not_found()
        await videos.create_grant(conn, _grant_hash(token), video_id, g.user.sub, seconds)
    url = f"{current_app.config['PREFIX']}/video/{video_id}/playlist?playback={token}"
    return PlaybackToken(token=token, expires_in=seconds, playlist_url=url), 201


@blueprint.get("/<uuid:video_id>/playlist")
@security_scheme(OPTIONAL_AUTH)
@validate_querystring(PlaybackQuery)
@document_response(Playlist, 200, MasterHeaders)
@errors(409)
async def master(video_id: uuid.UUID, query_args: PlaybackQuery) -> Response:
    """Master playlist: one variant per rendition, pointing back at this service, or behind the
    CDN at the stored media playlists there, with the signed cookies that open them."""
    async with db.pool().connection() as conn:
        await _viewer(conn, video_id, query_args.playback)
        renditions = await videos.assets(conn, video_id, "rendition")
    if not renditions:
        raise ApiError(409, "not_ready", "the video has no playable rendition yet")
    conf = web_settings()
    live = not all(r.complete for r in renditions)
    seconds = conf.playlist_cache_live_seconds if live else 60
    headers = {"Content-Type": MPEGURL, "Cache-Control": _cache_control(seconds)}
    if not conf.cdn_site_url:
        return Response(master_playlist(renditions, query_args.playback), 200, headers)
    response = Response(master_playlist(renditions, None, on_cdn=True), 200, headers)
    for cookie in await cdn_cookies(video_id):
        response.headers.add("Set-Cookie", cookie)
    return response


def _signer() -> CookieSigner:
    signer = current_app.extensions.get("cdn_signer")
    if signer is None:
        conf = web_settings()
        ssm = aws().ssm

        def private_key() -> str:
            answer = ssm.get_parameter(Name=conf.cdn_signing_key_parameter, WithDecryption=True)
            return answer["Parameter"]["Value"]

        signer = current_app.extensions["cdn_signer"] = CookieSigner(conf.cdn_key_pair_id, private_key)
    return signer


async def cdn_cookies(video_id: uuid.UUID) -> list[str]:
    """``Set-Cookie`` values that let the viewer checked in ``_viewer`` fetch this video's HLS
    from the CDN until their grant ends (a playback token's; else PLAYBACK_TOKEN_TTL from now)."""
    conf = web_settings()
    expires = g.grant_expires_at.timestamp() if g.grant_expires_at else time.time() + conf.playback_token_ttl
    prefix = jobs.hls_prefix(str(video_id))
    values = await asyncio.to_thread(_signer().cookies, f"{conf.cdn_site_url}/{prefix}*", int(expires))
    return set_cookie_headers(values, f"/{prefix}")


async def _read_object(key: str) -> str | None:
    try:
        obj = await asyncio.to_thread(aws().s3.get_object, Bucket=aws().bucket, Key=key)
        return await asyncio.to_thread(lambda: obj["Body"].read().decode("utf-8"))
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise


async def _render_media(video_id: uuid.UUID, asset: videos.MediaAsset) -> tuple[tuple[str, float], float]:
    """The media playlist with presigned segment URIs, and how long it may be served.
    A rendering is kept at most a quarter of its URLs' life (bounded by the credentials)."""
    conf = web_settings()
    text = await _read_object(asset.s3_key)
    if text is None:
        raise ApiError(409, "not_ready", "the rendition has no playlist yet")
    complete = asset.complete or "#EXT-X-ENDLIST" in text
    batch = aws().presigner.batch(conf.playback_url_ttl)
    try:
        body = rewrite_media_playlist(text, asset.s3_key, jobs.hls_prefix(str(video_id)), batch)
    except UnsafeUri as exc:
        log.error("playlist %s names an object outside the video: %s", asset.s3_key, exc)
        raise ApiError(500, "bad_playlist", "the stored playlist is not valid") from None
    keep = conf.playlist_cache_seconds if complete else conf.playlist_cache_live_seconds
    keep = min(keep, batch.expires // 4)
    return (body, keep), keep


@blueprint.get("/<uuid:video_id>/<rendition>/playlist.m3u8")
@security_scheme(OPTIONAL_AUTH)
@validate_querystring(PlaybackQuery)
@document_response(Playlist, 200, PlaylistHeaders)
@errors(409)
async def media(video_id: uuid.UUID, rendition: str, query_args: PlaybackQuery) -> Response:
    """Media playlist of one rendition; segment URIs are presigned S3 URLs (PLAYBACK_URL_TTL,
    never past the signing credentials' expiry: a player renews the playlist when S3 refuses)."""
    async with db.pool().connection() as conn:
        await _viewer(conn, video_id, query_args.playback)
        asset = await videos.asset(conn, video_id, "rendition", rendition)
    if asset is None:
        raise not_found("rendition")
    body, keep = await cache().get((video_id, rendition), lambda: _render_media(video_id, asset))
    return Response(body, 200, {"Content-Type": MPEGURL, "Cache-Control": _cache_control(int(keep))})


@blueprint.get("/<uuid:video_id>/poster")
@security_scheme(OPTIONAL_AUTH)
@validate_querystring(PlaybackQuery)
@document_response(Redirect, 302, RedirectHeaders)
async def poster(video_id: uuid.UUID, query_args: PlaybackQuery) -> Response:
    """302 to a presigned URL of the video's poster image."""
    async with db.pool().connection() as conn:
        await _viewer(conn, video_id, query_args.playback)
        posters = await videos.assets(conn, video_id, "poster")
    if not posters:
        raise not_found("poster")
    batch = aws().presigner.batch(web_settings().playback_url_ttl)
    response = redirect(batch.get(posters[0].s3_key), 302)
    response.headers["Cache-Control"] = _cache_control(min(300, batch.expires // 4))
    return response
