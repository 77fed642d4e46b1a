"""The template gallery: templates ship with the code, so they are read once per process."""

from __future__ import annotations

import pytest

import workflows.templates
from apps.dashboard import templates_catalog


@pytest.mark.django_db(transaction=True)
def test_the_gallery_does_not_read_the_template_files_again_on_a_second_visit(make_org, signed_in, monkeypatch):
    _, user = make_org("Acme")
    browser = signed_in(user)
    assert browser.get("/workflows/templates/").status_code == 200
    reads: list[str] = []
    read = workflows.templates.load
    monkeypatch.setattr(workflows.templates, "load", lambda name: reads.append(name) or read(name))

    again = browser.get("/workflows/templates/")

    assert again.status_code == 200 and 'id="template-hello"' in again.content.decode()
    assert reads == []


def test_changing_a_templates_spec_does_not_change_it_for_the_next_caller():
    mine = templates_catalog.card("hello")
    mine.spec["nodes"].clear()
    mine.spec["title"] = "mine"

    assert templates_catalog.card("hello").spec == workflows.templates.load("hello")
    assert next(c for c in templates_catalog.cards() if c.name == "hello").title != "mine"
