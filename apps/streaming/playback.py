"""Playback routes: master playlist, media playlists, poster.

Access: public videos to anyone; private ones only to their owner. Another user's private
video, an unknown id and a missing rendition all answer the same 404. A token that is
present but invalid is a 401 before anything is looked up. The token may come as the
Authorization header or ?token= (carried into the variant URIs so any HLS client can play).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from botocore.exceptions import ClientError
from psycopg import AsyncConnection
from pydantic import BaseModel, Field
from quart import Blueprint, Response, current_app, g, redirect
from quart_schema import document_response, validate_querystring

from streaming.playlists import PlaylistCache, UnsafeUri, master_playlist, rewrite_media_playlist
from videoforge import db, jobs, videos
from videoforge.auth import User, current_user
from videoforge.errors import ApiError, not_found
from videoforge.web import aws, web_settings

log = logging.getLogger("streaming.playback")
blueprint = Blueprint("playback", __name__, url_prefix="/video")
MPEGURL = "application/vnd.apple.mpegurl"


class TokenQuery(BaseModel):
    token: str | None = Field(default=None, description="Cognito access token (instead of the header)")


class Playlist(BaseModel):
    """An HLS playlist: the body is text, Content-Type application/vnd.apple.mpegurl."""


class PlaylistHeaders(BaseModel):
    content_type: str = Field(default=MPEGURL)
    cache_control: str = Field(description="short while the video is still processing")


class Redirect(BaseModel):
    """No body: follow Location."""


class RedirectHeaders(BaseModel):
    location: str = Field(description="presigned S3 URL of the poster")


def cache() -> PlaylistCache:
    return current_app.extensions["playlist_cache"]


async def _check_viewable(conn: AsyncConnection, video_id: uuid.UUID, user: User | None) -> None:
    """404 unless the caller may watch: public, or private and theirs."""
    access = await videos.get_access(conn, video_id)
    if access is None:
        raise not_found()
    if access.visibility != "public" and (user is None or user.sub != access.owner_id):
        raise not_found()
    g.user = user


def _cache_control(seconds: int) -> str:
    return f"private, max-age={seconds}"


@blueprint.get("/<uuid:video_id>/playlist")
@validate_querystring(TokenQuery)
@document_response(Playlist, 200, PlaylistHeaders)
async def master(video_id: uuid.UUID, query_args: TokenQuery) -> Response:
    """Master playlist: one variant per rendition, pointing back at this service."""
    user = await current_user(required=False, allow_query=True)
    async with db.pool().connection() as conn:
        await _check_viewable(conn, video_id, user)
        renditions = await videos.assets(conn, video_id, "rendition")
    if not renditions:
        raise ApiError(409, "not_ready", "the video has no playable rendition yet")
    body = master_playlist(renditions, query_args.token)
    live = not all(r.complete for r in renditions)
    seconds = web_settings().playlist_cache_live_seconds if live else 60
    return Response(body, 200, {"Content-Type": MPEGURL, "Cache-Control": _cache_control(seconds)})


async def _read_object(key: str) -> str | None:
    try:
        obj = await asyncio.to_thread(aws().s3.get_object, Bucket=aws().bucket, Key=key)
        return await asyncio.to_thread(lambda: obj["Body"].read().decode("utf-8"))
    except ClientError as exc:
        if exc.response["Error"]["Code"] in ("NoSuchKey", "404"):
            return None
        raise


@blueprint.get("/<uuid:video_id>/<rendition>/playlist.m3u8")
@validate_querystring(TokenQuery)
@document_response(Playlist, 200, PlaylistHeaders)
async def media(video_id: uuid.UUID, rendition: str, query_args: TokenQuery) -> Response:
    """Media playlist of one rendition; segment URIs are presigned S3 URLs (PLAYBACK_URL_TTL)."""
    user = await current_user(required=False, allow_query=True)
    async with db.pool().connection() as conn:
        await _check_viewable(conn, video_id, user)
        asset = await videos.asset(conn, video_id, "rendition", rendition)
    if asset is None:
        raise not_found("rendition")
    conf = web_settings()

    async def render() -> tuple[object, float]:
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
        return (body, keep), keep

    body, keep = await cache().get((video_id, rendition), render)
    return Response(body, 200, {"Content-Type": MPEGURL, "Cache-Control": _cache_control(int(keep))})


@blueprint.get("/<uuid:video_id>/poster")
@validate_querystring(TokenQuery)
@document_response(Redirect, 302, RedirectHeaders)
async def poster(video_id: uuid.UUID, query_args: TokenQuery) -> Response:
    """302 to a presigned URL of the video's poster image."""
    user = await current_user(required=False, allow_query=True)
    async with db.pool().connection() as conn:
        await _check_viewable(conn, video_id, user)
        posters = await videos.assets(conn, video_id, "poster")
    if not posters:
        raise not_found("poster")
    url = aws().presigner.batch(web_settings().playback_url_ttl).get(posters[0].s3_key)
    response = redirect(url, 302)
    response.headers["Cache-Control"] = _cache_control(300)
    return response
