"""JSON bodies with their shape bounded before any parsing work is spent on them: nesting at
most MAX_DEPTH deep (Python's parser recurses per level) and integers at most MAX_DIGITS long
(NumPy cannot hold a 400-digit number, and nothing here needs one)."""

from __future__ import annotations

import json
import re

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.utils.json import strict_constant

MAX_DEPTH = 16  # a batch of pixel arrays is 4 deep: {"images": [[[...]]]}
MAX_DIGITS = 64  # far past any pixel value or count, far short of what costs time to read
_STRUCTURE = re.compile(rb'[\[\]{}"\\]')


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


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        body = stream.read() if stream is not None else b""
        depth = nesting_depth(body)
        if depth > MAX_DEPTH:
            raise ParseError(f"JSON nested {depth} deep; at most {MAX_DEPTH} levels are accepted")
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            return json.loads(body.decode(encoding), parse_constant=strict_constant, parse_int=bounded_int)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
