"""Dataset snapshots and exports: a project's accepted labels as a DatasetDict on disk, JSONL, CSV or CoNLL.

Worker identities never leave as they are: exports name workers by a pseudonym (accounts.selectors.worker_pseudonym,
the one the API and the review queue use too). An optional step masks personal
data (email addresses, phone numbers) in item text.
"""

import csv
import io
import json
import os
import re
import tempfile
import uuid
import zipfile
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from accounts.selectors import worker_pseudonym
from quality.models import DecisionSource, ItemDecision, VerificationSample
from quality.selectors import sample_agreement
from tasks.models import Project, TaskType

from .models import DatasetSnapshot

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE_RE = re.compile(r"(?<!\w)\+?\d[\d\s().-]{7,}\d(?!\w)")


# What shoppers' feedback carries besides: links (with session or tracking ids), IP addresses, @handles.
URL_RE = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
IP_RE = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
HANDLE_RE = re.compile(r"(?<![\w@])@\w{2,}")


def mask_personal_data(text: str) -> str:
    """Emails, links, IP addresses, @handles and phone numbers replaced by placeholders. Spans are not
    re-aligned, so span projects keep their text as it is (the caller refuses masking there)."""
    text = URL_RE.sub("[URL]", EMAIL_RE.sub("[EMAIL]", text))
    return PHONE_RE.sub("[PHONE]", HANDLE_RE.sub("[HANDLE]", IP_RE.sub("[IP]", text)))


def item_text(project: Project, data: dict) -> str:
    if project.task_type == TaskType.SPAN:
        return data.get("text", "")
    if project.task_type == TaskType.PAIRWISE:
        sides = [" ; ".join(str(v) for v in data.get(side, {}).values() if v) for side in ("left", "right")]
        return " [SEP] ".join(sides)
    return " . ".join(str(data[field]) for field in (project.item_fields or data.keys()) if data.get(field))


def accepted_records(project: Project, *, mask: bool = False) -> list[dict]:
    """One record per accepted item: its text and accepted label (spans for span projects)."""
    records = []
    for decision in _accepted_decisions(project).select_related("item").order_by("item_id"):
        text = item_text(project, decision.item.data)
        if mask:
            text = mask_personal_data(text)
        record = {"id": decision.item.external_id, "text": text}
        if project.task_type == TaskType.SPAN:
            record["spans"] = decision.label
        else:
            record["label"] = decision.label if isinstance(decision.label, str) else "|".join(decision.label)
        records.append(record)
    return records


def evaluation_held_out_ids(project: Project):
    """External ids of the accepted items a reviewer decided: held out of training, for evaluation."""
    return _accepted_decisions(project).filter(source=DecisionSource.REVIEWER).values_list("item__external_id", flat=True)


def _accepted_decisions(project: Project):
    return ItemDecision.objects.filter(project=project, item__state="accepted")


class NothingToExport(ValueError):
    """No item of the project is accepted yet: an export would be an empty file, so none is made."""


def export_refusal(project: Project) -> NothingToExport | None:
    if _accepted_decisions(project).exists():
        return None
    return NothingToExport(f"Nothing to export yet: no item of “{project}” has an accepted label. An item is "
                           "accepted once enough answers agree, or a reviewer decides it.")


def estimated_accuracy(project: Project) -> dict | None:
    sample = VerificationSample.objects.filter(project=project).first()
    return sample_agreement(sample) if sample else None


# The least a dataset is made of: one item each for train, validation and test.
MIN_DATASET_ITEMS = 3


def too_few_to_train(project: Project, *, accepted: int, trainable: int) -> str:
    """Why no dataset is made, counted as dataset_build counts: the accepted items, less those a reviewer decided
    (held out for evaluation), are what it trains on. Naming only the trainable ones read as "1 accepted item" on a
    project with 36, 35 of them reviewed (user trial)."""
    held_out = accepted - trainable
    items = f"{accepted} accepted item{'' if accepted == 1 else 's'}"
    if not held_out:
        return f"{project} has {items}: at least {MIN_DATASET_ITEMS} are needed for a dataset."
    decided = "it was" if accepted == 1 else f"{held_out} of them {'was' if held_out == 1 else 'were'}"
    return (f"{project} has {items}, but {decided} decided by a reviewer and "
            f"{'is' if held_out == 1 else 'are'} kept for evaluation: {trainable} can be trained on, "
            f"at least {MIN_DATASET_ITEMS} are needed.")


def dataset_build(project: Project, *, mask: bool = False, seed: int = 13) -> tuple:
    """(DatasetDict of train/validation/test, stratified and seeded; manifest) of the accepted labels."""
    from training.ml import datasets as ml_datasets

    if mask and project.task_type == TaskType.SPAN:
        raise ValueError("Masking would move span offsets: span projects are exported unmasked.")
    # Reviewed items are the frozen evaluation set that decides promotions (training/promotion.py): never trained on.
    held_out = set(evaluation_held_out_ids(project))
    accepted = accepted_records(project, mask=mask)
    records = [record for record in accepted if record["id"] not in held_out]
    if len(records) < MIN_DATASET_ITEMS:
        raise ValueError(too_few_to_train(project, accepted=len(accepted), trainable=len(records)))
    if project.task_type == TaskType.SPAN:
        dataset = ml_datasets.build_token_dataset(records, project.label_names, seed=seed)
    else:
        dataset = ml_datasets.build_classification_dataset(records, sorted({r["label"] for r in records}), seed=seed)
    manifest = {
        "project": {"id": project.pk, "title": project.title, "task_type": project.task_type},
        "created_at": timezone.now().isoformat(), "items": len(records), "masked_personal_data": mask,
        "estimated_label_accuracy": estimated_accuracy(project),
    }
    return dataset, manifest


