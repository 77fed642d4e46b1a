"""Export and import of a workflow as one YAML file that round-trips exactly.

``load_yaml(dump_yaml(data)) == data`` for any spec data: keys keep their order, long
strings become block scalars, and nothing is converted on the way (YAML 1.1 booleans such
as ``on``/``yes`` and date-like strings are quoted by the dumper because the safe loader
would otherwise read them back as other types).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from .errors import Issue, SpecError


class _Dumper(yaml.SafeDumper):
    pass


# YAML reads these as line breaks or drops them; written raw they would not come back.
_UNSAFE = re.compile("[\x85\u2028\u2029\ufeff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _UNSAFE.search(value) or "\r" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')  # escapes them
    if "\n" in value and all(line == line.rstrip() for line in value.split("\n")) and "\t" not in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def dump_yaml(spec_data: dict[str, Any]) -> str:
    return yaml.dump(spec_data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


def load_yaml(text: str) -> dict[str, Any]:
    """Parse a workflow file; text that is not YAML, or not a mapping, is a ``SpecError``
    like every other problem with a spec, so callers handle one error type."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SpecError([Issue("", f"not valid YAML: {exc}")]) from None
    if not isinstance(data, dict):
        raise SpecError([Issue("", "a workflow file must hold a mapping at the top level")])
    return data
