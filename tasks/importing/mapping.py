"""From a record (CSV cells or a JSON object) to a raw row: external id, item data, gold, explanation.

A mapping says which column feeds what: {"external_id": col, "fields": {item field: col}, "gold": col,
"gold_explanation": col}; pairwise item fields are dotted ("left.title"). Without a mapping (or without its
"fields") columns map by name: id or external_id, gold, gold_explanation, and every other column is a field.
The values are not checked here; schemas does that (see rows.py).
"""

import json
from dataclasses import dataclass

from .. import schemas
from ..schemas import SchemaError
from .report import ImportRejected, RowError

MAPPING_KEYS = ("external_id", "fields", "gold", "gold_explanation")
ID_COLUMNS = ("external_id", "id")
PAIRWISE_SIDES = ("left", "right")


@dataclass(frozen=True, slots=True)
class Mapping:
    external_id: str | None = None
    fields: dict[str, str] | None = None  # None: every column not used otherwise is a field, by its name
    gold: str | None = None
    gold_explanation: str | None = None

    def used_columns(self) -> set[str]:
        return {column for column in (self.external_id, self.gold, self.gold_explanation) if column}


@dataclass(slots=True)
class RawRow:
    external_id: object
    data: dict
    gold: object
    gold_explanation: object


def _mapping_error(reason: str) -> ImportRejected:
    return ImportRejected([RowError(None, f"The mapping {reason}")])


def mapping_clean(mapping, *, task_type: str) -> Mapping:
    """Check the mapping's own shape (its columns are checked against the header by CsvPlan)."""
    if mapping in (None, "", {}):
        return Mapping()
    if not isinstance(mapping, dict):
        raise _mapping_error("must be an object like {\"external_id\": \"id\", \"fields\": {\"title\": \"Title\"}}.")
    unknown = sorted(set(mapping) - set(MAPPING_KEYS))
    if unknown:
        raise _mapping_error(f"has unknown keys {unknown}; it may have {', '.join(MAPPING_KEYS)}.")
    for key in ("external_id", "gold", "gold_explanation"):
        if mapping.get(key) is not None and (not isinstance(mapping[key], str) or not mapping[key].strip()):
            raise _mapping_error(f"'{key}' must name a column.")
    fields = mapping.get("fields")
    if fields is not None:
        _fields_check(fields, task_type)
    return Mapping(**{key: mapping.get(key) or None for key in MAPPING_KEYS})


def _fields_check(fields, task_type: str):
    if not isinstance(fields, dict) or not fields:
        raise _mapping_error("'fields' must be an object of item field -> column, e.g. {\"title\": \"Title\"}.")
    for name, column in fields.items():
        if not isinstance(column, str) or not column.strip():
            raise _mapping_error(f"field {name!r} must name a column.")
        if task_type == "pairwise" and (name.partition(".")[0] not in PAIRWISE_SIDES or not name.partition(".")[2]):
            raise _mapping_error(f"field {name!r} must be 'left.<field>' or 'right.<field>' in a pairwise project.")


def field_path(name: str, task_type: str) -> tuple[str, ...]:
    """Where a field goes in the item's data: pairwise fields are dotted into the left and right records."""
    side, dot, rest = name.partition(".")
    if task_type == "pairwise" and dot and side in PAIRWISE_SIDES and rest:
        return (side, rest)
    return (name,)


def required_paths(task_type: str, item_fields: list[str]) -> list[tuple[str, ...]]:
    """Where in an item's data the project needs a value: ("title",), or ("left", "title") for pairwise."""
    if task_type == "pairwise":
        return [(side, name) for side in PAIRWISE_SIDES for name in item_fields] or [(s,) for s in PAIRWISE_SIDES]
    return [(name,) for name in schemas.required_fields(task_type, item_fields)]


def no_fields_hint(task_type: str, item_fields: list[str]) -> str:
    """The no-item-fields hint, spaced to follow a sentence."""
    hint = schemas.no_item_fields_hint(task_type, item_fields)
    return f" {hint}" if hint else ""


def missing_paths(required: list[tuple[str, ...]], given) -> list[str]:
    """The required paths (dotted) that nothing given reaches; a side alone is reached by any of its fields."""
    given = set(given)
    prefixes = {path[:1] for path in given}
    return [".".join(path) for path in required if path not in given and not (len(path) == 1 and path in prefixes)]


def _put(data: dict, path: tuple[str, ...], value):
    if len(path) == 1:
        data[path[0]] = value
        return
    record = data.get(path[0], {})
    if not isinstance(record, dict):
        raise SchemaError(f"The field {path[0]!r} is given both as a record and as a value.")
    data[path[0]] = {**record, path[1]: value}  # a copy: a record may be the caller's own object


def gold_from_cell(cell: str, task_type: str):
    """A CSV cell holds text: span gold is JSON, multi-label gold is "a|b" or a JSON list; blank = no gold."""
    if not cell.strip():
        return None
    if task_type == "span" or (task_type == "multi_label" and cell.lstrip().startswith("[")):
        try:
            return json.loads(cell)
        except json.JSONDecodeError as error:
            raise SchemaError(f"The gold answer is not valid JSON: {error.msg} (column {error.colno}).") from None
    return cell


