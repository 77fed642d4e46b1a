"""The database-backed demo CRM behaves exactly like the in-memory store the connector was built on."""

from __future__ import annotations

import itertools

import pytest

from apps.accounts.models import Organization
from apps.demo.store import DjangoDemoStore
from connectors.demo import conformance

pytestmark = pytest.mark.django_db

_names = itertools.count()


def fresh_store() -> DjangoDemoStore:
    org = Organization.objects.create(name=f"Store {next(_names)}", slug=f"store-{next(_names)}")
    return DjangoDemoStore(org.pk)


@pytest.mark.parametrize("check", conformance.CHECKS, ids=lambda c: c.__name__)
def test_the_django_store_passes_the_demo_store_conformance_checks(check):
    check(fresh_store)
