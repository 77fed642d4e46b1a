"""The interface in Japanese, and times in the organization's time zone."""

from __future__ import annotations

import re
from datetime import datetime, timezone as dt_timezone
from pathlib import Path

import pytest

from apps.runs.models import Run
from apps.runs.services import run_create

from tests.support import workflow_from_template
from .helpers import post_form

pytestmark = pytest.mark.django_db(transaction=True)
PO = Path(__file__).resolve().parents[2] / "locale" / "ja" / "LC_MESSAGES" / "django.po"


def test_every_dashboard_string_has_japanese():
    text = PO.read_text(encoding="utf-8")
    entries = [e for e in text.split("\n\n") if "msgid" in e and 'msgid ""\nmsgstr ""\n"' not in e]
    untranslated = [e for e in entries if re.search(r'msgstr(\[0\])? ""\s*$', e)]
    assert len(entries) > 250 and not untranslated, untranslated[:3]
    import gettext

    with PO.with_suffix(".mo").open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    msgids = [m for m in re.findall(r'^msgid "(.+)"$', text, re.M) if "\\" not in m]
    import sys

    sys.path.insert(0, str(PO.parents[2]))
    from ja_strings import JA

    stale = [m for m in msgids if compiled.gettext(m) == m and JA.get(m) != m]
    assert not stale, f"the committed .mo lacks {stale[:3]}: run python locale/fill_po.py"


def test_a_user_who_chooses_japanese_reads_the_dashboard_in_japanese(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    workflow = workflow_from_template(actor, "trivial", seed_demo=False)
    run_create(actor=actor, workflow_id=workflow.pk)
    browser = signed_in(user)

    post_form(browser, "/i18n/setlang/", {"language": "ja", "next": "/"}, page_url="/")

    html = browser.get("/").content.decode()
    assert '<html lang="ja">' in html and "ワークフロー" in html and "待機中" in html
    assert "テンプレートから新規作成" in html
    run_page = browser.get(f"/runs/{Run.objects.get().pk}/").content.decode()
    assert "タイムライン" in run_page and "実行をキャンセル" in run_page


def test_times_are_shown_in_the_organizations_time_zone(make_org, signed_in, no_workers):
    actor, user = make_org("Acme")
    actor.organization.timezone = "Asia/Tokyo"
    actor.organization.save()
    workflow = workflow_from_template(actor, "trivial", seed_demo=False)
    run = run_create(actor=actor, workflow_id=workflow.pk)
    Run.objects.filter(pk=run.pk).update(created_at=datetime(2026, 11, 2, 23, 30, tzinfo=dt_timezone.utc))

    html = signed_in(user).get("/runs/").content.decode()

    assert "2026-11-03 08:30:00" in html, "23:30 UTC is 08:30 the next day in Tokyo"


def test_an_organization_in_japanese_reads_japanese_until_a_person_chooses_otherwise(make_org, signed_in,
                                                                                     no_workers):
    actor, user = make_org("Acme")
    actor.organization.language = "ja"
    actor.organization.save()
    browser = signed_in(user)
    assert "テンプレートから新規作成" in browser.get("/").content.decode()

    post_form(browser, "/i18n/setlang/", {"language": "en", "next": "/"}, page_url="/")
    assert "New from a template" in browser.get("/").content.decode()