class CsvPlan:
    """Column positions, resolved once from the header; `extract` turns one record's cells into a RawRow."""

    def __init__(self, header: list[str], mapping: Mapping, task_type: str, *, item_fields: list[str],
                 described: str = ""):
        self.task_type = task_type
        self.width = len(header)
        self.described = described  # how the file was read (delimiter, encoding): the likeliest cause of a miss
        self.columns = self._index(header)
        id_column = mapping.external_id or next((c for c in self.columns if c.casefold() in ID_COLUMNS), None)
        self.id_index = self._resolve(id_column)
        self.gold_index = self._resolve(mapping.gold or self._by_name("gold"))
        self.explanation_index = self._resolve(mapping.gold_explanation or self._by_name("gold_explanation"))
        self.fields = self._fields(mapping, {id_column, mapping.gold, mapping.gold_explanation})
        self._required_check(task_type, item_fields, mapped=mapping.fields is not None)

    def _found(self) -> str:
        found = ", ".join(column for column in self.columns if column) or "none"
        return f"columns found: {found}" + (f"; {self.described}" if self.described else "")

    def _required_check(self, task_type: str, item_fields: list[str], *, mapped: bool):
        """A field every item needs but no column feeds is one problem of the file, reported once here,
        not once for each of its rows."""
        missing = missing_paths(required_paths(task_type, item_fields), [path for path, _ in self.fields])
        if not missing:
            return
        names = ", ".join(repr(name) for name in missing)
        if mapped:
            problem = f"The mapping gives no column for the item field{'s' if len(missing) > 1 else ''} {names}"
        else:
            problem = f"Column{'s' if len(missing) > 1 else ''} {names} not found"
        raise ImportRejected([RowError(None, f"{problem}; {self._found()}.{no_fields_hint(task_type, item_fields)}")])

    @staticmethod
    def _index(header: list[str]) -> dict[str, int]:
        columns = {}
        for position, name in enumerate(header):
            name = name.strip()
            if name in columns and name:
                raise ImportRejected([RowError(1, f"the header names the column {name!r} twice.")])
            columns[name] = position
        return columns

    def _by_name(self, name: str) -> str | None:
        return next((column for column in self.columns if column.casefold() == name), None)

    def _resolve(self, column: str | None) -> int | None:
        if column is None:
            return None
        if column.strip() not in self.columns:
            raise _mapping_error(f"names the column {column!r}, which is not in the header; {self._found()}.")
        return self.columns[column.strip()]

    def _fields(self, mapping: Mapping, used: set) -> list[tuple[tuple[str, ...], int]]:
        if mapping.fields is not None:
            return [(field_path(name, self.task_type), self._resolve(col)) for name, col in mapping.fields.items()]
        used = {column.strip() for column in used if column}
        used |= {column for column in self.columns if column.casefold() in ("gold", "gold_explanation", *ID_COLUMNS)}
        fields = [(field_path(name, self.task_type), i) for name, i in self.columns.items() if name not in used]
        if any(not path[0] for path, _ in fields):
            raise ImportRejected([RowError(1, "a column of the header has no name; name it or give a mapping.")])
        return fields

    def extract(self, cells: list[str]) -> RawRow:
        if len(cells) != self.width:
            raise SchemaError(f"has {len(cells)} values; the header has {self.width} columns.")
        data: dict = {}
        for path, index in self.fields:
            _put(data, path, cells[index])
        return RawRow(
            external_id=None if self.id_index is None else cells[self.id_index],
            data=data,
            gold=None if self.gold_index is None else gold_from_cell(cells[self.gold_index], self.task_type),
            gold_explanation=None if self.explanation_index is None else cells[self.explanation_index],
        )


class ObjectPlan:
    """For JSON objects (JSONL lines, JSON array elements, API rows): a mapped column is a key, or a dotted path
    into nested objects; without a mapping nested {"left": {...}, "right": {...}} records map as they are."""

    def __init__(self, mapping: Mapping, task_type: str):
        self.task_type = task_type
        self.id_key = mapping.external_id
        self.gold_key = mapping.gold or "gold"
        self.explanation_key = mapping.gold_explanation or "gold_explanation"
        self.fields = None if mapping.fields is None else [
            (field_path(name, task_type), column) for name, column in mapping.fields.items()
        ]

    def extract(self, record) -> RawRow:
        if not isinstance(record, dict):
            raise SchemaError(f"must be a JSON object of fields, not {_json_type(record)}.")
        id_key = self.id_key or next((key for key in ID_COLUMNS if key in record), None)
        gold = _lookup(record, self.gold_key, default=None)
        if isinstance(gold, str) and self.task_type in ("span", "multi_label"):
            gold = gold_from_cell(gold, self.task_type)
        return RawRow(
            external_id=None if id_key is None else _lookup(record, id_key, default=None),
            data=self._data(record, id_key),
            gold=gold,
            gold_explanation=_lookup(record, self.explanation_key, default=None),
        )

    def _data(self, record: dict, id_key: str | None) -> dict:
        data: dict = {}
        if self.fields is not None:
            for path, column in self.fields:
                value = _lookup(record, column)
                if value is not _MISSING:
                    _put(data, path, value)
            return data
        used = {id_key, self.gold_key, self.explanation_key, *ID_COLUMNS}
        for key, value in record.items():
            if key not in used:
                _put(data, field_path(key, self.task_type), value)
        return data


_MISSING = object()


def _lookup(record: dict, column: str, default=_MISSING):
    if column in record:
        return record[column]
    value = record
    for part in column.split("."):
        if not isinstance(value, dict) or part not in value:
            return default
        value = value[part]
    return value


def _json_type(value) -> str:
    return {list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(type(value), "a number")
