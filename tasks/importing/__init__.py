"""Item import: CSV, JSONL and JSON files (admin upload, API, `manage.py import_items`) and the API's rows.

    report = items_import(project=project, source=upload, filename=upload.name, mapping={...})
    preview = items_import_preview(...)  # the same first pass, reported instead of raised; stores nothing

A file is validated whole before anything is stored; see service.py for the two passes.
"""

from .report import MAX_LISTED_ERRORS, Duplicate, ImportRejected, ImportReport, RowError
from .rows import data_content_hash
from .service import BATCH_SIZE, IMPORT_FORMATS, ImportPreview, items_import, items_import_preview
from .sniffing import DELIMITER_NAMES, ENCODINGS, CsvDialect

__all__ = [
    "BATCH_SIZE", "DELIMITER_NAMES", "ENCODINGS", "IMPORT_FORMATS", "MAX_LISTED_ERRORS", "CsvDialect", "Duplicate",
    "ImportPreview", "ImportRejected", "ImportReport", "RowError", "data_content_hash", "items_import",
    "items_import_preview",
]
