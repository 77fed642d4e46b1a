"""The client's address behind reverse proxies: X-Forwarded-For is believed only as far as
trusted proxies vouch for it, so a client cannot claim an address it does not have."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from apps.triggers.addresses import client_address
from apps.triggers.models import WebhookDelivery
from apps.triggers.services import webhook_endpoint_create

PROXIES = ["10.0.0.0/8", "2001:db8:ffff::/48"]


def meta(remote: str, xff: str | None = None) -> dict[str, str]:
    return {"REMOTE_ADDR": remote, **({"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {})}


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = PROXIES


def test_with_no_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(meta("10.0.0.5", "198.51.100.7")) == "10.0.0.5"


def test_a_forwarded_for_from_an_untrusted_peer_is_ignored(proxies):
    assert client_address(meta("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_the_address_a_trusted_proxy_saw_is_the_client(proxies):
    assert client_address(meta("10.0.0.5", "198.51.100.7")) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_right_to_left(proxies):
    assert client_address(meta("10.0.0.5", "198.51.100.7, 10.1.2.3, 10.9.9.9")) == "198.51.100.7"


def test_addresses_the_client_put_in_front_of_its_own_are_not_believed(proxies):
    # The client sent "X-Forwarded-For: 1.2.3.4, 10.0.0.1"; the proxy appended the real address.
    assert client_address(meta("10.0.0.5", "1.2.3.4, 10.0.0.1, 203.0.113.9")) == "203.0.113.9"


def test_several_forwarded_for_headers_read_as_one_list(proxies):
    # WSGI servers join repeated headers with a comma.
    assert client_address(meta("10.0.0.5", "198.51.100.7,10.1.2.3")) == "198.51.100.7"


@pytest.mark.parametrize("xff, expected", [
    ("", "10.0.0.5"),
    ("unknown", "10.0.0.5"),
    ("not-an-address, , ;drop table", "10.0.0.5"),
    ("198.51.100.7, garbage, 10.1.2.3", "10.1.2.3"),  # nothing beyond garbage is believed
    ("198.51.100.7, _hidden", "10.0.0.5"),
    ("999.1.1.1", "10.0.0.5"),
    ("198.51.100.7:4711", "198.51.100.7"),
    ("\x00\xff" * 50, "10.0.0.5"),
])
def test_malformed_entries_stop_the_walk_at_the_last_hop_vouched_for(proxies, xff, expected):
    assert client_address(meta("10.0.0.5", xff)) == expected


def test_ipv6_peers_and_clients(proxies):
    assert client_address(meta("2001:db8:ffff::2", "2001:db8:1::7")) == "2001:db8:1::7"
    assert client_address(meta("2001:db8:ffff::2", "[2001:db8:1::7]:443")) == "2001:db8:1::7"
    assert client_address(meta("2001:db8:ffff::2", "198.51.100.7, 2001:db8:ffff::9")) == "198.51.100.7"
    assert client_address(meta("2001:db8:1::7", "198.51.100.7")) == "2001:db8:1::7", "an untrusted IPv6 peer"
    assert client_address(meta("fe80::1%eth0")) == "fe80::1"


def test_an_ipv4_mapped_peer_is_matched_as_ipv4(proxies):
    assert client_address(meta("::ffff:10.0.0.5", "198.51.100.7")) == "198.51.100.7"


def test_no_usable_peer_address_is_none(proxies):
    assert client_address(meta("", "198.51.100.7")) is None
    assert client_address({}) is None


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value, ok", [("10.0.0.0/8, 192.0.2.1,2001:db8::/32", True), ("10.0.0.0/33", False),
                                       ("proxy.internal", False)])
def test_trusted_proxies_are_checked_at_startup(value, ok):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="config.settings", TRUSTED_PROXIES=value, DEBUG="true")
    result = subprocess.run([sys.executable, "-c", "import django; django.setup(); from django.conf import settings;"
                             "print(settings.TRUSTED_PROXIES)"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    if ok:
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "['10.0.0.0/8', '192.0.2.1/32', '2001:db8::/32']"
    else:
        assert result.returncode != 0 and f"TRUSTED_PROXIES: {value!r} is not an IP address" in result.stderr


SALESFORCE = """<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">
 <soapenv:Body>
  <notifications xmlns="http://soap.sforce.com/2005/09/outbound">
   <OrganizationId>00D5g000004ABCDEAA</OrganizationId>
   <ActionId>04k5g000000XXXXAAA</ActionId>
   <Notification><Id>04l5g00000ABCDEAA{n}</Id>
    <sObject xmlns:sf="urn:sobject.enterprise.soap.sforce.com"><sf:Name>Acme</sf:Name></sObject>
   </Notification>
  </notifications>
 </soapenv:Body>
</soapenv:Envelope>"""


@pytest.mark.django_db(transaction=True)
def test_salesforce_allowlist_sees_the_client_behind_the_proxy_and_not_a_spoofed_one(acme, trivial, proxies,
                                                                                     no_workers):
    endpoint, _ = webhook_endpoint_create(actor=acme, workflow_id=trivial.pk, source="salesforce",
                                          scheme="salesforce_soap",
                                          settings={"organization_id": "00D5g000004ABCDEAA",
                                                    "ip_allowlist": ["198.51.100.0/24"]})
    path = f"/hooks/{endpoint.pk}/"

    def post(remote, xff, n):
        return Client(REMOTE_ADDR=remote).post(path, SALESFORCE.format(n=n).encode(), content_type="text/xml",
                                               HTTP_X_FORWARDED_FOR=xff)

    assert post("10.0.0.5", "198.51.100.7", 1).status_code == 200, "Salesforce behind our proxy"
    assert post("203.0.113.9", "198.51.100.7", 2).status_code == 403, "a spoofed header from outside"
    assert post("10.0.0.5", "198.51.100.7, 203.0.113.9", 3).status_code == 403, "a spoofed entry passed along"
    assert list(WebhookDelivery.objects.order_by("id").values_list("remote_addr", flat=True)) == \
           ["198.51.100.7", "203.0.113.9", "203.0.113.9"]
