"""Fill locale/ja/LC_MESSAGES/django.po from ja_strings.JA, then compile it with msgfmt.

Run after ``manage.py makemessages -l ja``: ``python locale/fill_po.py``. Exits non-zero and
lists the strings that still have no Japanese, so an untranslated page cannot slip through.
The compiled django.mo is committed, so running the product needs no gettext."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from ja_strings import JA  # noqa: E402

PO = HERE / "ja" / "LC_MESSAGES" / "django.po"
_QUOTED = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[\d+\])?)?\s*"(.*)"$')


def unquote(lines: list[str]) -> str:
    return "".join(json.loads(f'"{_QUOTED.match(line).group(2)}"') for line in lines)


def quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def fill(block: str, missing: list[str]) -> str:
    lines = block.split("\n")
    keep, msgid, plural, i = [], [], False, 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("msgid ") and not line.startswith("msgid_plural"):
            msgid = [line]
            while i + 1 < len(lines) and lines[i + 1].startswith('"'):
                i += 1
                msgid.append(lines[i])
            keep.extend(msgid)
        elif line.startswith("msgid_plural"):
            plural = True
            keep.append(line)
            while i + 1 < len(lines) and lines[i + 1].startswith('"'):
                i += 1
                keep.append(lines[i])
        elif line.startswith("msgstr"):
            key = unquote(msgid)
            if key == "":  # the header: keep it as it is
                keep.append(line)
                i += 1
                continue
            while i + 1 < len(lines) and lines[i + 1].startswith('"'):
                i += 1
            if key in JA:
                if plural:
                    if line.startswith("msgstr[0]"):
                        keep.append(f"msgstr[0] {quote(JA[key])}")
                else:
                    keep.append(f"msgstr {quote(JA[key])}")
            else:
                missing.append(key)
                keep.append(line)
        elif line.startswith("#| "):
            pass  # msgmerge's guess at the previous msgid, meaningless once translated
        elif line.startswith("#,") and "fuzzy" in line:
            # msgfmt skips fuzzy entries; every entry here is translated from JA or reported.
            flags = [f.strip() for f in line[2:].split(",") if f.strip() != "fuzzy"]
            if flags:
                keep.append("#, " + ", ".join(flags))
        else:
            keep.append(line)
        i += 1
    return "\n".join(keep)


def main() -> int:
    text = PO.read_text(encoding="utf-8")
    text = re.sub(r'"Plural-Forms: [^"]*"', r'"Plural-Forms: nplurals=1; plural=0;\\n"', text)
    text = text.replace('"Language: \\n"', '"Language: ja\\n"').replace("#, fuzzy\nmsgid \"\"", "msgid \"\"")
    missing: list[str] = []
    blocks = [fill(block, missing) for block in text.split("\n\n")]
    PO.write_text("\n\n".join(blocks), encoding="utf-8")
    subprocess.run(["msgfmt", "--check-format", "-o", str(PO.with_suffix(".mo")), str(PO)], check=True)
    if missing:
        print("no Japanese yet for:", *missing, sep="\n  ")
        return 1
    print(f"{PO.relative_to(HERE.parent)}: all {len(blocks) - 1} strings translated and compiled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
