"""One raw row to the values an Item stores, through the project's schema (schemas.py holds every rule)."""

import hashlib
import json
from dataclasses import dataclass

from .. import schemas
from ..schemas import SchemaError
from .mapping import RawRow

MAX_EXTERNAL_ID_CHARS = 255  # Item.external_id


def data_content_hash(data: dict) -> str:
    """sha256 of the canonical JSON of cleaned item data: equal data, equal hash (finds exact duplicates)."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(slots=True)
class CleanRow:
    line: int
    external_id: str
    id_from_content: bool  # the row had no external id: its content hash stands in
    data: dict
    content_hash: str
    gold: object  # None: not a gold item
    gold_explanation: str


class RowCleaner:
    """Cleans rows for one project; reads the project's schema once."""

    def __init__(self, project):
        self.task_type = project.task_type
        self.item_fields = list(project.item_fields or [])
        self.label_names = project.label_names

    def clean(self, raw: RawRow, line: int) -> CleanRow:
        data = schemas.item_data_clean(task_type=self.task_type, item_fields=self.item_fields, data=raw.data)
        content_hash = data_content_hash(data)
        external_id = _external_id_clean(raw.external_id)
        return CleanRow(
            line=line,
            external_id=external_id or content_hash,
            id_from_content=not external_id,
            data=data,
            content_hash=content_hash,
            gold=self._gold_clean(raw.gold, data),
            gold_explanation=_explanation_clean(raw.gold_explanation),
        )

    def _gold_clean(self, value, data: dict):
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            # Span offsets count characters of the cleaned (whitespace-normalised) text.
            return schemas.answer_clean(
                task_type=self.task_type, label_names=self.label_names, value=value, text=data.get("text", ""),
                fold_case=True,
            )
        except SchemaError as error:
            raise SchemaError(f"The gold answer: {error}") from None


def _external_id_clean(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise SchemaError(f"The external id must be text or a whole number, not {type(value).__name__}.")
    external_id = str(value).strip()
    schemas.storable_text_check(external_id, "The external id")
    if len(external_id) > MAX_EXTERNAL_ID_CHARS:
        raise SchemaError(f"The external id is longer than {MAX_EXTERNAL_ID_CHARS} characters.")
    return external_id


def _explanation_clean(value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise SchemaError(f"The gold explanation must be text, not {type(value).__name__}.")
    text = schemas.normalise_text(value)
    schemas.storable_text_check(text, "The gold explanation")
    if len(text) > schemas.MAX_FIELD_CHARS:
        raise SchemaError(f"The gold explanation is longer than {schemas.MAX_FIELD_CHARS} characters.")
    return text
