"""Whatever arrives at a webhook endpoint, the answer is a 2xx or a 4xx and the request is
recorded: random bodies and signature headers for every scheme."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apps.triggers.models import WebhookDelivery
from apps.triggers.services import webhook_endpoint_create

pytestmark = pytest.mark.django_db(transaction=True)

SCHEMES = {
    "hubspot": ("hubspot", {}, ["X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp", "X-HubSpot-Signature",
                                "X-HubSpot-Signature-Version"]),
    "standard_webhooks": ("generic", {}, ["webhook-id", "webhook-timestamp", "webhook-signature"]),
    "stripe": ("stripe", {}, ["Stripe-Signature"]),
    "basic": ("pipedrive", {"username": "pd"}, ["Authorization"]),
    "shared_token": ("zoho", {}, ["X-Webhook-Token"]),
    "salesforce_soap": ("salesforce", {"organization_id": "00D5g000004ABCDEAA"}, []),
}

SECRET = "fuzz-secret-123"
VALID = [SECRET, "Basic " + base64.b64encode(f"pd:{SECRET}".encode()).decode()]  # so bodies get past verification

header_value = st.one_of(
    st.sampled_from(VALID),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80),
    st.sampled_from(["v1,", "t=1,v1=", "t=99999999999999999999,v1=ab", "Basic !!", "Basic cGQ6", "v3", "v1",
                     "-1", "1e400", "0"]),
)
body = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(str.encode),
    st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                 lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children,
                                                                                   max_size=4),
                 max_leaves=20).map(lambda v: __import__("json").dumps(v).encode()),
    st.just(b'<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">'
            b'<soapenv:Body/></soapenv:Envelope>'),
)


@pytest.mark.parametrize("scheme", sorted(SCHEMES))
def test_random_requests_are_answered_with_a_2xx_or_4xx_and_recorded(acme, trivial, no_workers, scheme):
    source, endpoint_settings, header_names = SCHEMES[scheme]
    secret = None if scheme == "standard_webhooks" else SECRET
    endpoint, _ = webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source=source, scheme=scheme,
                                          secret=secret, settings=endpoint_settings, input_mapping={"name": "/name"})
    path = f"/hooks/{endpoint.pk}/"

    @settings(max_examples=40, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @example(body=b'{"name": "fuzz"}', headers={"Authorization": VALID[1], "X-Webhook-Token": SECRET})
    @example(body=b'{"name": null}', headers={"Authorization": VALID[1], "X-Webhook-Token": SECRET})
    @example(body=b'{"nom": 1}', headers={"Authorization": VALID[1], "X-Webhook-Token": SECRET})
    @given(body=body, headers=st.fixed_dictionaries({}, optional={n: header_value for n in header_names}))
    def check(body, headers):
        before = WebhookDelivery.objects.count()
        meta = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
        response = Client().post(path, body, content_type="application/json", **meta)
        assert 200 <= response.status_code < 500, (response.status_code, body[:80], headers)
        assert WebhookDelivery.objects.count() == before + 1
        outcomes.add(response.status_code)

    outcomes: set[int] = set()
    check()
    if scheme in ("basic", "shared_token"):
        assert outcomes & {202, 409, 422}, f"no random request got past verification: {outcomes}"
