"""Request/response schemas (snake_case here, camelCase on the wire: quart-schema converts)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, Field, field_validator

Visibility = Literal["private", "public"]
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class Error(BaseModel):
    code: str
    message: str


class SignUp(BaseModel):
    email: str = Field(pattern=EMAIL_PATTERN, max_length=254)
    password: str = Field(min_length=8, max_length=256)


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
    refresh_token: str = Field(min_length=1, max_length=8192)


class RefreshedTokens(BaseModel):
    access_token: str
    id_token: str
    expires_in: int


class GenerateUpload(BaseModel):
    file_name: str = Field(min_length=1, max_length=255)
    content_type: str = Field(min_length=1, max_length=100)
    size: int = Field(gt=0)
    title: str | None = Field(default=None, min_length=1, max_length=200)

    @field_validator("file_name")
    @classmethod
    def plain_file_name(cls, value: str) -> str:
        if any(ord(ch) < 32 or ch in "/\\" for ch in value) or value.strip() in ("", ".", ".."):
            raise ValueError("file name must be a plain name without path separators or control characters")
        return value


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
    etag: str = Field(min_length=1, max_length=200)


class ConfirmUpload(BaseModel):
    video_id: UUID
    title: str | None = Field(default=None, min_length=1, max_length=200)
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
    estimated_ready_at: datetime | None
    playlist_url: str | None
    poster_url: str | None


class VideoPage(BaseModel):
    items: list[VideoOut]
    next_cursor: str | None


class ListQuery(BaseModel):
    limit: int = Field(default=20, ge=1, le=100)
    cursor: str | None = Field(default=None, max_length=200)


class VideoUpdate(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    visibility: Visibility | None = None
