"""items_import: validate a whole file, then store it, in two streaming passes.

Pass 1 reads every row through the mapping and the project's schema and writes nothing; any bad row rejects
the file (ImportRejected lists them). Pass 2 reads the file again and upserts batches inside one transaction:
an external id already in the project is updated (data and gold; its state and slots are left alone), a new
item starts with the project's overlap as its open slots, and a row whose cleaned data equals another item of
the project is skipped and reported. Duplicates are found with the database (the earlier batches of this file
are already in it), so memory stays flat however long the file; pass 1 keeps only an 8-byte digest of each
external id it has seen, to refuse one used twice (_ExternalIds)."""

import hashlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import PurePath

import numpy as np
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..models import Item, Project
from ..schemas import SchemaError
from . import readers
from .mapping import CsvPlan, Mapping, ObjectPlan, mapping_clean, missing_paths, no_fields_hint, required_paths
from .report import Duplicate, ErrorList, ImportRejected, ImportReport, RowError, all_gold_note
from .rows import CleanRow, RowCleaner
from .sniffing import DELIMITER_NAMES, DELIMITERS, ENCODINGS, CsvDialect, csv_dialect_guess

IMPORT_FORMATS = ("csv", "jsonl", "json")
EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
BATCH_SIZE = 2_000
PREVIEW_ROWS = 5
MAX_LISTED_COLUMNS = 100
# An update replaces what the file says about an item, never where the item is in its lifecycle
# (state, open_slots, submitted_count).
UPDATE_FIELDS = ["data", "content_hash", "is_gold", "gold", "gold_explanation", "updated_at"]


# progress(phase, rows_done, rows_total): "validating" (rows_total None: not known yet), then "importing".
Progress = Callable[[str, int, int | None], None]


def items_import(*, project: Project, source, file_format: str | None = None, mapping: dict | None = None,
                 filename: str = "", delimiter: str | None = None, encoding: str | None = None,
                 progress: Progress | None = None) -> ImportReport:
    """Import items into `project` from `source`: a seekable binary file (CSV, JSONL or JSON array) or a list
    of row objects. A CSV file's delimiter and encoding are guessed unless given. Raises ImportRejected, having
    stored nothing, when any row is bad. `progress` is called every BATCH_SIZE rows of each pass."""
    rows = _RowSource.open(project=project, source=source, file_format=file_format, mapping=mapping,
                           filename=filename, delimiter=delimiter, encoding=encoding)
    counts, rejected = _check(rows, _counted(rows.read(), progress, "validating", None))
    if rejected:
        raise rejected
    report = _store(project, _counted(rows.read(), progress, "importing", counts.total), rows.unit)
    report.total_rows, report.gold_rows, report.dialect = counts.total, counts.gold, rows.dialect
    return report


@dataclass
class ImportPreview:
    """What an import would do, found by its first pass alone (nothing is stored): how the file was read, the
    first rows as they would be stored (or why not), and the problems that would stop it."""

    file_format: str = ""
    dialect: CsvDialect | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[CleanRow | RowError] = field(default_factory=list)
    total_rows: int = 0
    gold_rows: int = 0
    problems: ImportRejected | None = None

    @property
    def all_gold_note(self) -> str:
        return all_gold_note(self.total_rows, self.gold_rows)


def items_import_preview(*, project: Project, source, file_format: str | None = None, mapping: dict | None = None,
                         filename: str = "", delimiter: str | None = None, encoding: str | None = None,
                         sample_rows: int = PREVIEW_ROWS) -> ImportPreview:
    """items_import's first pass, reporting instead of raising: the same checks, so a clean preview means the
    import will pass them too (unless the file or the project changes in between)."""
    preview = ImportPreview()
    try:
        rows = _RowSource.open(project=project, source=source, file_format=file_format, mapping=mapping,
                               filename=filename, delimiter=delimiter, encoding=encoding)
        preview.file_format, preview.dialect = rows.file_format, rows.dialect
        counts, preview.problems = _check(rows, _sampled(rows.read(), preview.rows, sample_rows))
        preview.total_rows, preview.gold_rows = counts.total, counts.gold
    except ImportRejected as rejected:
        preview.problems = rejected
    if preview.file_format:
        preview.columns = rows.columns
    return preview


