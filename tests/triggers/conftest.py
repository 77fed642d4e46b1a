from __future__ import annotations

import pytest


@pytest.fixture
def trivial(acme):
    import workflows.templates
    from apps.automations.services import workflow_create

    return workflow_create(actor=acme, name="trivial", spec=workflows.templates.load("trivial"))
