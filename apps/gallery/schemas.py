"""Request/response schemas (snake_case here, camelCase on the wire: quart-schema converts)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field

Visibility = Literal["private", "public"]

# What text fields may not hold: NUL (PostgreSQL text cannot) and the other C0/C1 controls.
# The patterns are in the OpenAPI document too, so a client knows before it asks.
_CONTROLS = "\x00-\x1f\x7f-\x9f"
TEXT_PATTERN = f"^[^{_CONTROLS}]*$"
# A description keeps tabs and line breaks.
MULTILINE_PATTERN = "^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
# File names also refuse bidirectional overrides, isolates and marks (which make
# "clip\u202egnp.exe" read as "clip.exe.png"...) and path separators, and need one character
# that is neither a dot nor a space (no ".", "..", "   ").
_NAME_REFUSED = f"{_CONTROLS}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069/\\\\"
FILE_NAME_PATTERN = f"^[^{_NAME_REFUSED}]*[^{_NAME_REFUSED}.\\s][^{_NAME_REFUSED}]*$"
# The addresses the user pool takes (the emulator's rule is the narrower: ASCII local parts
# that begin with a letter, digit or underscore, DNS labels, a letter TLD), so an address of
# this shape is one sign-up accepts. A local part may not begin with a dot in RFC 5322 either.
EMAIL_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._%+-]{0,63}@(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}$"
# Cognito's own limit is 256; the emulator refuses 99 and more: 64 keeps both.
PASSWORD_MAX = 64


class SignUp(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    # The pool's password policy is in the OpenAPI document (gallery.openapi); Cognito checks it.
    password: str = Field(min_length=8, max_length=PASSWORD_MAX)


class SignUpResult(BaseModel):
    user_confirmed: bool


class ConfirmSignUp(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    code: str = Field(min_length=1, max_length=16)


class Confirmed(BaseModel):
    confirmed: bool = True


class SignIn(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class Tokens(BaseModel):
    access_token: str
    id_token: str
    refresh_token: str
    expires_in: int


class Refresh(BaseModel):
    # Left out by the web client: its refresh token is the HttpOnly cookie sign-in set.
    refresh_token: str | None = Field(default=None, min_length=1, max_length=8192)


class RefreshedTokens(BaseModel):
    access_token: str
    id_token: str
    expires_in: int


Title = Field(default=None, min_length=1, max_length=200, pattern=TEXT_PATTERN)


class GenerateUpload(BaseModel):
    # A plain name: no path separators, control or bidirectional-formatting characters.
    file_name: str = Field(min_length=1, max_length=255, pattern=FILE_NAME_PATTERN)
    # One of UPLOAD_ALLOWED_TYPES (an enum in the OpenAPI document).
    content_type: str = Field(min_length=1, max_length=100)
    # At most UPLOAD_MAX_BYTES (the document's maximum).
    size: int = Field(gt=0)
    title: str | None = Title


class PartUrl(BaseModel):
    part_number: int
    url: str


class UploadedPart(BaseModel):
    part_number: int
    etag: str
    size: int


class SingleUpload(BaseModel):
    method: Literal["PUT"] = "PUT"
    url: str
    headers: dict[str, str]
    expires_in: int


class MultipartUpload(BaseModel):
    method: Literal["MULTIPART"] = "MULTIPART"
    upload_id: str
    part_size: int
    parts: list[PartUrl]
    uploaded_parts: list[UploadedPart] = []
    expires_in: int


class UploadTicket(BaseModel):
    video_id: UUID
    upload: SingleUpload | MultipartUpload


class ConfirmPart(BaseModel):
    part_number: int = Field(ge=1, le=10000)
    etag: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")


class ConfirmUpload(BaseModel):
    video_id: UUID
    title: str | None = Title
    parts: list[ConfirmPart] | None = Field(default=None, max_length=10000)


class VideoOut(BaseModel):
    id: UUID
    title: str
    description: str
    visibility: Visibility
    status: Literal["uploading", "queued", "processing", "ready", "failed"]
    progress: int
    error: str | None
    file_name: str
    size: int
    created_at: datetime
    updated_at: datetime
    duration_seconds: float | None
    width: int | None
    height: int | None
    queue_position: int | None
    # null unless meaningful (see gallery.present)
    estimated_ready_at: datetime | None
    # the job is being handed to another worker, or queued again after a failed attempt
    retrying: bool
    # processing attempts so far, while queued or processing
    attempt: int | None
    playlist_url: str | None
    poster_url: str | None


class VideoPage(BaseModel):
    items: list[VideoOut]
    next_cursor: str | None


CURSOR_PATTERN = r"^[0-9]{1,16}_[0-9a-f]{32}$"


class ListQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(
        default=None, pattern=CURSOR_PATTERN, description="nextCursor of the page before"
    )


class VideoUpdate(BaseModel):
    title: str | None = Title
    description: str | None = Field(default=None, max_length=5000, pattern=MULTILINE_PATTERN)
    visibility: Visibility | None = None
