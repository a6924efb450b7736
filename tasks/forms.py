import json

from django import forms

from . import schemas
from .importing import DELIMITER_NAMES, ENCODINGS, IMPORT_FORMATS, data_content_hash
from .models import Item


def json_error_in_words(error: json.JSONDecodeError) -> str:
    """Where the JSON breaks, as a person counts: line and column, and the line itself to find it by."""
    line = error.doc.splitlines()[error.lineno - 1] if error.doc.splitlines() else ""
    near = f" The line reads: {line.strip()[:80]}" if line.strip() else ""
    return f"Not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}.{near}"


class PositionedJSONField(forms.JSONField):
    """A JSON box that says where the JSON breaks instead of Django's bare "Enter a valid JSON."."""

    def to_python(self, value):
        if isinstance(value, str) and value not in self.empty_values and not self.disabled:
            try:
                json.loads(value, cls=self.decoder)
            except json.JSONDecodeError as error:
                raise forms.ValidationError(json_error_in_words(error), code="invalid") from error
        return super().to_python(value)


class StructuredJSONWidget(forms.Textarea):
    """The JSON box, which tasks/label_editor.js replaces with rows to fill in (labels or field names) and keeps
    writing the same JSON into; without JavaScript the box itself is the editor. `editor` names the kind of rows."""

    class Media:
        js = ["tasks/label_editor.js"]
        css = {"all": ["tasks/label_editor.css"]}

    def __init__(self, editor: str, attrs=None):
        config = {"editor": editor, "palette": schemas.PALETTE, "reserved": schemas.RESERVED_SHORTCUTS}
        super().__init__(attrs={"rows": 6, "cols": 80, "data-label-editor": json.dumps(config), **(attrs or {})})


class ImportItemsForm(forms.Form):
    file = forms.FileField(help_text="CSV (with a header), JSONL (one object a line) or JSON (an array of objects).")
    file_format = forms.ChoiceField(
        choices=[("", "From the file name")] + [(f, f.upper()) for f in IMPORT_FORMATS], required=False, label="Format"
    )
    delimiter = forms.ChoiceField(
        choices=[("", "Guess from the file")] + list(DELIMITER_NAMES.items()), required=False,
        label="CSV delimiter", help_text="What separates the columns of a CSV file.",
    )
    encoding = forms.ChoiceField(
        choices=[("", "Guess from the file")] + [(name, name) for name in ENCODINGS], required=False,
        label="CSV encoding", help_text="UTF-8 unless the file came from an old spreadsheet (cp1252).",
    )
    mapping = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 80}),
        help_text='Optional JSON, e.g. {"external_id": "Product ID", "fields": {"title": "Product Title"}, '
        '"gold": "Category Label"}. Without it, columns map by name (id, gold, gold_explanation, fields).',
    )

    def clean_mapping(self):
        raw = self.cleaned_data["mapping"].strip()
        if not raw:
            return None
        try:
            mapping = json.loads(raw)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(f"The mapping: {json_error_in_words(error)}") from error
        if not isinstance(mapping, dict):
            raise forms.ValidationError("The mapping must be a JSON object.")
        return mapping


class ItemAdminForm(forms.ModelForm):
    """An item added or changed by hand, checked as an import checks it: its data against the project's task
    type (an image or audio item whose file is uploaded here needs no data at all, which the admin's required
    JSON box refused, so uploaded-media projects could not be built), its content hash, and a new item's open
    slots from the project's overlap."""

    class Meta:
        model = Item
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "data" in self.fields:  # absent where the user may only view the item (a reviewer)
            self.fields["data"].required = False
            self.fields["data"].help_text = ('The item\'s fields as JSON, e.g. {"title": "..."}; {} for an image or '
                                             "audio item whose file is uploaded below.")

    def clean(self):
        cleaned = super().clean()
        project = cleaned.get("project")
        if project is None or "data" not in self.fields:
            return cleaned
        try:
            cleaned["data"] = schemas.item_data_clean(
                task_type=project.task_type, item_fields=list(project.item_fields or []),
                data=cleaned.get("data") or {}, has_media=bool(cleaned.get("media")))
        except schemas.SchemaError as error:
            self.add_error("data", error.problems)
            return cleaned
        self.instance.content_hash = data_content_hash(cleaned["data"])
        if self.instance.pk is None:
            self.instance.open_slots = project.overlap
        return cleaned
