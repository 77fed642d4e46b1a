"""Looking an endpoint up for a user: anything but one of their organization's endpoints
is simply not found."""

from __future__ import annotations

import pytest

from apps.common.errors import NotFound
from apps.triggers.selectors import webhook_delivery_list, webhook_endpoint_get
from apps.triggers.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def endpoint(acme, trivial):
    return webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source="hubspot", scheme="hubspot")[0]


@pytest.mark.parametrize("endpoint_id", ["not-a-uuid", "", 42, None])
def test_a_malformed_endpoint_id_is_not_found(acme, endpoint, endpoint_id):
    with pytest.raises(NotFound, match="webhook endpoint not found"):
        webhook_endpoint_get(actor=acme, endpoint_id=endpoint_id)
    with pytest.raises(NotFound, match="webhook endpoint not found"):
        webhook_delivery_list(actor=acme, endpoint_id=endpoint_id)


def test_another_organizations_endpoint_is_not_found(make_org, endpoint):
    other, _ = make_org("Globex")
    with pytest.raises(NotFound):
        webhook_endpoint_get(actor=other, endpoint_id=endpoint.pk)


def test_ones_own_endpoint_is_found(acme, endpoint):
    assert webhook_endpoint_get(actor=acme, endpoint_id=str(endpoint.pk)) == endpoint
