"""The training pages of the admin: runs, model versions, dataset snapshots and the export page."""

from . import datasets, feedback, runs, versions  # noqa: F401 - each registers its ModelAdmins
