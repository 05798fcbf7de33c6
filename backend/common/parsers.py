"""JSON bodies with their shape bounded before any parsing work is spent on them: nesting at
most MAX_DEPTH deep (Python's parser recurses per level), integers at most MAX_DIGITS long
(NumPy cannot hold a 400-digit number, and nothing here needs one), and at most
MAX_PIXEL_VALUES values in all (a pixel array is what costs to parse: each value a Python
object; counted by its commas, one C-level scan, before any is made). A body of many values
takes one of the server's big-decode slots for the rest of its request, like a big image:
when none is free it is answered 503 at once, and one worker stays free for the rest."""

from __future__ import annotations

import contextlib
import json
import re

from django.conf import settings
from rest_framework.exceptions import ParseError, UnsupportedMediaType
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

from model_core.serving import DECODE_HOOKS

MAX_DEPTH = 16  # a batch of pixel arrays is 4 deep: {"images": [[[...]]]}
MAX_DIGITS = 64  # far past any pixel value or count, far short of what costs time to read
BYTES_PER_VALUE = 32  # a parsed value's cost: a float object and its list slot, then float32
_STRUCTURE = re.compile(rb'[\[\]{}"\\]')
# JSON is Unicode (RFC 8259): UTF-8, or UTF-16/32 where a client says so. Any other charset a
# client names would turn the body into other characters than the bytes the bounds count.
JSON_CHARSETS = {"utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "utf-32", "utf-32le", "utf-32be"}


def nesting_depth(body: bytes) -> int:
    """How deep the brackets of a JSON text nest, strings skipped, without parsing it: the
    regex finds only brackets, quotes and backslashes, so a megabyte of base64 costs one
    C-level scan."""
    depth = deepest = 0
    in_string = False
    escaped_until = 0  # a backslash escapes the one character after it
    for match in _STRUCTURE.finditer(body):
        if match.start() < escaped_until:
            continue
        char = match.group()
        if in_string:
            if char == b"\\":
                escaped_until = match.start() + 2
            elif char == b'"':
                in_string = False
            continue
        if char == b'"':
            in_string = True
        elif char in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in b"]}":
            depth -= 1
    return deepest


def bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise ValueError(f"a number of {len(text)} digits; at most {MAX_DIGITS} are accepted")
    return int(text)


def hold_slot_for_the_request(request, cost: int) -> None:
    """Take a big-decode slot (model_core.imaging.decode) until the request is answered (ReleaseHeld
    middleware); DecoderBusyError, a 503, when none is free."""
    from .errors import as_api_exception  # here: errors imports DRF, whose settings import this module

    held = contextlib.ExitStack()
    try:
        held.enter_context(DECODE_HOOKS.slot(cost))
    except Exception as exc:
        raise as_api_exception(exc) from exc
    django_request = getattr(request, "_request", request)
    django_request.held_until_answered = held


def utf8_body(body: bytes, encoding: str, media_type: str | None) -> bytes:
    """The body as UTF-8 bytes, the one encoding the bounds below count in; 415 for a charset
    JSON cannot be written in."""
    charset = encoding.strip().lower()
    if charset not in JSON_CHARSETS:
        raise UnsupportedMediaType(
            media_type or "application/json", detail=f"JSON must be UTF-8 (or UTF-16/32); charset {encoding!r} is not"
        )
    if charset in ("utf-8", "utf8"):
        return body
    try:
        return body.decode(charset).encode("utf-8")
    except UnicodeError as exc:
        raise ParseError(f"JSON parse error - the body is not {charset}: {exc}") from None


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        body = utf8_body(body, (parser_context or {}).get("encoding") or "utf-8", media_type)
        values = body.count(b",") + 1  # an upper bound on the numbers it holds
        if values > settings.MAX_PIXEL_VALUES + 1000:  # room for the other fields
            from .errors import PayloadTooLarge

            raise PayloadTooLarge(
                f"the body holds about {values} values; pixels may be at most {settings.MAX_PIXEL_VALUES} in all "
                "(a drawing needs no more than about 1,000×1,000)"
            )
        request = (parser_context or {}).get("request")
        if request is not None:
            hold_slot_for_the_request(request, values * BYTES_PER_VALUE)
        depth = nesting_depth(body)
        if depth > MAX_DEPTH:
            raise ParseError(f"JSON nested {depth} deep; at most {MAX_DEPTH} levels are accepted")
        try:
            return json.loads(body.decode("utf-8"), parse_constant=strict_constant, parse_int=bounded_int)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise ParseError(f"JSON parse error - {exc}") from None
