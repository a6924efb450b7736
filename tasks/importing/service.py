"""items_import: validate a whole file, then store it, in two streaming passes.

Pass 1 reads every row through the mapping and the project's schema and writes nothing; any bad row rejects
the file (ImportRejected lists them). Pass 2 reads the file again and upserts batches inside one transaction:
an external id already in the project is updated (data and gold; its state and slots are left alone), a new
item starts with the project's overlap as its open slots, and a row whose cleaned data equals another item of
the project is skipped and reported. Duplicates are found with the database (the earlier batches of this file
are already in it), so memory stays flat however long the file; pass 1 keeps only the set of external ids it
has seen, to refuse one used twice."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import PurePath

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Item, Project
from ..schemas import SchemaError
from . import readers
from .mapping import CsvPlan, Mapping, ObjectPlan, mapping_clean
from .report import Duplicate, ErrorList, ImportRejected, ImportReport, RowError
from .rows import CleanRow, RowCleaner

IMPORT_FORMATS = ("csv", "jsonl", "json")
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
BATCH_SIZE = 2_000
# An update replaces what the file says about an item, never where the item is in its lifecycle
# (state, open_slots, submitted_count).
UPDATE_FIELDS = ["data", "content_hash", "is_gold", "gold", "gold_explanation", "updated_at"]


def items_import(*, project: Project, source, file_format: str | None = None, mapping: dict | None = None,
                 filename: str = "") -> ImportReport:
    """Import items into `project` from `source`: a seekable binary file (CSV, JSONL or JSON array) or a list
    of row objects. Raises ImportRejected, having stored nothing, when any row is bad."""
    file_format = _format_resolve(source, file_format, filename)
    rows = _RowSource(project=project, source=source, file_format=file_format,
                      mapping=mapping_clean(mapping, task_type=project.task_type))
    total_rows = _validate(rows.read(), rows.unit)
    report = _store(project, rows.read(), rows.unit)
    report.total_rows = total_rows
    return report


def _format_resolve(source, file_format: str | None, filename: str) -> str:
    if isinstance(source, list):
        return "rows"
    if file_format:
        if file_format not in IMPORT_FORMATS:
            raise ImportRejected([RowError(None, f"Unknown format {file_format!r}: use {', '.join(IMPORT_FORMATS)}.")])
        return file_format
    filename = filename or getattr(source, "name", "") or ""
    inferred = EXTENSIONS.get(PurePath(str(filename)).suffix.lower())
    if inferred is None:
        raise ImportRejected([RowError(None, f"Cannot tell the format of {str(filename)!r}: name it .csv, .jsonl "
                                             "or .json, or choose the format.")])
    return inferred


@dataclass
class _RowSource:
    """The source as a stream of cleaned rows or row errors; `read` starts again from the beginning."""

    project: Project
    source: object
    file_format: str
    mapping: Mapping
    cleaner: RowCleaner = field(init=False)
    unit: str = field(init=False)  # how rows are numbered: "line" of a text file, "item" of an array

    def __post_init__(self):
        self.cleaner = RowCleaner(self.project)
        self.unit = "item" if self.file_format in ("json", "rows") else "line"

    def read(self) -> Iterator[CleanRow | RowError]:
        records, plan = self._records()
        clean, extract, unit = self.cleaner.clean, plan.extract, self.unit
        for position, record in records:
            if isinstance(record, RowError):
                yield record
                continue
            try:
                yield clean(extract(record), position)
            except SchemaError as error:
                yield RowError(position, str(error), unit)

    def _records(self):
        task_type = self.project.task_type
        if self.file_format == "rows":
            return readers.rows_records(self.source), ObjectPlan(self.mapping, task_type)
        self.source.seek(0)
        if self.file_format == "csv":
            header, records = readers.csv_records(self.source)
            return records, CsvPlan(header, self.mapping, task_type)
        if self.file_format == "jsonl":
            return readers.jsonl_records(self.source), ObjectPlan(self.mapping, task_type)
        return readers.json_records(self.source), ObjectPlan(self.mapping, task_type)


def _validate(rows: Iterator[CleanRow | RowError], unit: str) -> int:
    """Pass 1: read every row and write nothing; raise ImportRejected listing the bad rows. Returns the count."""
    errors, explicit_ids, total = ErrorList(), set(), 0
    for row in rows:
        total += 1
        if isinstance(row, RowError):
            errors.add(row)
        elif not row.id_from_content:
            if row.external_id in explicit_ids:
                errors.add(RowError(row.line, f"the external id {row.external_id!r} is used by an earlier row too.",
                                    unit))
            explicit_ids.add(row.external_id)
    if errors:
        raise errors.rejected()
    if total == 0:
        raise ImportRejected([RowError(None, "The file has no items.")])
    return total


def _store(project: Project, rows: Iterator[CleanRow | RowError], unit: str) -> ImportReport:
    """Pass 2: upsert in batches, all in one transaction."""
    with transaction.atomic():
        writer = _BatchWriter(project=project, overlap=_project_lock(project), started=timezone.now(), unit=unit)
        while batch := list(islice(rows, BATCH_SIZE)):
            problems = [row for row in batch if isinstance(row, RowError)]
            if problems:  # the file changed since pass 1: roll everything back
                raise ImportRejected(problems)
            writer.write(batch)
    return writer.report


def _project_lock(project: Project) -> int:
    """Lock the project row until the import commits, so two imports cannot both add the same content and the
    schema pass 1 checked against cannot change under pass 2; returns the project's overlap. FOR NO KEY UPDATE:
    annotators' claims (which only reference the project) are not held up."""
    locked = Project.objects.select_for_update(no_key=True).get(pk=project.pk)
    schema = ("task_type", "label_schema", "item_fields")
    if any(getattr(locked, name) != getattr(project, name) for name in schema):
        raise ImportRejected([RowError(None, "The project's task type, labels or item fields changed during the "
                                             "import: nothing was stored; import the file again.")])
    return locked.overlap


