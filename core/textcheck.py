"""Input no column can hold, found at the edge so it answers 400 instead of failing deep inside as a 500.

PostgreSQL's text and jsonb refuse the NUL character, and a lone UTF-16 surrogate (which JSON's "\\ud800" escape
decodes to) cannot be encoded as UTF-8 at all. JSON nested thousands deep makes parsers recurse or keep a prefix
per level (ijson: memory that grows with the square of the depth), so depth is bounded before any parsing.
Pure functions: no Django import.
"""

import re

# Real data (item records, label schemas, mappings) is a few levels deep; 32 leaves room and stops abuse.
MAX_JSON_DEPTH = 32

_BAD_CHAR = re.compile("[\x00\ud800-\udfff]")
# Outside a string only brackets and quotes matter to depth; inside one, a quote or a backslash escape.
_JSON_TOKEN = re.compile(rb'[\\"\[\]{}]')
_OPENERS = frozenset(b"[{")


_JSON_KINDS = {bool: "a boolean", int: "a number", float: "a number", str: "a string", dict: "an object",
               list: "a list", type(None): "null"}


def json_kind(value) -> str:
    """What a decoded JSON value is, in the words of an error message ("a number"), to say what came instead."""
    return _JSON_KINDS.get(type(value), type(value).__name__)


class JsonTooDeep(ValueError):
    def __init__(self, limit: int = MAX_JSON_DEPTH):
        super().__init__(f"is nested deeper than {limit} levels of arrays and objects")
        self.limit = limit


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    match = _BAD_CHAR.search(value)
    if match is None:
        return None
    if match.group() == "\x00":
        return "contains a NUL character (U+0000), which text cannot hold"
    return f"contains a lone surrogate (U+{ord(match.group()):04X}), half of a character, which text cannot hold"


def json_text_problem(value, path: str = "") -> tuple[str, str] | None:
    """The first string, key or value, in decoded JSON that text_problem refuses: (its dotted path, why)."""
    stack = [(path, value)]
    while stack:
        where, node = stack.pop()
        if isinstance(node, str):
            problem = text_problem(node)
            if problem:
                return where or "value", problem
        elif isinstance(node, dict):
            for key, inner in node.items():
                inner_path = f"{where}.{key}" if where else str(key)
                problem = text_problem(key) if isinstance(key, str) else None
                if problem:
                    return where or "value", f"has a key that {problem}"
                stack.append((inner_path, inner))
        elif isinstance(node, list):
            stack.extend((f"{where}[{index}]", inner) for index, inner in enumerate(node))
    return None


class JsonDepthScanner:
    """Follows the nesting depth of JSON fed to it in chunks (bytes, UTF-8) and raises JsonTooDeep past the
    limit, without parsing: a scan of quotes and brackets, strings skipped with their escapes."""

    def __init__(self, limit: int = MAX_JSON_DEPTH):
        self.limit, self.depth, self.in_string, self._skip_first = limit, 0, False, False

    def feed(self, chunk: bytes) -> None:
        skip_until = 1 if self._skip_first else 0
        self._skip_first = False
        for match in _JSON_TOKEN.finditer(chunk):
            position = match.start()
            if position < skip_until:
                continue
            byte = chunk[position]
            if self.in_string:
                if byte == 0x5C:  # backslash: the next byte is escaped, perhaps in the next chunk
                    skip_until = position + 2
                    self._skip_first = skip_until > len(chunk)
                elif byte == 0x22:
                    self.in_string = False
            elif byte == 0x22:
                self.in_string = True
            elif byte in _OPENERS:
                self.depth += 1
                if self.depth > self.limit:
                    raise JsonTooDeep(self.limit)
            elif byte != 0x5C:
                self.depth -= 1


_NOT_A_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
# The escapes that decode to what text_problem refuses: \u0000 (NUL) and \uD800 to \uDFFF (surrogates).
_BAD_TEXT_ESCAPE = re.compile(rb"\\u(?:0000|[dD][89a-fA-F])")


def json_depth_check(data: bytes, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise JsonTooDeep when `data` (one JSON document) nests deeper than `limit`, as JsonDepthScanner would,
    without stepping through every quote in Python (a batch of 500 feedback events: 4.4 ms in the scanner,
    0.5 to 0.7 ms here). Escaped backslashes and then escaped quotes are dropped, so every quote left opens or closes
    a string; the text between every other quote is outside strings, and only its brackets are counted.
    Backslashes outside strings (never in JSON) may count differently from the scanner: on any text that is
    JSON as far as it nests, which is as far as a parser recurses into it, the two agree."""
    if data.count(b"[") + data.count(b"{") <= limit:  # else it cannot: the usual case costs two counts
        return
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    depth = 0
    for byte in b"".join(data.split(b'"')[::2]).translate(None, _NOT_A_BRACKET):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                raise JsonTooDeep(limit)
        else:
            depth -= 1


def may_hold_bad_text(body: bytes) -> bool:
    """False when no string parsed from `body` (JSON, UTF-8) can hold what text_problem refuses, so the walk of
    json_text_problem can be skipped: JSON refuses raw control characters in a string and strict UTF-8 decoding
    refuses encoded surrogates, so NUL and lone surrogates come only from their \\u escapes. True for any such
    escape (even one whose backslash is itself escaped, or a surrogate pair: the walk then decides)."""
    return _BAD_TEXT_ESCAPE.search(body) is not None


class DepthBoundedReader:
    """A binary file whose reads raise JsonTooDeep once the JSON read so far nests past the limit; for parsers
    that read a file themselves (ijson)."""

    def __init__(self, source, limit: int = MAX_JSON_DEPTH):
        self._source, self._scanner = source, JsonDepthScanner(limit)

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self._scanner.feed(chunk if isinstance(chunk, bytes) else chunk.encode("utf-8"))
        return chunk
