"""Pages of one item, for the hostile mode's ``paging`` fault.

A paginated read is asked for the smallest page its API allows (its limit parameter, from
botocore's paginator model). Where moto honours that, it answers with the API's own token;
where moto ignores it and answers everything at once, the answer is cut here to one item
and given a token of ours (``vfpage-<offset>``) in the API's own output-token field; when
that token comes back it is taken out of the request and the answer cut at the offset.
Either way a client sees what AWS may send: one item per page and a token to go on.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

TOKEN = "vfpage-"  # noqa: S105 - a page token, not a secret


@dataclass(frozen=True)
class Pagination:
    limit: str  # wire name of the page-size parameter
    limit_location: str  # "querystring", "header" or "body"
    smallest: int
    input_token: str | None  # wire name; None where the API pages by several fields
    output_token: str | None
    result_keys: tuple[str, ...]  # wire names of the result lists


def _wire(shape: Any, member: str) -> str:
    return shape.members[member].serialization.get("name", member)


def pagination(session: Any, model: Any, operation: str) -> Pagination | None:
    try:
        config = session.get_paginator_model(model.service_name).get_paginator(operation)
    except Exception:  # no paginator for this operation
        return None
    op = model.operation_model(operation)
    shape_in, shape_out = op.input_shape, op.output_shape
    limit = config.get("limit_key")
    if not limit or shape_in is None or limit not in shape_in.members:
        return None
    member = shape_in.members[limit]
    tokens = (config.get("input_token"), config.get("output_token"))
    # Response-side cutting only where one plain field carries the token each way.
    single = (
        all(isinstance(t, str) for t in tokens)
        and tokens[0] in shape_in.members
        and shape_out is not None
        and tokens[1] in shape_out.members
    )
    results = config.get("result_key") or []
    results = [results] if isinstance(results, str) else results
    return Pagination(
        limit=_wire(shape_in, limit),
        limit_location=member.serialization.get("location", "body"),
        smallest=max(1, int(member.metadata.get("min", 1))),
        input_token=_wire(shape_in, config["input_token"]) if single else None,
        output_token=_wire(shape_out, config["output_token"]) if single and shape_out else None,
        result_keys=tuple(
            _wire(shape_out, k) for k in results if shape_out and "." not in k and k in shape_out.members
        ),
    )


def ask_for_one(environ: dict, protocol: str, pages: Pagination, body: bytes) -> int:
    """Rewrite the request for the smallest page; the offset our own token asked for (0 if none)."""
    offset = 0
    if pages.limit_location == "querystring" or protocol in ("rest-xml", "rest-json"):
        pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        pairs, offset = _take_token(pairs, pages.input_token)
        if pages.limit_location == "querystring":
            pairs = [(k, v) for k, v in pairs if k != pages.limit] + [(pages.limit, str(pages.smallest))]
        environ["QUERY_STRING"] = urlencode(pairs)
        environ["RAW_URI"] = urlsplit(environ.get("RAW_URI") or "/").path + "?" + environ["QUERY_STRING"]
    if protocol in ("json", "rest-json") and pages.limit_location == "body":
        document = json.loads(body or b"{}")
        token = document.get(pages.input_token or "")
        if isinstance(token, str) and token.startswith(TOKEN):
            offset = int(token[len(TOKEN) :])
            del document[pages.input_token]
        body = json.dumps(document | {pages.limit: pages.smallest}).encode()
    elif protocol in ("query", "ec2"):
        pairs, offset = _take_token(parse_qsl(body.decode(), keep_blank_values=True), pages.input_token)
        pairs = [(k, v) for k, v in pairs if k != pages.limit] + [(pages.limit, str(pages.smallest))]
        body = urlencode(pairs).encode()
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return offset


def _take_token(pairs: list[tuple[str, str]], name: str | None) -> tuple[list[tuple[str, str]], int]:
    offset = 0
    kept = []
    for key, value in pairs:
        if key == name and value.startswith(TOKEN):
            offset = int(value[len(TOKEN) :])
        else:
            kept.append((key, value))
    return kept, offset


def cut_to_one(protocol: str, pages: Pagination, answer: bytes, offset: int) -> tuple[bytes, bool]:
    """The answer cut to the item at ``offset`` (with our token when more follow); and whether it was."""
    if not pages.output_token or not pages.result_keys:
        return answer, False
    if protocol in ("json", "rest-json"):
        return _cut_json(pages, answer, offset)
    return _cut_xml(pages, answer, offset)


def _window(count: int, offset: int) -> tuple[int, int, str | None]:
    end = min(offset + 1, count)
    return offset, end, f"{TOKEN}{end}" if end < count else None


def _cut_json(pages: Pagination, answer: bytes, offset: int) -> tuple[bytes, bool]:
    document = json.loads(answer or b"{}")
    if document.get(pages.output_token):
        return answer, False  # moto paged it itself
    items = [(key, item) for key in pages.result_keys for item in document.get(key) or []]
    if len(items) <= 1 and not offset:
        return answer, False
    start, end, token = _window(len(items), offset)
    for key in pages.result_keys:
        if key in document:
            document[key] = [item for k, item in items[start:end] if k == key]
    if token:
        document[pages.output_token] = token
    return json.dumps(document).encode(), True


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _cut_xml(pages: Pagination, answer: bytes, offset: int) -> tuple[bytes, bool]:
    try:
        root = ET.fromstring(answer)  # noqa: S314 - moto's own answer
    except ET.ParseError:
        return answer, False
    parents = {child: parent for parent in root.iter() for child in parent}
    lists = [el for el in root.iter() if _local(el.tag) in pages.result_keys]
    tokens = [el for el in root.iter() if _local(el.tag) == pages.output_token]
    if not lists or any((t.text or "").strip() for t in tokens):
        return answer, False
    items = [(lst, item) for lst in lists for item in list(lst)]
    if len(items) <= 1 and not offset:
        return answer, False
    start, end, token = _window(len(items), offset)
    keep = {id(item) for _, item in items[start:end]}
    for lst, item in items:
        if id(item) not in keep:
            lst.remove(item)
    if token:
        namespace = lists[0].tag[: lists[0].tag.index("}") + 1] if lists[0].tag.startswith("{") else ""
        for stale in tokens:
            parents[stale].remove(stale)
        ET.SubElement(parents[lists[0]], f"{namespace}{pages.output_token}").text = token
    if root.tag.startswith("{"):
        ET.register_namespace("", root.tag[1 : root.tag.index("}")])
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), True
