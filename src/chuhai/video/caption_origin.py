"""Where a video's captions in each language came from: the seller's own words (uploaded or
corrected), speech recognition, or a translation of another language — and whether a
translation has fallen behind its source. Pure: it reads and marks the caption rows."""

from __future__ import annotations

from chuhai.video.models import Video

# The seller's own words: a translation or speech recognition run later never replaces them
SELLERS = ("upload", "edited")


def mark_behind(video: Video, lang: str) -> list[str]:
    """Mark ``stale`` every translation made from ``lang``, and those made from them: the
    source changed under them (a new file, a speech recognition run) with no translator
    asked. Translating again clears the mark."""
    marked: list[str] = []
    todo = [lang]
    while todo:
        source = todo.pop()
        for c in video.captions:
            if c.source == "translation" and c.from_lang == source and \
                    c.lang not in marked and c.lang != lang:
                c.stale = True
                marked.append(c.lang)
                todo.append(c.lang)
    return marked
