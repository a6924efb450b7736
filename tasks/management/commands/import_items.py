"""python manage.py import_items PROJECT FILE [--format csv|jsonl|json] [--mapping JSON-or-path]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tasks.importing import IMPORT_FORMATS, ImportRejected, items_import
from tasks.models import Project

LISTED_DUPLICATES = 20


class Command(BaseCommand):
    help = ("Import items into a project from a CSV, JSONL or JSON file. The file is checked whole first: one bad "
            "row stops the import, nothing is stored, and every bad row is listed (exit status 1).")

    def add_arguments(self, parser):
        parser.add_argument("project", help="The project's id, or its exact title.")
        parser.add_argument("file", type=Path, help="The file to import.")
        parser.add_argument("--format", dest="file_format", choices=IMPORT_FORMATS,
                            help="The file's format; by default its extension says.")
        parser.add_argument("--mapping", help='JSON, or the path of a JSON file: {"external_id": "<column>", '
                                              '"fields": {"<item field>": "<column>"}, "gold": "<column>"}.')

    def handle(self, *args, project, file, file_format, mapping, **options):
        project = _project_find(project)
        mapping = _mapping_load(mapping)
        try:
            with file.open("rb") as source:
                report = items_import(project=project, source=source, file_format=file_format, mapping=mapping,
                                      filename=file.name)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}.") from error
        except ImportRejected as rejected:
            raise CommandError(rejected.message()) from None
        self.stdout.write(self.style.SUCCESS(f"{project}: {report.summary()}"))
        for duplicate in report.duplicates[:LISTED_DUPLICATES]:
            self.stdout.write(f"  {duplicate}")
        if len(report.duplicates) > LISTED_DUPLICATES:
            self.stdout.write(f"  ... and {len(report.duplicates) - LISTED_DUPLICATES} more duplicates.")


def _project_find(value: str) -> Project:
    if value.isdigit() and (project := Project.objects.filter(pk=int(value)).first()):
        return project
    matches = list(Project.objects.filter(title=value)[:2])
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise CommandError(f"More than one project is titled {value!r}: give its id.")
    raise CommandError(f"No project has the id or title {value!r}.")


def _mapping_load(value: str | None) -> dict | None:
    if not value:
        return None
    text = value
    if not value.lstrip().startswith("{"):
        try:
            text = Path(value).read_text(encoding="utf-8")
        except OSError as error:
            raise CommandError(f"--mapping is neither JSON nor a readable file: {error}.") from error
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(f"--mapping is not valid JSON: {error}.") from error
    if not isinstance(mapping, dict):
        raise CommandError("--mapping must be a JSON object.")
    return mapping
