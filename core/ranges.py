"""Files answered in part (HTTP range requests, RFC 9110 §14).

A browser seeks in an audio item by asking for the bytes from a point on (Safari plays no audio served without
ranges, and no browser can jump ahead in one), and a download that broke off resumes where it stopped instead
of fetching a whole dataset snapshot again. One range per request: a request for several gets the whole file,
as the RFC allows. Nothing here knows an ETag or a modification time, so a conditional range (If-Range) is
always answered with the whole file, which is what the RFC asks when the validator does not match.
"""

import re

from django.http import FileResponse, HttpResponse, JsonResponse

_BYTES = re.compile(r"bytes=(\d*)-(\d*)")


def byte_range(header: str | None, size: int) -> range | None:
    """The bytes asked for by a Range header, for a file of `size` bytes: None for the whole file (no header,
    another unit, several ranges, or one that makes no sense: all ignored, RFC 9110 §14.2), an empty range when
    nothing of the file can be sent (a start at or past its end: 416)."""
    match = _BYTES.fullmatch((header or "").strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if first == "":                                   # "bytes=-500": the last 500 bytes
        return range(max(size - int(last), 0), size)
    start = int(first)
    if last != "" and int(last) < start:
        return None
    end = size if last == "" else min(int(last) + 1, size)
    return range(start, max(end, start))


class _Slice:
    """`length` bytes of an open file from its current position; closing it closes the file."""

    def __init__(self, file, length: int):
        self.file, self.left, self.name = file, length, getattr(file, "name", "")

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.file.read(size) if size else b""
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.file.close()


def ranged_file_response(request, file, size: int, **file_response_options) -> HttpResponse:
    """A FileResponse of the open `file` (`size` bytes) that answers a Range request with 206 and that part,
    or 416 when the range starts past the end; every answer says the file can be asked for in ranges."""
    wanted = None
    if request.method in ("GET", "HEAD") and "If-Range" not in request.headers:
        wanted = byte_range(request.headers.get("Range"), size)
    if wanted is None:
        response = FileResponse(file, **file_response_options)
    elif not wanted:
        file.close()
        # The API's error shape (crowdlabel/errors.py), wherever the file is served: a body for people, a code for programs.
        response = JsonResponse({"detail": f"The range asked for starts past the end of the file ({size} bytes).",
                                 "code": "range_not_satisfiable"}, status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        file.seek(wanted.start)
        response = FileResponse(_Slice(file, len(wanted)), status=206, **file_response_options)
        response["Content-Range"] = f"bytes {wanted.start}-{wanted[-1]}/{size}"
        response["Content-Length"] = str(len(wanted))
    response["Accept-Ranges"] = "bytes"
    return response
