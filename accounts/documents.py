"""What a verification document is, told by its first bytes (its extension alone let HTML named .png in).
Pure functions: no Django import."""

# The formats a reviewer can open safely, by the bytes each starts with.
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpeg": (b"\xff\xd8\xff",),
}
EXTENSION_FORMATS = {"pdf": "pdf", "png": "png", "jpg": "jpeg", "jpeg": "jpeg"}
HEAD_BYTES = 16


def document_format(head: bytes) -> str | None:
    """The format the bytes start like, or None."""
    return next((name for name, starts in SIGNATURES.items() if head.startswith(starts)), None)


def document_problem(filename: str, head: bytes) -> str | None:
    """Why the file is not the PDF or image its name says, or None when it is."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    expected = EXTENSION_FORMATS.get(extension)
    found = document_format(head)
    if expected is None:
        return f"The file must be a PDF, PNG or JPEG, not .{extension or '(no extension)'}."
    if found != expected:
        what = f"a {found.upper()}" if found else "not a PDF or an image"
        return f"The file is named .{extension} but its content is {what}: upload the document itself."
    return None
