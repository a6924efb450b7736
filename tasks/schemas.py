"""The shapes the server accepts, per task type: label schemas, item data and answers.

Pure functions on plain values (no database): the importer, the API, the admin and annotation submission
all validate through here, so one rule has one place. Each raises SchemaError with a message a person can
act on; the cleaned value comes back in canonical form (answers: a label name, a sorted list of names, or a
sorted list of spans).
"""

import re
import unicodedata

from core.textcheck import text_problem

MAX_LABELS = 200
MAX_LABEL_NAME = 100
MAX_FIELD_CHARS = 10_000
MAX_URL_CHARS = 2_000
COLOR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
# A palette for labels that come without a colour (Tableau 10: distinguishable, readable on white).
PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
# One-character keys the labelling page keeps for itself (annotations/static/annotations/workspace.js), with what
# each does there. Enter, Esc, Backspace and the arrows are not one character, and Ctrl+Z is never a bare key, so
# a label's shortcut cannot take them; the label editor shows this list to the person choosing the keys.
RESERVED_SHORTCUTS = {
    "?": "opens the instructions",
    " ": "presses the focused button",
    "\n": "submits the answer",
    "\t": "moves between buttons",
}
MAX_ITEM_FIELDS = 50

SINGLE_ANSWER_TYPES = {"single_label", "pairwise", "image", "audio"}
CLASSIFICATION_TYPES = SINGLE_ANSWER_TYPES | {"multi_label"}


class SchemaError(ValueError):
    """One or more problems, each a sentence; str() joins them, `problems` keeps them apart for a form."""

    def __init__(self, *problems: str):
        super().__init__(" ".join(problems))
        self.problems = list(problems)


def storable_text_check(value: str, what: str) -> None:
    """Refuse text no column can hold (a NUL character, a lone surrogate), naming where it was."""
    problem = text_problem(value)
    if problem:
        raise SchemaError(f"{what} {problem}.")


def normalise_text(value: str) -> str:
    """Unicode NFC, whitespace runs collapsed to one space, trimmed: how every text field is stored."""
    return " ".join(unicodedata.normalize("NFC", value).split())


# --- Label schemas --------------------------------------------------------------------------------

def label_schema_clean(schema) -> dict:
    """Validate a label schema and fill in colours; returns the cleaned schema.
    Every problem is reported at once, each naming its label by position and name, so a person fixes all in one go."""
    if schema in (None, ""):
        schema = {}
    if not isinstance(schema, dict):
        raise SchemaError("The label schema must be an object with a 'labels' list.")
    labels = schema.get("labels", [])
    if not isinstance(labels, list):
        raise SchemaError("'labels' must be a list.")
    if len(labels) > MAX_LABELS:
        raise SchemaError(f"A project may have at most {MAX_LABELS} labels.")
    cleaned, problems = [], []
    # casefolded name / shortcut / colour given -> the label that took it first
    first_with_name, first_with_shortcut, first_with_color = {}, {}, {}
    for position, label in enumerate(labels, start=1):
        label, label_problems = _label_clean(label, position)
        problems += label_problems
        if label is None:
            continue
        where = _label_where(position, label["name"])
        taken = first_with_name.setdefault(label["name"].casefold(), (position, label["name"]))
        if taken[0] != position:
            problems.append(f"{where}: the name is used twice (also by {_label_where(*taken, start='label')}).")
        shortcut = label.get("shortcut")
        if shortcut:
            taken = first_with_shortcut.setdefault(shortcut, (position, label["name"]))
            if taken[0] != position:
                problems.append(f"{where}: the shortcut {shortcut!r} is used twice "
                                f"(also by {_label_where(*taken, start='label')}).")
        color = label.get("color")
        if color:  # only colours a person chose: past ten labels the default palette has to repeat itself
            taken = first_with_color.setdefault(color, (position, label["name"]))
            if taken[0] != position:
                problems.append(f"{where}: the colour {color} is used twice (also by "
                                f"{_label_where(*taken, start='label')}); annotators could not tell them apart.")
        label.setdefault("color", PALETTE[(position - 1) % len(PALETTE)])
        cleaned.append(label)
    if problems:
        raise SchemaError(*problems)
    return {**schema, "labels": cleaned}


def _label_where(position: int, name: str = "", start: str = "Label") -> str:
    return f"{start} {position} (“{name}”)" if name else f"{start} {position}"


