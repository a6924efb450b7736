"""Guess how a CSV file is written: its text encoding and the character between its columns.

Pure functions on the first bytes of the file (no Django). A spreadsheet saved on a European or Windows
machine is often semicolon-separated and cp1252-encoded; read as comma-separated UTF-8, every row then lacked
every field. The guess is reported with the import, and the person can override either half of it.
"""

import csv
import io
import re
from dataclasses import dataclass

SAMPLE_BYTES = 64 * 1024
SNIFF_LINES = 50  # csv.Sniffer is regex-based: a few dozen lines are plenty and keep it fast
DELIMITERS = (",", ";", "\t", "|")
DELIMITER_NAMES = {",": "comma (,)", ";": "semicolon (;)", "\t": "tab", "|": "pipe (|)"}
ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1")
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class CsvDialect:
    delimiter: str = ","
    encoding: str = "utf-8"
    delimiter_guessed: bool = False
    encoding_guessed: bool = False

    def describe(self) -> str:
        """E.g. "delimiter guessed: semicolon (;); encoding guessed: cp1252"."""
        return (f"delimiter {'guessed' if self.delimiter_guessed else 'given'}: {DELIMITER_NAMES[self.delimiter]}; "
                f"encoding {'guessed' if self.encoding_guessed else 'given'}: {self.encoding}")


def csv_dialect_guess(sample: bytes, *, truncated: bool, delimiter: str | None = None,
                      encoding: str | None = None) -> CsvDialect:
    """The dialect of a CSV file from its first bytes (`truncated`: the file goes on after them); a delimiter
    or encoding the person chose is kept as given."""
    chosen_encoding = encoding or encoding_guess(sample, truncated=truncated)
    text = sample.decode("utf-8" if chosen_encoding == "utf-8-sig" else chosen_encoding, "replace")
    text = text.removeprefix("\ufeff")
    if truncated:  # the last line may be cut in the middle
        text = text[: text.rfind("\n") + 1] or text
    return CsvDialect(
        delimiter=delimiter or delimiter_guess(text), encoding=chosen_encoding,
        delimiter_guessed=delimiter is None, encoding_guessed=encoding is None,
    )


# A character of two to four bytes as UTF-8 writes it. In cp1252 text such a pair is mojibake ("Ã©"), so a file
# that has one is UTF-8, whatever its other bytes.
UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def encoding_guess(sample: bytes, *, truncated: bool) -> str:
    """utf-8-sig with a byte order mark; else UTF-8 when the bytes decode as UTF-8 (a multi-byte character cut
    at the end of a sample does not count against it), or when they hold UTF-8's multi-byte characters beside
    bytes that are not UTF-8: a damaged UTF-8 file, whose bad lines are then refused by number rather than the
    whole file read as cp1252 ("café" stored as "cafÃ©"); else cp1252 (Excel on Windows), whose five undefined
    bytes fall back to latin-1, which decodes any byte."""
    if sample.startswith(BOM):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        if truncated and error.reason == "unexpected end of data" and error.start >= len(sample) - 3:
            return "utf-8"
    if UTF8_MULTIBYTE.search(sample):
        return "utf-8"
    try:
        sample.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


def delimiter_guess(text: str) -> str:
    """csv.Sniffer's guess among comma, semicolon, tab and pipe when the rows agree with it (every row as wide
    as the header, and wider than one column); else the candidate the rows agree with best; else the one the
    header holds most of; else a comma (a one-column file has no delimiter to find)."""
    lines = text.splitlines(keepends=True)[:SNIFF_LINES]
    sample = "".join(lines)
    try:
        sniffed = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    if sniffed in DELIMITERS and _width_if_consistent(sample, sniffed) > 1:
        return sniffed
    widths = {delimiter: _width_if_consistent(sample, delimiter) for delimiter in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: widths[d])
    if widths[best] > 1:
        return best
    header = lines[0] if lines else ""
    most = max(DELIMITERS, key=header.count)
    return most if header.count(most) else ","


def _width_if_consistent(sample: str, delimiter: str) -> int:
    """The header's width when every row of the sample has it; 0 when some row differs."""
    try:
        rows = [row for row in csv.reader(io.StringIO(sample), delimiter=delimiter) if row]
    except csv.Error:
        return 0
    if not rows:
        return 0
    width = len(rows[0])
    return width if all(len(row) == width for row in rows) else 0