def snapshot_create(*, project: Project, created_by=None, mask: bool = False, seed: int = 13) -> DatasetSnapshot:
    """Freeze the project's accepted labels as train/validation/test (stratified, seeded) on disk."""
    from training.ml import datasets as ml_datasets

    dataset, manifest = dataset_build(project, mask=mask, seed=seed)
    folder = Path(settings.TRAINING_DIR) / "snapshots" / f"project-{project.pk}-{timezone.now():%Y%m%d-%H%M%S-%f}"
    ml_datasets.snapshot_save(dataset, folder, manifest)
    _, saved = ml_datasets.snapshot_load(folder)
    return DatasetSnapshot.objects.create(
        project=project, folder=str(folder), manifest=saved, item_count=manifest["items"], masked_personal_data=mask,
        created_by=created_by,
    )


# --- Hugging Face downloads -----------------------------------------------------------------------

def snapshot_zip(snapshot: DatasetSnapshot) -> Path:
    """The snapshot as a zip, made on first download and kept beside it (a snapshot never changes)."""
    folder = Path(snapshot.folder)
    target = folder.with_name(folder.name + ".zip")
    if not target.exists():
        partial = target.with_name(f"{target.name}.{uuid.uuid4().hex}.part")
        with open(partial, "wb") as out:
            _zip_dataset_folder(folder, snapshot_download_name(snapshot), out)
        os.replace(partial, target)  # two first downloads at once each write their own file; one wins whole
    return target


def snapshot_download_name(snapshot: DatasetSnapshot) -> str:
    return f"project-{snapshot.project_id}-snapshot-{snapshot.pk}"


def hf_export_zip(project: Project, *, mask: bool = False):
    """A fresh Hugging Face dataset of the accepted labels, zipped into an anonymous temporary file (read
    from the start; deleted when closed). Nothing is recorded: an export is not a snapshot."""
    from training.ml import datasets as ml_datasets

    dataset, manifest = dataset_build(project, mask=mask)
    out = tempfile.TemporaryFile()
    with tempfile.TemporaryDirectory() as folder:
        ml_datasets.snapshot_save(dataset, folder, manifest)
        _zip_dataset_folder(Path(folder), f"project-{project.pk}-labels", out)
    out.seek(0)
    return out


def _zip_dataset_folder(folder: Path, name: str, out) -> None:
    """One top folder `name/` holding the DatasetDict itself (dataset_dict.json, one folder per split) and
    manifest.json, so `datasets.load_from_disk("name")` works on the unzipped folder as it is: the snapshot's
    own layout keeps the Arrow files one level down, in data/. Arrow files are stored, not deflated: they
    barely shrink and this keeps a large download quick to make."""
    from training.ml.datasets import DATA_FOLDER, MANIFEST_FILE

    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.write(folder / MANIFEST_FILE, f"{name}/{MANIFEST_FILE}", compress_type=zipfile.ZIP_DEFLATED)
        data = folder / DATA_FOLDER
        for path in sorted(data.rglob("*")):
            if path.is_file():
                archive.write(path, f"{name}/{path.relative_to(data).as_posix()}")


# --- Exports --------------------------------------------------------------------------------------

def export_jsonl(project: Project, *, mask: bool = False) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in _with_answers(project, mask))


def export_csv(project: Project, *, mask: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id", "text", "label", "answers"])
    for record in _with_answers(project, mask):
        label = json.dumps(record["spans"]) if "spans" in record else record["label"]
        writer.writerow([record["id"], record["text"], label, json.dumps(record["answers"])])
    return out.getvalue()


def export_conll(project: Project) -> str:
    """Whitespace tokens with BIO tags, a blank line between items (span projects)."""
    from training.ml.datasets import bio_tags

    if project.task_type != TaskType.SPAN:
        raise ValueError("CoNLL export is for span projects.")
    blocks = []
    for record in accepted_records(project):
        tokens, tags = bio_tags(record["text"], record["spans"], project.label_names)
        blocks.append("\n".join(f"{token}\t{tag}" for token, tag in zip(tokens, tags)))
    return "\n\n".join(blocks) + "\n"


def _with_answers(project, mask):
    """Accepted records with every worker's answer, workers named by pseudonym."""
    from annotations.models import Annotation

    answers: dict[str, list] = {}
    rows = Annotation.objects.filter(project=project, superseded=False, item__state="accepted").values_list(
        "item__external_id", "worker_id", "answer")
    for external_id, worker_id, answer in rows:
        answers.setdefault(external_id, []).append({"worker": worker_pseudonym(worker_id), "answer": answer})
    for record in accepted_records(project, mask=mask):
        yield {**record, "answers": answers.get(record["id"], [])}


def export_body(project, fmt, mask=False) -> tuple[str, str]:
    """A text export and its content type; ValueError for an unknown format or one the project cannot have."""
    if fmt == "jsonl":
        return export_jsonl(project, mask=mask), "application/jsonl"
    if fmt == "csv":
        return export_csv(project, mask=mask), "text/csv"
    if fmt == "conll":
        return export_conll(project), "text/plain"
    raise ValueError(f"Unknown format {fmt!r}.")
