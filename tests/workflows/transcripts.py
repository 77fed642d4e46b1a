"""Meeting transcripts for tests and benches, written here (no data files to fetch)."""

from __future__ import annotations

import random

SPEAKERS = ["Maya Lindqvist", "Greta Bauer", "Jonas Weber", "Diego Alvarez"]
TOPICS = ["the renewal of the Core licence", "the onboarding plan for the new region", "pricing for the add-on",
          "the delayed integration work", "the security review", "training for the support team"]


def vtt(words: int, seed: int = 3) -> str:
    """A WebVTT transcript of about ``words`` words, with speakers and cue timings."""
    rng = random.Random(seed)
    cues = ["WEBVTT", ""]
    count, second, n = 0, 0, 1
    while count < words:
        speaker = rng.choice(SPEAKERS)
        topic = rng.choice(TOPICS)
        text = (f"On {topic}, I think we should move ahead carefully and check the numbers with finance "
                f"before the end of the month, because the customer asked twice about it.")
        if n % 40 == 0:
            text = f"Action item: {speaker.split()[0]} will send the updated proposal on {topic} by Friday."
        start, second = second, second + rng.randint(3, 9)
        cues += [str(n), f"{start // 3600:02d}:{start // 60 % 60:02d}:{start % 60:02d}.000 --> "
                         f"{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}.000",
                 f"<v {speaker}>{text}</v>", ""]
        count += len(text.split())
        n += 1
    return "\n".join(cues)
