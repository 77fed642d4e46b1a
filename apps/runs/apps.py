from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _setup_checkpoints(sender, using="default", **kwargs) -> None:
    """Create LangGraph's checkpoint tables alongside ours, in the same database."""
    from django.conf import settings

    if using != "default" or not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg import Connection

    from .checkpoints import postgres_conninfo

    with Connection.connect(postgres_conninfo(), autocommit=True) as conn:
        PostgresSaver(conn).setup()


class RunsConfig(AppConfig):
    name = "apps.runs"
    label = "runs"

    def ready(self) -> None:
        post_migrate.connect(_setup_checkpoints, sender=self)
