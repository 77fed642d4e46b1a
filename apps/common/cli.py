"""Helpers shared by the management commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from apps.accounts.actors import Actor, system_actor
from apps.accounts.models import Organization


def cli_actor(org_slug: str | None) -> Actor:
    """The organization named by ``--org``, or the only one there is."""
    if org_slug:
        org = Organization.objects.filter(slug=org_slug).first()
        if org is None:
            known = ", ".join(Organization.objects.values_list("slug", flat=True)) or "none"
            raise CommandError(f"no organization {org_slug!r} (known: {known})")
    else:
        orgs = list(Organization.objects.all()[:2])
        if len(orgs) != 1:
            raise CommandError("pass --org SLUG: there are several organizations" if orgs
                               else "no organization exists yet; run `manage.py demo_setup` first")
        org = orgs[0]
    return system_actor(org, label="cli")


def parse_inputs(pairs: list[str]) -> dict[str, Any]:
    """``k=v`` pairs; ``v`` is JSON when it parses, ``@path`` reads a file, else a string."""
    inputs: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise CommandError(f"--input {pair!r}: expected key=value")
        if raw.startswith("@"):
            try:
                inputs[key] = Path(raw[1:]).read_text()
            except OSError as exc:
                raise CommandError(f"--input {key}: cannot read {raw[1:]}: {exc}") from None
            continue
        try:
            inputs[key] = json.loads(raw)
        except ValueError:
            inputs[key] = raw
    return inputs
