from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quality import inference
from quality.truth_files import answers_read, known_truth_read, truth_write


class Command(BaseCommand):
    help = (
        "Infer each task's label from a CSV of answers (task,worker,label); writes task,label,confidence, the "
        "confidence being the probability that the label is right. --gold: a CSV task,label of known truth, "
        "used for inference and to calibrate the confidence. No database needed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--answers", required=True, type=Path)
        parser.add_argument("--output", required=True, type=Path)
        parser.add_argument("--gold", type=Path, help="CSV task,label of known truth (gold answers, reviewed items).")
        parser.add_argument("--method", default=inference.DEFAULT_METHOD, choices=sorted(inference.METHODS))

    def handle(self, *args, answers, output, gold, method, **options):
        try:
            encoded = answers_read(answers)
            known = encoded.known_truth(known_truth_read(gold, encoded)) if gold else None
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        result = inference.infer(encoded, method, known_truth=known)
        count = truth_write(output, encoded, result)
        calibration = result.calibration
        how = (f"calibrated on {calibration.known_truth} known tasks" if calibration.source == "known_truth"
               else "default calibration (no known truth)" if calibration.source == "default" else "vote shares")
        chosen = f" -> {calibration.method}" if method == "auto" else ""
        self.stdout.write(
            f"{count} tasks, {encoded.n_workers} workers, {len(encoded.task_idx)} answers -> {output} "
            f"({method}{chosen}; {how}; ρ {calibration.correlation:.2f}, τ {calibration.temperature:.2f})"
        )
