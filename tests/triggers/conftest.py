from __future__ import annotations

import pytest

from tests.apps.conftest import (  # noqa: F401 - fixtures shared with the app tests
    _close_checkpointer_before_db_teardown,
    acme,
    celery,
    fake_model_server,
    make_org,
)
from tests.api.workers import no_workers  # noqa: F401


@pytest.fixture
def trivial(acme):
    import workflows.templates
    from apps.automations.services import workflow_create

    return workflow_create(actor=acme, name="trivial", spec=workflows.templates.load("trivial"))
