"""Text helpers available to templates as filters: transcripts and chunking.

``transcript_text`` turns WebVTT, SRT or plain text into ``Speaker: words`` lines without
cue numbers, timings or markup, merging consecutive cues of one speaker; ``chunks`` splits
long text on line boundaries so each piece fits one model call.
"""

from __future__ import annotations

import re

_TIMING = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}\s*-->\s*(\d{1,2}:)?\d{1,2}:\d{2}[.,]\d{1,3}.*$")
_VTT_VOICE = re.compile(r"^<v(?:\.[^ >]*)?\s+([^>]+)>(.*?)(?:</v>)?$")
_TAG = re.compile(r"</?[a-z][^>]*>", re.I)
_SPEAKER = re.compile(r"^([A-Z][\w .'\-]{0,40}):\s+(.*)$")


def transcript_text(text: str) -> str:
    """Plain ``Speaker: text`` lines from WebVTT, SRT or already-plain transcripts."""
    lines: list[tuple[str | None, str]] = []
    in_note = False
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            in_note = False
            continue
        if line == "WEBVTT" or line.startswith(("WEBVTT ", "Kind:", "Language:", "STYLE", "REGION")):
            continue
        if line.startswith("NOTE"):
            in_note = True
            continue
        if in_note or line.isdigit() or _TIMING.match(line):
            continue
        speaker = None
        voice = _VTT_VOICE.match(line)
        if voice:
            speaker, line = voice.group(1).strip(), voice.group(2)
        line = _TAG.sub("", line).strip()
        named = _SPEAKER.match(line) if speaker is None else None
        if named:
            speaker, line = named.group(1).strip(), named.group(2)
        if line:
            lines.append((speaker, line))
    merged: list[list[str | None]] = []
    for speaker, line in lines:
        if merged and (speaker is None or speaker == merged[-1][0]):
            merged[-1][1] = f"{merged[-1][1]} {line}"
        else:
            merged.append([speaker, line])
    return "\n".join(f"{s}: {t}" if s else str(t) for s, t in merged)


def chunks(text: str, size: int = 12000) -> list[str]:
    """Pieces of at most ``size`` characters, cut at line ends (a longer line is cut at spaces)."""
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > size:
            cut = line.rfind(" ", 0, size)
            cut = cut if cut > 0 else size
            if current:
                out.append(current)
                current = ""
            out.append(line[:cut])
            line = line[cut:].lstrip()
        if current and len(current) + 1 + len(line) > size:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        out.append(current)
    return out


def words(text: str) -> int:
    return len(text.split())
