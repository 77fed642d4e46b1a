"""Signature schemes checked against the providers' published examples, then bent."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from apps.triggers.schemes import EndpointKeys, InboundRequest, Rejected
from apps.triggers.schemes import hubspot, standard

# HubSpot's request-validation guide: client secret and the v1 example body.
HUBSPOT_SECRET = "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"
HUBSPOT_BODY = (b'[{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,'
                b'"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM",'
                b'"changeFlag":"NEW","appId":54321}]')

# The Standard Webhooks reference libraries' test vector.
SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
SW_TIMESTAMP = 1614265330
SW_BODY = b'{"test": 2432232314}'
SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def request(headers: dict, body: bytes, url: str = "https://farside.example/hooks/x/") -> InboundRequest:
    return InboundRequest(method="POST", url=url, headers={k.lower(): v for k, v in headers.items()}, body=body)


def keys(*secrets: str, **settings) -> EndpointKeys:
    return EndpointKeys(secrets=secrets, settings=settings)


def test_hubspot_v1_matches_the_published_example():
    assert hubspot.signature_v1(HUBSPOT_SECRET, HUBSPOT_BODY) == \
        "232db2615f3d666fe21a8ec971ac7b5402d33b9a925784df3ca654d05f4817de"


def test_hubspot_v2_matches_the_published_example():
    assert hubspot.signature_v2(HUBSPOT_SECRET, "GET", "https://www.example.com/webhook_uri", b"") == \
        "eee2dddcc73c94d699f5e395f4b9d454a069a6855fbfa152e91e88823087200e"


def test_hubspot_v1_is_accepted_only_where_enabled():
    headers = {"X-HubSpot-Signature": hubspot.signature_v1(HUBSPOT_SECRET, HUBSPOT_BODY),
               "X-HubSpot-Signature-Version": "v1"}
    now = datetime.now(UTC)

    verified = hubspot.verify(request(headers, HUBSPOT_BODY), keys(HUBSPOT_SECRET, hubspot_versions=["v1"]), now)
    assert verified.event_id == "hubspot:1" and verified.payload["objectId"] == 123
    with pytest.raises(Rejected) as refused:
        hubspot.verify(request(headers, HUBSPOT_BODY), keys(HUBSPOT_SECRET), now)
    assert refused.value.code == "missing_signature"


def test_hubspot_v3_signs_method_uri_body_and_timestamp_with_hubspots_decoded_escapes():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ts = str(int(now.timestamp() * 1000))
    url = "https://farside.example/hooks/x/?next=a%3Ab"
    message = b"POST" + b"https://farside.example/hooks/x/?next=a:b" + HUBSPOT_BODY + ts.encode()
    import hashlib
    import hmac

    expected = base64.b64encode(hmac.new(HUBSPOT_SECRET.encode(), message, hashlib.sha256).digest()).decode()
    assert hubspot.signature_v3(HUBSPOT_SECRET, "POST", url, HUBSPOT_BODY, ts) == expected
    headers = {"X-HubSpot-Signature-v3": expected, "X-HubSpot-Request-Timestamp": ts}
    assert hubspot.verify(request(headers, HUBSPOT_BODY, url), keys(HUBSPOT_SECRET), now).event_id == "hubspot:1"


@pytest.mark.parametrize("skew, code", [(timedelta(minutes=-6), "stale_timestamp"),
                                        (timedelta(minutes=6), "future_timestamp")])
def test_hubspot_v3_refuses_timestamps_outside_five_minutes(skew, code):
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ts = str(int((now + skew).timestamp() * 1000))
    headers = {"X-HubSpot-Signature-v3": hubspot.signature_v3(HUBSPOT_SECRET, "POST", "https://h/", HUBSPOT_BODY, ts),
               "X-HubSpot-Request-Timestamp": ts}
    with pytest.raises(Rejected) as refused:
        hubspot.verify(request(headers, HUBSPOT_BODY, "https://h/"), keys(HUBSPOT_SECRET), now)
    assert refused.value.code == code


def test_standard_webhooks_matches_the_reference_test_vector():
    assert standard.standard_sign(SW_SECRET, SW_ID, SW_TIMESTAMP, SW_BODY) == SW_SIGNATURE
    now = datetime.fromtimestamp(SW_TIMESTAMP, tz=UTC)
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TIMESTAMP), "webhook-signature": SW_SIGNATURE}
    verified = standard.verify_standard(request(headers, SW_BODY), keys(SW_SECRET), now)
    assert verified.payload == {"test": 2432232314} and verified.event_id == SW_ID


def test_standard_webhooks_accepts_any_of_several_signatures_during_rotation():
    now = datetime.fromtimestamp(SW_TIMESTAMP, tz=UTC)
    signatures = " ".join(["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=",
                           "v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", SW_SIGNATURE])
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TIMESTAMP), "webhook-signature": signatures}
    assert standard.verify_standard(request(headers, SW_BODY), keys(SW_SECRET), now).event_id == SW_ID


def test_standard_webhooks_refuses_the_reference_vectors_bad_signature():
    now = datetime.fromtimestamp(SW_TIMESTAMP, tz=UTC)
    headers = {"webhook-id": SW_ID, "webhook-timestamp": str(SW_TIMESTAMP),
               "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA="}
    with pytest.raises(Rejected) as refused:
        standard.verify_standard(request(headers, SW_BODY), keys(SW_SECRET), now)
    assert refused.value.code == "bad_signature"


def test_stripe_style_header_with_two_v1_signatures_verifies_against_either_secret():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    t = int(now.timestamp())
    body = b'{"id": "evt_test_webhook", "object": "event"}'
    header = f"t={t},v1={standard.stripe_sign('whsec_old', t, body)},v1={standard.stripe_sign('whsec_new', t, body)}"

    verified = standard.verify_stripe(request({"Stripe-Signature": header}, body), keys("whsec_new"), now)
    assert verified.event_id == "evt_test_webhook"
    with pytest.raises(Rejected):
        standard.verify_stripe(request({"Stripe-Signature": header}, body + b" "), keys("whsec_new"), now)
