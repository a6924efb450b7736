"""Helpers of the import tests: run an import on a file's text, and read back what it made."""

import io

import pytest

from tasks.importing import ImportRejected, RowError, items_import
from tasks.models import Item


def text_file(text: str | bytes) -> io.BytesIO:
    return io.BytesIO(text.encode() if isinstance(text, str) else text)


def import_text(project, text, file_format="csv", **kwargs):
    return items_import(project=project, source=text_file(text), file_format=file_format, **kwargs)


def import_rejected(project, text, file_format="csv", **kwargs) -> list[RowError]:
    """The row errors of an import that must be refused as a whole (and leave no item behind)."""
    with pytest.raises(ImportRejected) as rejected:
        import_text(project, text, file_format, **kwargs)
    assert not Item.objects.filter(project=project).exists()
    return rejected.value.errors


def items_by_external_id(project) -> dict[str, Item]:
    return {item.external_id: item for item in Item.objects.filter(project=project)}