def _counted(rows: Iterator, progress: Progress | None, phase: str, total: int | None) -> Iterator:
    if progress is None:
        yield from rows
        return
    progress(phase, 0, total)
    done = 0
    for done, row in enumerate(rows, 1):
        yield row
        if done % BATCH_SIZE == 0:
            progress(phase, done, total)
    progress(phase, done, total)


def _sampled(rows: Iterator, sample: list, size: int) -> Iterator:
    for row in rows:
        if len(sample) < size:
            sample.append(row)
        yield row


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
    dialect: CsvDialect | None = None  # how a CSV file is read
    cleaner: RowCleaner = field(init=False)
    unit: str = field(init=False)  # how rows are numbered: "line" of a text file, "item" of an array
    columns: list[str] = field(init=False, default_factory=list)  # the CSV header, or the keys records use
    filled: set = field(init=False, default_factory=set)  # paths of the data some record gave a value

    @classmethod
    def open(cls, *, project, source, file_format, mapping, filename, delimiter, encoding) -> "_RowSource":
        file_format = _format_resolve(source, file_format, filename)
        dialect = _dialect_resolve(source, delimiter, encoding) if file_format == "csv" else None
        return cls(project=project, source=source, file_format=file_format, dialect=dialect,
                   mapping=mapping_clean(mapping, task_type=project.task_type))

    def __post_init__(self):
        self.cleaner = RowCleaner(self.project)
        self.unit = "item" if self.file_format in ("json", "rows") else "line"

    def read(self) -> Iterator[CleanRow | RowError]:
        records, plan = self._records()
        clean, extract, unit = self.cleaner.clean, plan.extract, self.unit
        note = self._note if self.file_format != "csv" else None
        for position, record in records:
            if isinstance(record, RowError):
                yield record
                continue
            try:
                raw = extract(record)
                if note:
                    note(record, raw.data)
                yield clean(raw, position)
            except SchemaError as error:
                yield RowError(position, str(error), unit)

    def _note(self, record: dict, data: dict):
        """Keep what an object record holds, so a field that no record has is reported once (missing_problem)."""
        if len(self.columns) < MAX_LISTED_COLUMNS:
            self.columns.extend(key for key in record if key not in self.columns)
        for key, value in data.items():
            if isinstance(value, dict):
                self.filled.update((key, name) for name, inner in value.items() if inner not in (None, ""))
            elif value not in (None, ""):
                self.filled.add((key,))

    def missing_problem(self) -> RowError | None:
        """For JSON records (a CSV header is checked up front, by CsvPlan): the fields no record gave."""
        if self.file_format == "csv":
            return None
        missing = missing_paths(required_paths(self.project.task_type, list(self.project.item_fields or [])),
                                self.filled)
        if not missing:
            return None
        names = ", ".join(repr(name) for name in missing)
        found = ", ".join(self.columns) or "none"
        hint = no_fields_hint(self.project.task_type, list(self.project.item_fields or []))
        return RowError(None, f"No item has a value for {names}; keys found: {found}.{hint}")

    def _records(self):
        task_type = self.project.task_type
        if self.file_format == "rows":
            return readers.rows_records(self.source), ObjectPlan(self.mapping, task_type)
        self.source.seek(0)
        if self.file_format == "csv":
            header, records = readers.csv_records(self.source, self.dialect)
            self.columns = [column.strip() for column in header]
            plan = CsvPlan(header, self.mapping, task_type, item_fields=list(self.project.item_fields or []),
                           described=self.dialect.describe())
            return records, plan
        if self.file_format == "jsonl":
            return readers.jsonl_records(self.source), ObjectPlan(self.mapping, task_type)
        return readers.json_records(self.source), ObjectPlan(self.mapping, task_type)


