"""Where moto 5.2.5 (our pin) is wrong in ways the platform hits, put right for this endpoint.

- **Presigned part uploads.** A PUT whose Content-Type is a form type (curl's default, and
  what some clients send for a part) had its body parsed as a form: moto's dispatcher read
  the body to guess the service, failed to decode binary bytes and never put them back
  (the request then hung, waiting for a body already consumed), and the S3 handler took
  the "form" for its parameters, so ``partNumber`` was None (an HTTP 500). No AWS API
  takes a form in a PUT: PUT bodies are never parsed as forms here, and the dispatcher
  always puts back what it read.
- **Completing a multipart upload** joined every part in memory (twice the object's size
  at peak): the new object's file is written from the part files instead.
- **GetObject** read the whole object into memory to answer: an object kept as a file
  (``blobs``) is streamed from it instead, Range requests included.
- **An upload id that does not exist** (aborted, completed) made a part PUT or a complete
  fail with a KeyError (HTTP 500); S3 answers 404 NoSuchUpload.
"""

from __future__ import annotations

import binascii
import codecs
import io
import threading
from typing import Any

from twin.emulator.blobs import BlobBody, BlobFile, PartsValue

STREAM_ABOVE = 1024 * 1024  # bytes: smaller objects are answered from memory, as moto does
_answering = threading.local()


def _want_form_data_parsed(request: Any) -> bool:
    return request.method != "PUT" and bool(request.environ.get("CONTENT_TYPE"))


def _get_body(self: Any, environ: dict[str, Any]) -> str | None:
    """moto's dispatcher peeks at form bodies to guess the service; keep the bytes either way."""
    try:
        form = environ.get("CONTENT_TYPE", "").startswith("application/x-www-form-urlencoded")
        size = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not form or not size or environ.get("REQUEST_METHOD") == "PUT":
        return None
    raw = environ["wsgi.input"].read(size)
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _streamable_checksum(multipart: Any) -> bool:
    """Whether moto's full-object checksum for this upload can be computed a chunk at a time."""
    from moto.s3.utils import HAS_CRT

    algorithm = multipart.metadata.get("x-amz-checksum-algorithm") or "CRC64NVME"
    kind = multipart.metadata.get("x-amz-checksum-type") or ""
    full_object = kind == "FULL_OBJECT" or (not kind and algorithm == "CRC64NVME")
    # Without awscrt moto's CRC64NVME is a CRC32; CRC32 itself streams with binascii.
    return full_object and (algorithm == "CRC32" or (algorithm == "CRC64NVME" and not HAS_CRT))


def _crc32_of(parts: list[BlobFile]) -> str:
    import base64

    crc = 0
    for part in parts:
        part.seek(0)
        while chunk := part.read(16 * 1024 * 1024):
            crc = binascii.crc32(chunk, crc)
    return base64.b64encode(crc.to_bytes(4, "big")).decode()


def _complete(original: Any) -> Any:
    def complete(self: Any, body: Any) -> tuple[Any, str, tuple[str, str, int] | None]:
        on_disk = all(isinstance(part._value_buffer, BlobFile) for part in self.parts.values())
        if not on_disk or not _streamable_checksum(self):
            return original(self, body)  # parts in memory (no state dir), or a checksum asked for
        from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML
        from moto.s3.models import S3_UPLOAD_PART_MIN_SIZE
        from moto.utilities.utils import md5_hash

        decode_hex = codecs.getdecoder("hex_codec")
        md5s = bytearray()
        parts: list[BlobFile] = []
        last = None
        for number, etag in body:
            part = self.parts.get(number)
            if part is None or part.etag.replace('"', "") != etag.replace('"', ""):
                raise InvalidPart()
            if last is not None and last.contentsize < S3_UPLOAD_PART_MIN_SIZE:
                raise EntityTooSmall()
            md5s.extend(decode_hex(part.etag.replace('"', ""))[0])  # type: ignore[arg-type]
            parts.append(part._value_buffer)
            last = part
        if not parts:
            raise MalformedXML
        full = md5_hash()
        full.update(bytes(md5s))
        return PartsValue(parts), f"{full.hexdigest()}-{len(parts)}", ("FULL_OBJECT", _crc32_of(parts), 1)

    return complete


def _streaming_get(original: Any) -> Any:
    def get_object(self: Any) -> Any:
        _answering.get = True
        try:
            return original(self)
        finally:
            _answering.get = False

    return get_object


def _value(original: property) -> property:
    def value(key: Any) -> Any:
        buffer = key._value_buffer
        if getattr(_answering, "get", False) and isinstance(buffer, BlobFile) and key.size > STREAM_ABOVE:
            return BlobBody(buffer.path, 0, key.size)
        return original.fget(key)  # type: ignore[misc]

    return property(value, original.fset)


def _no_such_upload(self: Any, upload_id: str) -> Any:
    from moto.s3.exceptions import NoSuchUpload

    raise NoSuchUpload(upload_id=upload_id)


def install() -> None:
    """Apply the fixes (idempotent)."""
    from moto.core.request import Request
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.s3.models import FakeKey, FakeMultipart, MultipartDict
    from moto.s3.responses import S3Response

    if getattr(FakeMultipart.complete, "__videoforge__", False):
        return
    Request.want_form_data_parsed = property(_want_form_data_parsed)  # type: ignore[assignment]
    DomainDispatcherApplication._get_body = _get_body  # type: ignore[method-assign]
    complete = _complete(FakeMultipart.complete)
    complete.__videoforge__ = True  # type: ignore[attr-defined]
    FakeMultipart.complete = complete  # type: ignore[method-assign]
    MultipartDict.__missing__ = _no_such_upload  # type: ignore[attr-defined]
    S3Response.get_object = _streaming_get(S3Response.get_object)  # type: ignore[method-assign]
    FakeKey.value = _value(FakeKey.value)  # type: ignore[assignment,method-assign]
