from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quality import inference
from quality.inference.calibration import MIN_KNOWN_TRUTH
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
            gold_rows = known_truth_read(gold, encoded) if gold else {}
        except (OSError, ValueError) as error:
            raise CommandError(f"{error} (--answers {answers}{f', --gold {gold}' if gold else ''})") from error
        known = encoded.known_truth(gold_rows)
        result = inference.infer(encoded, method, known_truth=known)
        try:
            count = truth_write(output, encoded, result)
        except OSError as error:
            raise CommandError(f"--output {output}: {error}") from error
        if gold and int((known >= 0).sum()) < len(gold_rows):
            self.stderr.write(f"{len(gold_rows) - int((known >= 0).sum())} of {len(gold_rows)} gold rows name "
                              "tasks nobody answered: ignored.")
        self.stdout.write(f"{count} tasks, {encoded.n_workers} workers, {len(encoded.task_idx)} answers -> {output} "
                          f"({self._how(method, result.calibration)})")

    @staticmethod
    def _how(method, calibration) -> str:
        chosen = f"{method} -> {calibration.method}" if method == "auto" else method
        if calibration.source == "none":
            return f"{chosen}; confidence is the vote share, not a calibrated probability"
        fitted = (f"calibrated on {calibration.known_truth} known tasks" if calibration.source == "known_truth"
                  else f"default calibration: {calibration.known_truth} known tasks, {MIN_KNOWN_TRUTH} needed to fit")
        return f"{chosen}; {fitted}; ρ {calibration.correlation:.2f}, τ {calibration.temperature:.2f}, ε {calibration.lapse:.3f}"
