"""The Celery application; tasks live in the apps' ``tasks.py``."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("farside")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _recycle_connections(task=None, **kwargs) -> None:
    """Treat each task like a request: drop database connections that are broken or past
    CONN_MAX_AGE and keep the rest (CELERY_DB_REUSE_MAX stops Celery closing them all).
    An eager task runs inside its caller's transaction, whose connection is not ours to drop."""
    if task is None or getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections

    close_old_connections()
