from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quality import inference
from quality.truth_files import answers_read, truth_write


class Command(BaseCommand):
    help = "Infer each task's label from a CSV of answers (task,worker,label); writes task,label,confidence. No database needed."

    def add_arguments(self, parser):
        parser.add_argument("--answers", required=True, type=Path)
        parser.add_argument("--output", required=True, type=Path)
        parser.add_argument("--method", default=inference.DEFAULT_METHOD, choices=sorted(inference.METHODS))

    def handle(self, *args, answers, output, method, **options):
        try:
            encoded = answers_read(answers)
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        result = inference.infer(encoded, method)
        count = truth_write(output, encoded, result)
        self.stdout.write(
            f"{count} tasks, {encoded.n_workers} workers, {len(encoded.task_idx)} answers -> {output} ({method})"
        )
