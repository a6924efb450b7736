from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom app: plumbing every app uses (raw SQL helpers, API pagination, the periodic-job installer).
    It imports no other app of the project, and owns no table."""

    name = "core"
    verbose_name = "Shared plumbing"
