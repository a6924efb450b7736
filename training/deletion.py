"""Training's part in deleting a project (tasks/deletion.py): the rows that grow with the live shop's traffic
(predictions, feedback events) go by SQL statements in committed batches, never loaded; runs and their model
versions, which are few, go through the ORM before the project's snapshots."""

from core import rawsql

from .models import FeedbackEvent, ModelVersion, Prediction, TrainingRun

PREDICTIONS = Prediction._meta.db_table
FEEDBACK = FeedbackEvent._meta.db_table
MODEL_VERSIONS = ModelVersion._meta.db_table


def training_rows_of_project_delete(*, project_id: int, batch_size: int) -> int:
    """The predictions of the project's model versions and the project's feedback events; returns how many."""
    predictions = rawsql.delete_in_batches(
        f"DELETE FROM {PREDICTIONS} WHERE id IN (SELECT id FROM {PREDICTIONS} WHERE model_version_id IN "
        f"(SELECT id FROM {MODEL_VERSIONS} WHERE project_id = %s) LIMIT %s)", [project_id, batch_size],
        batch_size=batch_size)
    feedback = rawsql.delete_in_batches(
        f"DELETE FROM {FEEDBACK} WHERE id IN (SELECT id FROM {FEEDBACK} WHERE project_id = %s LIMIT %s)",
        [project_id, batch_size], batch_size=batch_size)
    # A run keeps the snapshot it learnt from (PROTECT), which stopped Django from deleting a project that had
    # ever trained: the runs (and their model versions) go first, the snapshots then go with the project.
    runs, _ = TrainingRun.objects.filter(project_id=project_id).delete()
    return predictions + feedback + runs


def predictions_of_items_delete(*, item_ids: list[int]) -> int:
    """Predictions of these items that another project's model made (none, unless items were moved): the
    foreign key must not be left pointing at a deleted item."""
    where, params = rawsql.among("item_id", item_ids)
    return rawsql.rowcount(f"DELETE FROM {PREDICTIONS} WHERE {where}", params)