def _dialect_resolve(source, delimiter: str | None, encoding: str | None) -> CsvDialect:
    if delimiter and delimiter not in DELIMITERS:
        raise ImportRejected([RowError(None, f"Unknown delimiter {delimiter!r}: use one of "
                                             f"{', '.join(DELIMITER_NAMES.values())}.")])
    if encoding and encoding not in ENCODINGS:
        raise ImportRejected([RowError(None, f"Unknown encoding {encoding!r}: use {', '.join(ENCODINGS)}.")])
    sample, truncated = readers.csv_sample(source)
    return csv_dialect_guess(sample, truncated=truncated, delimiter=delimiter or None, encoding=encoding or None)


@dataclass(frozen=True, slots=True)
class _RowCounts:
    total: int = 0
    gold: int = 0  # rows with a gold answer: checks mixed into the work, not work themselves


def _check(rows: _RowSource, stream: Iterator[CleanRow | RowError]) -> tuple[_RowCounts, ImportRejected | None]:
    """Pass 1: read every row and write nothing. Returns the counts and what stops the import, if anything."""
    try:
        counts, errors, external_ids = _scan(stream, rows.unit)
    except ImportRejected as rejected:  # the header, the mapping or the file as a whole
        return _RowCounts(), rejected
    if repeated := external_ids.repeated():  # rare: the file is read once more to name the rows
        for error in _repeated_id_errors(rows.read(), repeated, rows.unit):
            errors.add(error)
        errors.listed.sort(key=lambda error: error.line or 0)  # in the file's order, as pass 1 found the others
    # A field no record has is one problem, not one per row; when no record could be read at all (not JSON,
    # nested too deep) the rows' own errors say why.
    if errors and rows.columns and (missing := rows.missing_problem()):
        return counts, ImportRejected([missing])
    if errors:
        return counts, errors.rejected()
    if counts.total == 0:
        return counts, ImportRejected([RowError(None, "The file has no items.")])
    return counts, None


def _scan(rows: Iterator[CleanRow | RowError], unit: str) -> tuple[_RowCounts, ErrorList, "_ExternalIds"]:
    errors, external_ids, total, gold = ErrorList(), _ExternalIds(), 0, 0
    for row in rows:
        total += 1
        if isinstance(row, RowError):
            errors.add(row)
            continue
        gold += row.gold is not None
        if not row.id_from_content:
            external_ids.add(row.external_id)
    return _RowCounts(total, gold), errors, external_ids


class _ExternalIds:
    """The explicit external ids pass 1 has seen, as 64-bit digests in one array: 8 bytes a row, where a set of
    the strings took ~130 (200 MB for a 1.5M-row file). Digests seen twice are found at the end by sorting."""

    def __init__(self):
        self.digests = array("q")

    def add(self, external_id: str):
        self.digests.append(_id_digest(external_id))

    def repeated(self) -> set[int]:
        ordered = np.sort(np.frombuffer(self.digests, dtype=np.int64))
        return set(ordered[1:][ordered[1:] == ordered[:-1]].tolist())


def _id_digest(external_id: str) -> int:
    digest = hashlib.blake2b(external_id.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _repeated_id_errors(rows: Iterator[CleanRow | RowError], repeated: set[int], unit: str) -> Iterator[RowError]:
    """The rows whose external id an earlier row has: the ids compared as strings (two ids may share a digest),
    and only those with a repeated digest kept."""
    seen = set()
    for row in rows:
        if isinstance(row, RowError) or row.id_from_content or _id_digest(row.external_id) not in repeated:
            continue
        if row.external_id in seen:
            yield RowError(row.line, f"the external id {row.external_id!r} is used by an earlier row too.", unit)
        seen.add(row.external_id)


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
