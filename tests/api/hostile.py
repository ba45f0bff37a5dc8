"""Hostile inputs for the API fuzzing: one place of an otherwise valid request at a time gets
text no client should send (a lone UTF-16 surrogate, a NUL character), bytes that are not
UTF-8, or a number beyond what the database stores.

Where a value can go is read from the OpenAPI document ("slots"): every path and query
parameter, every string field of the JSON body (nested ones too), and the headers the app
reads. Text goes into paths and queries percent-encoded (a surrogate as the bytes `%ED%A0%80`,
which a strict UTF-8 decoder refuses) and into bodies as a JSON escape (`\\ud800`, `\\u0000`);
raw bytes go into headers, and into bodies as they are (the body is then not UTF-8). A NUL in
a header cannot be sent over HTTP/1.1 at all (the client refuses), so that case is left to
the in-process tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import strategies as st
from schemathesis.core import NotSet

UNUSABLE_CHARS = ("\ud800", "\udfff", "\x00")  # a high and a low lone surrogate, NUL
INVALID_UTF8 = (b"\xff", b"\xc3(", b"\xed\xa0\x80")  # never UTF-8; a cut sequence; a surrogate
ABSURD_NUMBERS = ("9" * 40, str(2**31), "-1", "1e400", "NaN")
HEADERS = ("Authorization", "X-API-Key", "Last-Event-ID", "Origin")
_PLACEHOLDER = "hostile-bytes-go-here"


@dataclass(frozen=True)
class Slot:
    """A place in a request: a path, query or header parameter, or a body field (its keys)."""

    where: str  # "path", "query", "header" or "body"
    name: str | tuple[str, ...]
    numeric: bool = False

    def __str__(self) -> str:
        name = ".".join(self.name) if isinstance(self.name, tuple) else self.name
        return f"{self.where} {name}"


@dataclass(frozen=True)
class Mutation:
    """A hostile value for a slot: text (escaped as the slot needs) or raw bytes."""

    slot: Slot
    value: str | bytes

    def __str__(self) -> str:
        return f"{self.slot} = {self.value!r}"


def slots(document: dict[str, Any], path: str, method: str) -> list[Slot]:
    """Every slot of one operation of the OpenAPI `document`."""
    operation = document["paths"][path][method.lower()]
    found = [
        Slot(p["in"], p["name"], "integer" in _types(document, p.get("schema", {})))
        for p in operation.get("parameters", [])
        if p["in"] in ("path", "query") or p["name"] in HEADERS
    ]
    schemes = document.get("components", {}).get("securitySchemes", {})
    for requirement in operation.get("security", []):
        for scheme in (schemes[name] for name in requirement):
            bearer = scheme.get("type") == "http"
            found.append(Slot("header", "Authorization" if bearer else scheme["name"]))
    found.append(Slot("header", "Origin"))
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if body is not None:
        found += [Slot("body", keys) for keys in _string_fields(document, body["schema"], ())]
    return found


def explicit_mutations(operation_slots: list[Slot]) -> list[Mutation]:
    """Each slot with each hostile value it can carry: the cases every run sends."""
    return [Mutation(slot, value) for slot in operation_slots for value in _explicit(slot)]


def mutations(operation_slots: list[Slot]) -> st.SearchStrategy[Mutation]:
    """Random hostile values in random slots, with ordinary text around them."""
    return st.sampled_from(operation_slots).flatmap(
        lambda slot: _values(slot).map(lambda value: Mutation(slot, value))
    )


def hostile_request(
    case: Any, base_url: str, headers: dict[str, str], mutation: Mutation
) -> tuple[str, str, list[tuple[bytes, bytes]], bytes | None]:
    """Method, URL, headers and body of a valid generated `case` (sent with `headers`) with
    the mutation applied, encoded by hand so that nothing on the way repairs it."""
    slot, value = mutation.slot, mutation.value
    path = case.operation.path
    for name, given in (case.path_parameters or {}).items():
        chosen = value if (slot.where, slot.name) == ("path", name) else given
        path = path.replace(f"{{{name}}}", _encoded(chosen))
    query = dict(case.query or {})
    if slot.where == "query":
        query[str(slot.name)] = value
    pairs = [f"{quote(k)}={_encoded(v)}" for k, given in query.items() for v in _listed(given)]
    url = base_url + path + ("?" + "&".join(pairs) if pairs else "")
    sent = {**(case.headers or {}), **headers}
    if slot.where == "header":
        sent = {k: v for k, v in sent.items() if k.lower() != str(slot.name).lower()}
        sent[str(slot.name)] = _as_header(str(slot.name), value)
    body = _body(case.body, mutation)
    if body is not None:
        sent["Content-Type"] = "application/json"
    return case.method, url, [(k.encode(), _header_bytes(v)) for k, v in sent.items()], body


def send(
    client: httpx.Client,
    request: tuple[str, str, list[tuple[bytes, bytes]], bytes | None],
    timeout: float,
) -> tuple[int, dict[str, str], bytes]:
    """Send the request; status, headers and (for anything but an open event stream) body."""
    method, url, headers, content = request
    with client.stream(method, url, headers=headers, content=content, timeout=timeout) as r:
        streaming = r.headers.get("content-type", "").startswith("text/event-stream")
        body = b"" if streaming and r.status_code < 300 else r.read()
        return r.status_code, dict(r.headers), body


def _explicit(slot: Slot) -> Iterator[str | bytes]:
    if slot.where == "header":
        yield from (b"a" + bad + b"b" for bad in INVALID_UTF8)
    else:
        yield from (f"a{bad}b" for bad in UNUSABLE_CHARS)
    if slot.where == "body":
        yield from (b"a" + bad + b"b" for bad in INVALID_UTF8)
    if slot.numeric:
        yield from ABSURD_NUMBERS


def _values(slot: Slot) -> st.SearchStrategy[str | bytes]:
    around = st.text(max_size=6)
    bad_char = st.sampled_from(UNUSABLE_CHARS) | st.characters(categories=["Cs"])
    options: list[st.SearchStrategy[Any]] = []
    if slot.where == "header":  # HTTP/1.1 lets a header carry no control or edge space
        visible = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=6)
        options.append(_wrapped(visible, st.sampled_from(INVALID_UTF8)))
    else:
        options.append(st.builds(lambda a, bad, b: a + bad + b, around, bad_char, around))
    if slot.where == "body":
        options.append(_wrapped(around, st.sampled_from(INVALID_UTF8)))
    if slot.numeric:
        options.append(st.sampled_from(ABSURD_NUMBERS) | st.integers().map(str))
    return st.one_of(*options)


def _wrapped(
    around: st.SearchStrategy[str], bad: st.SearchStrategy[bytes]
) -> st.SearchStrategy[bytes]:
    """`bad` bytes with UTF-8 text on either side."""
    return st.builds(lambda a, b, c: a.encode() + b + c.encode(), around, bad, around)


def _types(document: dict[str, Any], schema: dict[str, Any]) -> set[str]:
    schema = _resolved(document, schema)
    found = {schema["type"]} if isinstance(schema.get("type"), str) else set()
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        found |= _types(document, option)
    return found


def _string_fields(
    document: dict[str, Any], schema: dict[str, Any], keys: tuple[str, ...]
) -> Iterator[tuple[str, ...]]:
    schema = _resolved(document, schema)
    for option in schema.get("anyOf", []) + schema.get("oneOf", []):
        yield from _string_fields(document, option, keys)
    for name, field in schema.get("properties", {}).items():
        if "string" in _types(document, field):
            yield (*keys, name)
        yield from _string_fields(document, field, (*keys, name))


def _resolved(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _encoded(value: Any) -> str:
    """A path or query value percent-encoded; a lone surrogate as its (invalid) UTF-8 form."""
    if isinstance(value, bool):
        value = "true" if value else "false"
    if isinstance(value, bytes):
        return quote(value, safe="")
    if value is None:
        return ""
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def _header_bytes(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("latin-1", "replace")


def _as_header(name: str, value: str | bytes) -> bytes:
    raw = value if isinstance(value, bytes) else value.encode("utf-8", "surrogatepass")
    return b"Bearer " + raw if name == "Authorization" else raw


def _body(given: Any, mutation: Mutation) -> bytes | None:
    """The JSON body with the mutation in it; None when the request has no body."""
    if mutation.slot.where != "body":
        return None if isinstance(given, NotSet) else json.dumps(given).encode()
    body = dict(given) if isinstance(given, dict) else {}
    keys = mutation.slot.name
    assert isinstance(keys, tuple)
    node = body
    for key in keys[:-1]:
        node[key] = dict(node[key]) if isinstance(node.get(key), dict) else {}
        node = node[key]
    value = mutation.value
    node[keys[-1]] = _PLACEHOLDER if isinstance(value, bytes) else value
    payload = json.dumps(body, ensure_ascii=True).encode()
    return payload.replace(_PLACEHOLDER.encode(), value) if isinstance(value, bytes) else payload
