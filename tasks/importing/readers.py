"""Readers: a file, or the API's list of rows, as a stream of (position, record).

A record is a list of cells (CSV) or a decoded JSON value (JSONL, JSON array, API rows). A row that cannot be
read at all (not UTF-8, malformed JSON) comes as a RowError in place of the record, so pass 1 lists it and
reads on where the format allows. Files are read a line (or, for a JSON array, an element) at a time: never
whole.
"""

import csv
import json
from collections.abc import Iterable, Iterator

import ijson

from core.textcheck import MAX_JSON_DEPTH, DepthBoundedReader, JsonTooDeep, json_depth_check, text_problem

from . import sniffing
from .report import ImportRejected, RowError

BOM = sniffing.BOM
# A cell may carry whitespace that normalisation removes, so the limit sits well above the longest field
# the schema allows (schemas.MAX_FIELD_CHARS); a larger cell is refused as a row error, not read on.
MAX_CSV_CELL_CHARS = 1 << 20
csv.field_size_limit(max(csv.field_size_limit(), MAX_CSV_CELL_CHARS))

Records = Iterator[tuple[int, object]]


def rows_records(rows: Iterable) -> Records:
    """The API's JSON body: a list of row objects, numbered from 1 like the elements of a JSON array."""
    yield from enumerate(rows, start=1)


def csv_sample(source) -> tuple[bytes, bool]:
    """The first bytes of a file, to guess its dialect from, and whether the file goes on after them;
    the file is left at its start."""
    source.seek(0)
    sample = source.read(sniffing.SAMPLE_BYTES + 1)
    source.seek(0)
    if isinstance(sample, str):
        sample = sample.encode("utf-8")
    return sample[: sniffing.SAMPLE_BYTES], len(sample) > sniffing.SAMPLE_BYTES


def csv_records(source, dialect: sniffing.CsvDialect = sniffing.CsvDialect()) -> tuple[list[str], Records]:
    """The header and a stream of (line where the record starts, cells)."""
    decode_errors: list[RowError] = []
    reader = csv.reader(_decoded_lines(source, decode_errors, dialect.encoding), delimiter=dialect.delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRejected([RowError(None, "The file is empty: a CSV file starts with a header row.")]) from None
    except csv.Error as error:
        raise ImportRejected([RowError(1, f"the header cannot be read as CSV: {error}.")]) from None
    if decode_errors:
        raise ImportRejected(decode_errors)
    _header_check(header)
    return header, _csv_body(reader, decode_errors)


def _header_check(header: list[str]):
    problems = [RowError(1, f"column {number} of the header {text_problem(name)}.")
                for number, name in enumerate(header, start=1) if text_problem(name)]
    if problems:
        raise ImportRejected(problems)


def _csv_body(reader, decode_errors: list[RowError]) -> Records:
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            # The reader cannot resynchronise after a broken record, so reading stops here.
            yield start, RowError(start, f"cannot be read as CSV ({error}); reading stopped here.")
            return
        if decode_errors:
            yield from ((error.line, error) for error in decode_errors)
            decode_errors.clear()
        elif cells:  # a blank line is no row
            yield start, cells
        start = reader.line_num + 1


def _decoded_lines(source, errors: list[RowError], encoding: str = "utf-8") -> Iterator[str]:
    """Decode each physical line on its own, so a bad byte is reported with its line number. The encoding was
    guessed from the file's start; a line further on that does not fit it is a row error."""
    codec = "utf-8" if encoding == "utf-8-sig" else encoding
    for number, raw in enumerate(source, start=1):
        if isinstance(raw, str):
            yield raw
            continue
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        try:
            yield raw.decode(codec)
        except UnicodeDecodeError as error:
            errors.append(RowError(number, _not_utf8(raw, error) if codec == "utf-8" else _not_in(raw, error, codec)))
            yield raw.decode(codec, "replace")


def _not_utf8(raw: bytes, error: UnicodeDecodeError) -> str:
    return f"is not UTF-8 text (byte 0x{raw[error.start]:02x} at byte {error.start + 1}); save the file as UTF-8."


def _not_in(raw: bytes, error: UnicodeDecodeError, codec: str) -> str:
    return (f"is not {codec} text like the start of the file (byte 0x{raw[error.start]:02x} at byte "
            f"{error.start + 1}); save the file as UTF-8.")


def jsonl_records(source) -> Records:
    """A stream of (line number, decoded JSON value); blank lines are skipped."""
    for number, raw in enumerate(source, start=1):
        if isinstance(raw, bytes):
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM):]
            try:
                raw = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield number, RowError(number, _not_utf8(raw, error))
                continue
        if not raw.strip():
            continue
        try:
            json_depth_check(raw.encode("utf-8", "surrogatepass"))
            yield number, json.loads(raw)
        except JsonTooDeep as error:
            yield number, RowError(number, f"{error}; items are objects of fields.")
        except json.JSONDecodeError as error:
            yield number, RowError(number, f"is not valid JSON: {error.msg} (column {error.colno}).")


def json_records(source) -> Records:
    """A stream of (1-based element position, decoded element) of a top-level JSON array, parsed
    incrementally with ijson."""
    _seek_array_start(source)
    # ijson keeps a prefix string per level, memory that grows with the square of the depth: bounded first.
    elements = ijson.items(DepthBoundedReader(source, MAX_JSON_DEPTH), "item", use_float=True)
    position = 0
    while True:
        try:
            element = next(elements)
        except StopIteration:
            return
        except JsonTooDeep as error:
            yield position + 1, RowError(position + 1, f"{error}; reading stopped here.", "item")
            return
        except (ijson.JSONError, UnicodeDecodeError) as error:
            # A JSON parser cannot resynchronise after a syntax error, so reading stops here.
            yield position + 1, _json_error(error, position)
            return
        position += 1
        yield position, element


def _json_error(error: Exception, position: int) -> RowError:
    """ijson's message, first line only (the rest is a picture of the bytes around the error)."""
    message = error.args[0] if error.args else str(error)
    if isinstance(message, bytes):
        message = message.decode("utf-8", "replace")
    message = str(message).strip().splitlines()[0] if str(message).strip() else type(error).__name__
    if "trailing garbage" in message:
        return RowError(None, f"There is more after the end of the JSON array (after item {position}).")
    if isinstance(error, UnicodeDecodeError) or "UTF8" in message:
        return RowError(position + 1, "is not UTF-8 text; save the file as UTF-8. Reading stopped here.", "item")
    return RowError(position + 1, f"is malformed JSON ({message}); reading stopped here.", "item")


def _seek_array_start(source):
    """Skip a byte order mark and leading whitespace, and check the file is a JSON array."""
    offset = 0
    while True:
        chunk = source.read(4096)
        if not chunk:
            raise ImportRejected([RowError(None, "The file is empty: a JSON file holds an array of objects.")])
        if offset == 0 and chunk.startswith(BOM):
            chunk, offset = chunk[len(BOM):], len(BOM)
        stripped = chunk.lstrip()
        if stripped:
            break
        offset += len(chunk)
    if stripped[:1] != b"[":
        raise ImportRejected([RowError(None, "A JSON file must hold an array of objects: [{...}, {...}].")])
    source.seek(offset + len(chunk) - len(stripped))
