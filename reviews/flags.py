"""Content flags that help a moderator. They look at the words only, never at the rating.

Profanity uses better-profanity's maintained word list with a linear-time matcher of our own
(the library's matcher took over a second on a 4,000-character comment).
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from reviews.models import Review

Flag = Review.Flag
SHORT_TEXT_CHARS = 15

LINK = re.compile(r"(https?://|www\.)\S+|\b[a-z0-9-]+\.(com|net|org|io|co|uk|de|fr|info|biz|ly)\b", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
PHONE = re.compile(r"(?:\+?\d[\s().-]?){7,}\d")
WORD = re.compile(r"[a-z0-9@$!*]+")
LEET = str.maketrans(
    {"@": "a", "$": "s", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "!": "i", "*": ""}
)


@cache
def profane_phrases() -> tuple[frozenset[str], frozenset[tuple[str, ...]]]:
    """(single words, multi-word phrases) from the word list, loaded once."""
    text = files("better_profanity").joinpath("profanity_wordlist.txt").read_text(encoding="utf-8")
    entries = [line.strip().lower() for line in text.splitlines() if line.strip()]
    words = frozenset(entry for entry in entries if " " not in entry)
    phrases = frozenset(tuple(entry.split()) for entry in entries if " " in entry)
    return words, phrases


def has_profanity(text: str) -> bool:
    words, phrases = profane_phrases()
    tokens = [token.translate(LEET) for token in WORD.findall(text.lower())]
    if any(token in words for token in tokens):
        return True
    longest = max((len(phrase) for phrase in phrases), default=0)
    return any(
        tuple(tokens[start : start + size]) in phrases
        for size in range(2, longest + 1)
        for start in range(len(tokens) - size + 1)
    )


def content_flags(*, comment: str, display_name: str = "") -> list[str]:
    """The flags raised by the customer's words (comment and display name), in a stable order."""
    text = f"{comment}\n{display_name}"
    found = []
    if LINK.search(text):
        found.append(Flag.LINK)
    if EMAIL.search(text) or PHONE.search(text):
        found.append(Flag.CONTACT)
    if has_profanity(text):
        found.append(Flag.PROFANITY)
    if len(comment.strip()) < SHORT_TEXT_CHARS:
        found.append(Flag.SHORT)
    return [str(flag) for flag in found]