def _label_clean(label, position) -> tuple[dict | None, list[str]]:
    """The cleaned label (None without a usable name) and its own problems; the name is kept even when another
    key is wrong, so a duplicate name is still caught."""
    if isinstance(label, str):
        label = {"name": label}
    if not isinstance(label, dict):
        return None, [f"{_label_where(position)}: must be an object with a name."]
    name = label.get("name")
    if not isinstance(name, str) or not normalise_text(name):
        return None, [f"{_label_where(position)}: the name is empty."]
    name = normalise_text(name)
    if len(name) > MAX_LABEL_NAME:
        return None, [f"{_label_where(position)}: the name is longer than {MAX_LABEL_NAME} characters."]
    if text_problem(name):
        return None, [f"{_label_where(position)}: the name {text_problem(name)}."]
    where, problems = _label_where(position, name), []
    cleaned = {"name": name, "description": str(label.get("description") or "")[:500]}
    if text_problem(cleaned["description"]):
        problems.append(f"{where}: the description {text_problem(cleaned['description'])}.")
    color = label.get("color")
    if color:
        if not isinstance(color, str) or not COLOR_RE.match(color):
            problems.append(f"{where}: the colour must look like #1f77b4.")
        else:
            cleaned["color"] = color.lower()
    shortcut = label.get("shortcut")
    if shortcut not in (None, ""):
        if isinstance(shortcut, str) and shortcut in RESERVED_SHORTCUTS:
            key = "space" if shortcut == " " else repr(shortcut) if shortcut.isprintable() else "that key"
            problems.append(f"{where}: the shortcut {key} is kept by the labelling page (it "
                            f"{RESERVED_SHORTCUTS[shortcut]}); choose another key.")
        elif not isinstance(shortcut, str) or len(shortcut) != 1 or not shortcut.isprintable():
            problems.append(f"{where}: a shortcut is one key (a letter or a digit), not {shortcut!r}.")
        else:
            cleaned["shortcut"] = shortcut.lower()
    unknown = set(label) - {"name", "description", "color", "shortcut"}
    if unknown:
        problems.append(f"{where}: unknown keys {sorted(unknown)}.")
    return cleaned, problems


def item_fields_clean(item_fields) -> list[str]:
    """Validate the names of the text fields a project's items carry; returns them normalised, in order."""
    if item_fields in (None, ""):
        return []
    if not isinstance(item_fields, list):
        raise SchemaError('The item fields must be a list of field names, e.g. ["title", "description"].')
    if len(item_fields) > MAX_ITEM_FIELDS:
        raise SchemaError(f"A project may name at most {MAX_ITEM_FIELDS} item fields.")
    cleaned, problems, first = [], [], {}
    for position, name in enumerate(item_fields, start=1):
        if not isinstance(name, str) or not normalise_text(name):
            problems.append(f"Field {position}: the name is empty." if isinstance(name, str) or name is None
                            else f"Field {position}: a field name is text, not {type(name).__name__}.")
            continue
        name = normalise_text(name)
        if text_problem(name):
            problems.append(f"Field {position}: the name {text_problem(name)}.")
            continue
        taken = first.setdefault(name.casefold(), position)
        if taken != position:
            problems.append(f"Field {position} (“{name}”): the name is used twice (also by field {taken}).")
        cleaned.append(name)
    if problems:
        raise SchemaError(*problems)
    return cleaned


def publish_problems(*, task_type: str, label_names: list[str], item_count: int) -> list[str]:
    """Why a project cannot be published yet (empty when it can)."""
    problems = []
    if not label_names:
        problems.append("The project has no labels.")
    elif task_type in CLASSIFICATION_TYPES and len(label_names) < 2:
        problems.append("A classification project needs at least two labels.")
    if item_count == 0:
        problems.append("The project has no items.")
    return problems


# --- Item data ------------------------------------------------------------------------------------

def required_fields(task_type: str, item_fields: list[str]) -> list[str]:
    """The data keys an item of this type must carry."""
    if task_type == "span":
        return ["text"]
    if task_type == "pairwise":
        return ["left", "right"]
    if task_type in ("image", "audio"):
        return [task_type]
    return list(item_fields) or ["text"]


def no_item_fields_hint(task_type: str, item_fields: list[str]) -> str:
    """A classification project that names no item fields wants a 'text' field: say so, since it surprises."""
    if item_fields or task_type not in ("single_label", "multi_label"):
        return ""
    return ("The project names no item fields, so each item needs a 'text' field: name the fields your items "
            "carry, e.g. [\"title\"].")


def item_data_clean(*, task_type: str, item_fields: list[str], data, has_media: bool = False) -> dict:
    """Validate an item's data for its project and normalise its text; returns the cleaned data."""
    if not isinstance(data, dict):
        raise SchemaError("The item's data must be an object of fields.")
    if task_type == "pairwise":
        return {side: _record_clean(data.get(side), side, item_fields) for side in ("left", "right")}
    cleaned = {}
    for key, value in data.items():
        if key in ("image", "audio"):
            if value not in (None, ""):
                cleaned[key] = _url_clean(value, key)
        else:
            cleaned[key] = _text_clean(value, key)
    for key in required_fields(task_type, item_fields):
        if key in ("image", "audio") and has_media:
            continue
        if not cleaned.get(key):
            raise SchemaError(f"The field {key!r} is missing or empty.")
    return cleaned