@dataclass
class _Existing:
    """What the project already holds that bears on one batch: the external ids it has, and the external ids
    of items with each content hash, marked when this import wrote them (updated_at after it started)."""

    ids: set[str]
    by_hash: dict[str, list[tuple[str, bool]]]

    @classmethod
    def find(cls, project: Project, batch: list[CleanRow], started) -> "_Existing":
        ids, hashes = {row.external_id for row in batch}, {row.content_hash for row in batch}
        found = Item.objects.filter(project=project).filter(Q(external_id__in=ids) | Q(content_hash__in=hashes))
        existing = cls(ids=set(), by_hash={})
        for external_id, content_hash, updated_at in found.values_list("external_id", "content_hash", "updated_at"):
            if external_id in ids:
                existing.ids.add(external_id)
            existing.by_hash.setdefault(content_hash, []).append((external_id, updated_at >= started))
        return existing

    def duplicate_of(self, row: CleanRow, batch_hashes: dict[str, str]) -> str | None:
        """The external id of the item `row` duplicates, or None. Its own item (same external id) holding the
        same data is no duplicate: the row updates it; unless the row has no external id of its own and this
        import already wrote that item, from an earlier row with the same content."""
        holders = self.by_hash.get(row.content_hash, ())
        for external_id, written_now in holders:
            if external_id == row.external_id and not (row.id_from_content and written_now):
                return None
        for external_id, _ in holders:
            # An item this batch rewrites with other data no longer holds this content.
            if batch_hashes.get(external_id, row.content_hash) == row.content_hash:
                return external_id
        return None


@dataclass
class _BatchWriter:
    project: Project
    overlap: int  # a new item's open slots
    started: object  # when pass 2 began: items updated since were written by this import
    unit: str
    report: ImportReport = field(default_factory=ImportReport)

    def write(self, batch: list[CleanRow]):
        existing = _Existing.find(self.project, batch, self.started)
        accepted = self._skip_duplicates(batch, existing)
        Item.objects.bulk_create(
            [self._item(row) for row in accepted],
            update_conflicts=True, unique_fields=["project", "external_id"], update_fields=UPDATE_FIELDS,
        )
        updated = sum(1 for row in accepted if row.external_id in existing.ids)
        self.report.updated += updated
        self.report.created += len(accepted) - updated

    def _skip_duplicates(self, batch: list[CleanRow], existing: _Existing) -> list[CleanRow]:
        batch_hashes = {row.external_id: row.content_hash for row in batch}
        first_with_hash: dict[str, str] = {}
        accepted = []
        for row in batch:
            original = first_with_hash.get(row.content_hash) or existing.duplicate_of(row, batch_hashes)
            if original is not None:
                self.report.duplicates.append(Duplicate(row.line, row.external_id, original, self.unit))
                continue
            first_with_hash[row.content_hash] = row.external_id
            accepted.append(row)
        return accepted

    def _item(self, row: CleanRow) -> Item:
        return Item(
            project_id=self.project.pk, external_id=row.external_id, data=row.data, content_hash=row.content_hash,
            is_gold=row.gold is not None, gold=row.gold, gold_explanation=row.gold_explanation,
            open_slots=self.overlap,
        )
