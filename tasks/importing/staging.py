"""Uploads held between an import's preview and its confirmation, so the person does not upload twice.

A staged file lives in a private folder on the server's disk (never under MEDIA_ROOT, which may be served);
a token names it, and the admin keeps the token in the uploader's session, so nobody else can import it.
Files older than STAGED_MAX_AGE are removed whenever another is staged.
"""

import json
import os
import re
import secrets
import shutil
import tempfile
import time
from pathlib import Path

from django.conf import settings

STAGED_MAX_AGE = 6 * 3600
TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


def _folder() -> Path:
    folder = Path(getattr(settings, "IMPORT_STAGING_DIR", None) or Path(tempfile.gettempdir()) / "crowdlabel-imports")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def upload_stage(upload) -> str:
    """Copy an uploaded file into the staging folder; returns its token."""
    folder = _folder()
    cutoff = time.time() - STAGED_MAX_AGE
    for old in folder.iterdir():
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_hex(16)
    if hasattr(upload, "temporary_file_path"):
        # Django streamed a large upload to a temporary file already: moved (a rename on the same disk), not
        # copied again within the request. Django's clean-up of a temporary file that is gone is a no-op.
        shutil.move(upload.temporary_file_path(), folder / token)
        return token
    with open(folder / token, "wb") as staged:
        for chunk in upload.chunks():
            staged.write(chunk)
    return token


def staged_path(token: str) -> Path | None:
    """The staged file's path, or None when the token is malformed or the file is gone."""
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        return None
    path = _folder() / token
    return path if path.is_file() else None


def staged_discard(token: str):
    if (path := staged_path(token)) is not None:
        path.unlink(missing_ok=True)


def _progress_path(token: str) -> Path:
    # Named after the upload's random token, not the job's id: installations that share a temporary folder
    # number their jobs alike.
    if not isinstance(token, str) or not TOKEN_RE.match(token):
        raise ValueError("not a staging token")
    return _folder() / f"{token}.progress"


def progress_write(token: str, progress: dict):
    """Note a running import's progress beside its upload, where the web server reads it (the folder is shared).
    Not in the database, nor in a cache kept there: the store pass is one transaction, and whatever it writes
    on its connection (a database cache's rows too) shows nobody anything until it commits."""
    path = _progress_path(token)
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(progress))
    os.replace(partial, path)  # a reader sees the old note or the new one, never half of one


def progress_read(token: str) -> dict | None:
    try:
        return json.loads(_progress_path(token).read_text())
    except (OSError, ValueError):
        return None


def progress_discard(token: str):
    if TOKEN_RE.match(token or ""):
        _progress_path(token).unlink(missing_ok=True)