def _record_clean(record, side, item_fields) -> dict:
    if not isinstance(record, dict) or not record:
        raise SchemaError(f"The {side!r} record is missing: a pairwise item has a left and a right record.")
    cleaned = {key: _text_clean(value, f"{side}.{key}") for key, value in record.items()}
    if not any(cleaned.values()):
        raise SchemaError(f"The {side!r} record is empty.")
    for key in item_fields:
        if not cleaned.get(key):
            raise SchemaError(f"The field {side}.{key!r} is missing or empty.")
    return cleaned


def _text_clean(value, key) -> str:
    storable_text_check(str(key), f"The field name {str(key)!r}")
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise SchemaError(f"The field {key!r} must be text, not {type(value).__name__}.")
    text = normalise_text(str(value))
    storable_text_check(text, f"The field {key!r}")
    if len(text) > MAX_FIELD_CHARS:
        raise SchemaError(f"The field {key!r} is longer than {MAX_FIELD_CHARS} characters ({len(text)}).")
    return text


def _url_clean(value, key) -> str:
    if not isinstance(value, str):
        raise SchemaError(f"The field {key!r} must be a URL.")
    storable_text_check(value, f"The field {key!r}")
    value = value.strip()
    if len(value) > MAX_URL_CHARS or not re.match(r"^https?://[^\s]+$", value):
        raise SchemaError(f"The field {key!r} must be an http(s) URL of at most {MAX_URL_CHARS} characters.")
    return value


# --- Answers (gold answers and annotations) -------------------------------------------------------

def answer_clean(*, task_type: str, label_names: list[str], value, text: str = "", fold_case: bool = False):
    """Validate one answer and return it in canonical form:
    single-answer types: the label name; multi-label: the sorted list of names;
    span: the list of {"start", "end", "label"} sorted by start, offsets into `text` in Unicode code points
    (Python's str indices; end exclusive). The one definition of a span offset: the API, imports, exports and
    the workspace page (which converts from JS's UTF-16 indices) all use it.
    `fold_case` (for gold answers typed into spreadsheets): a name that matches no label exactly stands for the
    one label it matches ignoring case, when exactly one does."""
    if task_type in SINGLE_ANSWER_TYPES:
        return _label_name_clean(value, label_names, fold_case)
    if task_type == "multi_label":
        return _label_list_clean(value, label_names, fold_case)
    if task_type == "span":
        return _spans_clean(value, label_names, text, fold_case)
    raise SchemaError(f"Unknown task type {task_type!r}.")


def _label_name_clean(value, label_names, fold_case=False) -> str:
    if isinstance(value, dict) and "label" in value:
        value = value["label"]
    if not isinstance(value, str) or not value.strip():
        raise SchemaError("The answer must be one label name.")
    name = normalise_text(value)
    if name not in label_names and fold_case:
        matches = [label for label in label_names if label.casefold() == name.casefold()]
        name = matches[0] if len(matches) == 1 else name
    if name not in label_names:
        raise SchemaError(f"Unknown label {name!r}; the labels are {', '.join(label_names)}.")
    return name


def _label_list_clean(value, label_names, fold_case=False) -> list[str]:
    if isinstance(value, dict) and "labels" in value:
        value = value["labels"]
    if isinstance(value, str):
        value = [part for part in value.split("|") if part.strip()]
    if not isinstance(value, list) or not value:
        raise SchemaError("The answer must be a non-empty list of label names.")
    names = {_label_name_clean(name, label_names, fold_case) for name in value}
    return sorted(names)


def _spans_clean(value, label_names, text, fold_case=False) -> list[dict]:
    if isinstance(value, dict) and "spans" in value:
        value = value["spans"]
    if not isinstance(value, list):
        raise SchemaError("The answer must be a list of spans {start, end, label}.")
    spans = []
    for position, span in enumerate(value, start=1):
        if not isinstance(span, dict) or {"start", "end", "label"} - set(span):
            raise SchemaError(f"Span {position}: must have start, end and label.")
        start, end = span["start"], span["end"]
        if not (isinstance(start, int) and isinstance(end, int)) or isinstance(start, bool) or isinstance(end, bool):
            raise SchemaError(f"Span {position}: start and end must be whole numbers.")
        if not 0 <= start < end <= len(text):
            raise SchemaError(f"Span {position}: [{start}, {end}) is outside the text (length {len(text)}).")
        spans.append({"start": start, "end": end, "label": _label_name_clean(span["label"], label_names, fold_case)})
    spans.sort(key=lambda s: (s["start"], s["end"]))
    for before, after in zip(spans, spans[1:]):
        if after["start"] < before["end"]:
            raise SchemaError(
                f"Spans [{before['start']}, {before['end']}) and [{after['start']}, {after['end']}) overlap."
            )
    return spans
