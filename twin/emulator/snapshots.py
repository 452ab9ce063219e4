"""S3 objects, multipart uploads and SQS messages as plain JSON, and back into moto.

This is the one place that knows moto's internal models (``FakeKey``, ``FakeMultipart``,
``Message``). A snapshot is what the journal keeps of data-plane state: never bytes (an
object's bytes are its file in the blob store, named in the snapshot), so it stays small
whatever is stored.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterator
from typing import Any

from twin.emulator.blobs import BlobFile, BlobStore

Snapshot = dict[str, Any]


# --- where things live ---------------------------------------------------------------


def s3_backends_in_use() -> Iterator[Any]:
    from moto.s3.models import s3_backends

    for account in list(s3_backends.keys()):
        for partition in list(s3_backends[account].keys()):
            yield s3_backends[account][partition]


def find_bucket(name: str) -> Any | None:
    for backend in s3_backends_in_use():
        bucket = backend.buckets.get(name)
        if bucket is not None:
            return bucket
    return None


def backend_of(bucket: Any) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[bucket.account_id][bucket.partition]


def queues_in_use() -> Iterator[Any]:
    from moto.sqs.models import sqs_backends

    for account in list(sqs_backends.keys()):
        for region in list(sqs_backends[account].keys()):
            yield from list(sqs_backends[account][region].queues.values())


def find_queue(arn: str) -> Any | None:
    for queue in queues_in_use():
        if queue.queue_arn == arn:
            return queue
    return None


def user_pools_in_use() -> Iterator[Any]:
    from moto.cognitoidp.models import cognitoidp_backends

    for account in list(cognitoidp_backends.keys()):
        for region in list(cognitoidp_backends[account].keys()):
            yield from list(cognitoidp_backends[account][region].user_pools.values())


def find_user_pool(pool_id: str) -> Any | None:
    return next((pool for pool in user_pools_in_use() if pool.id == pool_id), None)


def refresh_tokens(pool: Any) -> dict[str, list | None]:
    """A user pool's refresh tokens (token -> [client id, user name, origin jti]; None: revoked)."""
    return {token: list(value) if value else None for token, value in list(pool.refresh_tokens.items())}


def restore_refresh_token(pool: Any, token: str, value: list | None) -> None:
    if value is None and token not in pool.refresh_tokens:
        return
    pool.refresh_tokens[token] = tuple(value) if value else None


# --- S3 objects ------------------------------------------------------------------------


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _when(value: str | None) -> datetime.datetime:
    from moto.core.utils import utcnow

    return datetime.datetime.fromisoformat(value) if value else utcnow()


def key_versions(bucket: Any, name: str, store: BlobStore) -> list[Snapshot]:
    """Every version of ``name`` in ``bucket`` (oldest first); [] when there is none."""
    return [_version(bucket, v, store) for v in bucket.keys.getlist(name, [])]


def _version(bucket: Any, version: Any, store: BlobStore) -> Snapshot:
    if not hasattr(version, "_value_buffer"):  # a delete marker
        return {
            "delete_marker": True,
            "version_id": version.version_id,
            "last_modified": _iso(version.last_modified),
        }
    buffer = version._value_buffer
    blob = store.relative(buffer.path) if isinstance(buffer, BlobFile) and version.size else None
    return {
        "version_id": version._version_id,
        "versioned": version._is_versioned,
        "etag": version.etag.strip('"'),
        "size": version.size,
        "blob": blob,
        "last_modified": _iso(version.last_modified),
        "storage": version._storage_class,
        "metadata": dict(version._metadata),
        "encryption": version.encryption,
        "kms_key_id": version.kms_key_id,
        "bucket_key_enabled": version.bucket_key_enabled,
        "checksum": [
            version.checksum_algorithm,
            version.checksum_value,
            version.checksum_type,
            version.checksum_parts,
        ],
        "redirect": version.website_redirect_location,
        "lock": [version.lock_mode, version.lock_legal_status, version.lock_until],
        "tags": backend_of(bucket).tagger.get_tag_dict_for_resource(version.arn),
    }


def restore_key(bucket: Any, name: str, versions: list[Snapshot], store: BlobStore) -> None:
    """Make ``name`` in ``bucket`` exactly ``versions`` (none: the key is gone)."""
    if not versions:
        if bucket.keys.getlist(name):
            bucket.keys.pop(name)
        return
    bucket.keys.setlist(name, [_restore_version(bucket, name, v, store) for v in versions])


def _restore_version(bucket: Any, name: str, snap: Snapshot, store: BlobStore) -> Any:
    from moto.s3.models import FakeDeleteMarker, FakeKey

    def fake_key() -> Any:
        return FakeKey(name, b"", bucket.account_id, bucket.region_name, bucket_name=bucket.name)

    if snap.get("delete_marker"):
        marker = FakeDeleteMarker(fake_key())
        marker._version_id = snap["version_id"]
        marker.last_modified = _when(snap["last_modified"])
        return marker
    key = FakeKey(
        name,
        b"",
        bucket.account_id,
        bucket.region_name,
        storage=snap["storage"],
        etag=snap["etag"],
        is_versioned=snap["versioned"],
        version_id=snap["version_id"],
        bucket_name=bucket.name,
        encryption=snap["encryption"],
        kms_key_id=snap["kms_key_id"],
        bucket_key_enabled=snap["bucket_key_enabled"],
    )
    if snap["blob"]:
        key._value_buffer.close()
        key._value_buffer = BlobFile(store, store.absolute(snap["blob"]))
    key.contentsize = snap["size"]
    key.last_modified = _when(snap["last_modified"])
    key._metadata.clear()
    key._metadata.update(snap["metadata"])
    key.checksum_algorithm, key.checksum_value, key.checksum_type, key.checksum_parts = snap["checksum"]
    key.website_redirect_location = snap["redirect"]
    key.lock_mode, key.lock_legal_status, key.lock_until = snap["lock"]
    if snap["tags"]:
        tagger = backend_of(bucket).tagger
        tagger.tag_resource(key.arn, tagger.convert_dict_to_tags_input(snap["tags"]))
    return key


