"""What an import answers: the report of a stored import, or the rows that stopped it."""

from dataclasses import dataclass, field

# The most bad rows an answer lists; the rest are counted.
MAX_LISTED_ERRORS = 1_000


@dataclass(frozen=True, slots=True)
class RowError:
    """Why one row (or, with no line, the whole file or the mapping) cannot be imported.
    `line` is the physical line where a CSV record starts (the header is line 1), the line of a JSONL file,
    or the 1-based position of an element of a JSON array ("item N")."""

    line: int | None
    reason: str
    unit: str = "line"

    def __str__(self):
        return self.reason if self.line is None else f"{self.unit.capitalize()} {self.line}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A row whose cleaned data equals an item already in the project or an earlier row of the file."""

    line: int
    external_id: str
    duplicate_of: str
    unit: str = "line"

    def __str__(self):
        where = f"{self.unit.capitalize()} {self.line}"
        return f"{where}: {self.external_id!r} is an exact duplicate of {self.duplicate_of!r}; skipped."


class ImportRejected(Exception):
    """The file (or the mapping) has bad rows: nothing was stored. `errors` lists at most MAX_LISTED_ERRORS;
    `more` counts the ones left out."""

    def __init__(self, errors, more: int = 0):
        self.errors = list(errors)
        self.more = more
        super().__init__(self.message())

    @property
    def file_problems(self) -> list[RowError]:
        """Problems of the file as a whole (the header, the mapping, a field no row has): no line."""
        return [error for error in self.errors if error.line is None]

    @property
    def row_problems(self) -> list[RowError]:
        return [error for error in self.errors if error.line is not None]

    def message(self) -> str:
        count = len(self.errors) + self.more
        lines = [f"Nothing was imported: {count} problem{'s' if count != 1 else ''}."]
        lines += [f"  {error}" for error in self.errors]
        if self.more:
            lines.append(f"  ... and {self.more} more not listed.")
        return "\n".join(lines)


class ErrorList:
    """Bad rows as pass 1 finds them: the first MAX_LISTED_ERRORS kept, the rest counted."""

    def __init__(self):
        self.listed: list[RowError] = []
        self.more = 0

    def __bool__(self):
        return bool(self.listed)

    def add(self, error: RowError):
        if len(self.listed) < MAX_LISTED_ERRORS:
            self.listed.append(error)
        else:
            self.more += 1

    def rejected(self) -> ImportRejected:
        return ImportRejected(self.listed, more=self.more)


def all_gold_note(total_rows: int, gold_rows: int) -> str:
    """A warning when every row carries a gold answer: gold items are checks mixed into the work, never handed
    out as work, so such a file alone gives annotators nothing to label (and the project cannot be published)."""
    if total_rows == 0 or gold_rows < total_rows:
        return ""
    return (f"All {total_rows:,} row(s) have a gold answer: they are checks, not work. Leave the gold column empty "
            "for the items to label.")


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    duplicates: list[Duplicate] = field(default_factory=list)
    total_rows: int = 0
    gold_rows: int = 0
    dialect: object = None  # sniffing.CsvDialect of a CSV file

    def summary(self) -> str:
        text = (
            f"{self.total_rows:,} row{'s' if self.total_rows != 1 else ''} read: {self.created:,} item(s) created, "
            f"{self.updated:,} updated, {len(self.duplicates):,} exact duplicate(s) skipped."
        )
        if self.dialect is not None:
            text += f" CSV read with {self.dialect.describe()}."
        if self.duplicates:
            text += f" First duplicate: {self.duplicates[0]}"
        if note := all_gold_note(self.total_rows, self.gold_rows):
            text += f" {note}"
        return text
