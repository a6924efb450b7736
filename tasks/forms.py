import json

from django import forms

from .importing import DELIMITER_NAMES, ENCODINGS, IMPORT_FORMATS


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
            raise forms.ValidationError(f"The mapping is not valid JSON: {error}") from error
        if not isinstance(mapping, dict):
            raise forms.ValidationError("The mapping must be a JSON object.")
        return mapping