def blob_size_matches(snap: Snapshot, store: BlobStore) -> bool:
    """Whether a snapshot's bytes are on disk, whole (a version or a part)."""
    if not snap.get("blob"):
        return snap.get("delete_marker", False) or snap.get("size", 0) == 0
    try:
        return store.absolute(snap["blob"]).stat().st_size == snap["size"]
    except (FileNotFoundError, ValueError):
        return False


# --- multipart uploads -----------------------------------------------------------------


def upload_of(bucket: Any, upload_id: str) -> Any | None:
    return bucket.multiparts.get(upload_id)


def upload_meta(bucket: Any, upload: Any) -> Snapshot:
    return {
        "bucket": bucket.name,
        "key": upload.key_name,
        "metadata": dict(upload.metadata),
        "storage": upload.storage,
        "tags": upload.tags,
        "sse": upload.sse_encryption,
        "kms_key_id": upload.kms_key_id,
    }


def upload_parts(upload: Any, store: BlobStore) -> dict[str, Snapshot]:
    parts = {}
    for number, part in list(upload.parts.items()):
        buffer = part._value_buffer
        parts[str(number)] = {
            "etag": part.etag.strip('"'),
            "size": part.size,
            "blob": store.relative(buffer.path) if isinstance(buffer, BlobFile) and part.size else None,
            "last_modified": _iso(part.last_modified),
        }
    return parts


def restore_upload(bucket: Any, upload_id: str, meta: Snapshot) -> None:
    from moto.s3.models import FakeMultipart
    from moto.s3.utils import CaseInsensitiveDict

    upload = FakeMultipart(
        meta["key"],
        CaseInsensitiveDict(meta["metadata"]),
        bucket.account_id,
        bucket.region_name,
        storage=meta["storage"],
        tags=meta["tags"],
        sse_encryption=meta["sse"],
        kms_key_id=meta["kms_key_id"],
    )
    upload.id = upload_id
    bucket.multiparts[upload_id] = upload


def restore_part(upload: Any, number: int, snap: Snapshot, store: BlobStore) -> None:
    part = upload.set_part(number, b"")
    if snap["blob"]:
        part._value_buffer.close()
        part._value_buffer = BlobFile(store, store.absolute(snap["blob"]))
    part.contentsize = snap["size"]
    part._etag = snap["etag"]
    part.last_modified = _when(snap["last_modified"])


def rename_upload(bucket: Any, current: str, new: str) -> None:
    upload = bucket.multiparts.pop(current, None)
    if upload is not None:
        upload.id = new
        bucket.multiparts[new] = upload


def remove_upload(bucket: Any, upload_id: str) -> None:
    upload = bucket.multiparts.pop(upload_id, None)
    if upload is not None:
        upload.dispose()


# --- SQS messages ----------------------------------------------------------------------


def queue_messages(queue: Any) -> dict[str, Snapshot]:
    """The messages a queue holds now, by message id."""
    with queue._messages_lock:
        messages = list(queue._messages)
    return {m.id: _message(m) for m in messages}


def _message(m: Any) -> Snapshot:
    attributes = {}
    for name, value in m.message_attributes.items():
        value = dict(value)
        if isinstance(value.get("BinaryValue"), bytes):
            value["BinaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
            value["_binary"] = True
        attributes[name] = value
    return {
        "id": m.id,
        "body": m.body,
        "attributes": attributes,
        "system_attributes": m.system_attributes,
        "sender_id": m.sender_id,
        "sent_timestamp": m.sent_timestamp,
        "first_receive": m.approximate_first_receive_timestamp,
        "receive_count": m.approximate_receive_count,
        "deduplication_id": m.deduplication_id,
        "group_id": m.group_id,
        "sequence_number": m.sequence_number,
        "delayed_until": m.delayed_until,
    }


def restore_message(queue: Any, snap: Snapshot) -> None:
    from moto.sqs.models import Message

    message = Message(snap["id"], snap["body"], system_attributes=snap["system_attributes"])
    for name, value in snap["attributes"].items():
        value = dict(value)
        if value.pop("_binary", False):
            value["BinaryValue"] = base64.b64decode(value["BinaryValue"])
        message.message_attributes[name] = value
    message.sender_id = snap["sender_id"]
    message.sent_timestamp = snap["sent_timestamp"]
    message.approximate_first_receive_timestamp = snap["first_receive"]
    message.approximate_receive_count = snap["receive_count"]
    message.deduplication_id = snap["deduplication_id"]
    message.group_id = snap["group_id"]
    message.sequence_number = snap["sequence_number"]
    message.delayed_until = snap["delayed_until"]
    with queue._messages_lock:
        queue._messages = [m for m in queue._messages if m.id != message.id]
        queue._messages.append(message)
        queue._messages_lock.notify_all()


def remove_message(queue: Any, message_id: str) -> None:
    with queue._messages_lock:
        queue._messages = [m for m in queue._messages if m.id != message_id]


def count_receive(queue: Any, message_id: str, receive_count: int, first_receive: int | None) -> None:
    with queue._messages_lock:
        for m in queue._messages:
            if m.id == message_id:
                m.approximate_receive_count = receive_count
                m.approximate_first_receive_timestamp = first_receive
