"""Content flags that help a moderator. They look at the words only, never at the rating.

Profanity uses better-profanity's maintained word list with a linear-time matcher of our own
(the library's matcher took over a second on a 4,000-character comment). Every pattern here runs
in linear time on any input: a pattern that may scan a run of characters only starts at the
beginning of that run (a look-behind), so a 5,000-character comment is never scanned 5,000 times.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from reviews.models import Review

Flag = Review.Flag
SHORT_TEXT_CHARS = 15

TLDS = "com|net|org|io|co|uk|de|fr|info|biz|ly"
LINK = re.compile(rf"(https?://|www\.)\S+|(?<![a-z0-9-])[a-z0-9-]+\.({TLDS})\b", re.IGNORECASE)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+\.[\w.-]+")
# Eight digits or more, an optional leading "+", at most two separators between digits:
# "+44 (0)20 7946 0000", "020-7946-0000", "06 12 34 56 78".
PHONE = re.compile(r"\+?\d(?:[\s().-]{0,2}\d){7,}")
# Dates look like phone numbers to PHONE ("12.03.2024", "2024-03-12"); they are blanked out first.
DATE = re.compile(
    r"(?<!\d)(?<!\d[./-])(?:\d{4}[./-]\d{1,2}[./-]\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2}))(?![./-]?\d)"
)
WORD = re.compile(r"[a-z0-9@$!*]+")
LEET = str.maketrans({"@": "a", "$": "s", "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "!": "i"})
MASK = "*"  # "f*ck", "sh*t": a masked vowel
VOWELS = "aeiou"
PUNCTUATION_AROUND_WORDS = "!*"  # "shit!", "*damn*"

# Entries of the word list that are everyday words in reviews of ordinary businesses (food and
# drink, people's names, places, identities): flagging them would hold back honest reviews.
EVERYDAY_WORDS = frozenset(
    {
        "god", "omg", "pot", "rum", "vodka", "hemp", "fat", "loin", "loins", "pasty", "pastie", "maxi",
        "organ", "revue", "sandbar", "seaman", "seamen", "pawn", "stroke", "strip", "virgin",
        "sob", "len", "paddy", "guido", "yury", "wang", "dong", "gay", "gays", "lesbians",
    }
)  # fmt: skip


@cache
def profane_phrases() -> tuple[frozenset[str], frozenset[tuple[str, ...]]]:
    """(single words, multi-word phrases) from the word list, normalised like the text, loaded once."""
    text = files("better_profanity").joinpath("profanity_wordlist.txt").read_text(encoding="utf-8")
    entries = {line.strip().lower() for line in text.splitlines() if line.strip()}
    words = {variant for entry in entries if " " not in entry for variant in (entry, entry.translate(LEET))}
    phrases = frozenset(tuple(entry.translate(LEET).split()) for entry in entries if " " in entry)
    return frozenset(words - EVERYDAY_WORDS), phrases


def _readings(token: str) -> set[str]:
    """The ways a token may be read: as written, without the punctuation around it, de-leeted, unmasked."""
    readings = {token, token.strip(PUNCTUATION_AROUND_WORDS)}
    readings |= {reading.translate(LEET) for reading in readings}
    masked = {reading for reading in readings if MASK in reading.strip(MASK)}
    readings |= {reading.replace(MASK, vowel) for reading in masked for vowel in VOWELS}
    return {reading for reading in readings if reading}


def has_profanity(text: str) -> bool:
    words, phrases = profane_phrases()
    tokens = WORD.findall(text.lower())
    if any(_readings(token) & words for token in tokens):
        return True
    # Phrases are matched on the plain reading of each token (the list's phrases are plain words).
    plain = [token.strip(PUNCTUATION_AROUND_WORDS).translate(LEET) for token in tokens]
    longest = max((len(phrase) for phrase in phrases), default=0)
    return any(
        tuple(plain[start : start + size]) in phrases
        for size in range(2, longest + 1)
        for start in range(len(plain) - size + 1)
    )


def has_contact_details(text: str) -> bool:
    return bool(EMAIL.search(text) or PHONE.search(DATE.sub(" ", text)))


def content_flags(*, comment: str, display_name: str = "") -> list[str]:
    """The flags raised by the customer's words (comment and display name), in a stable order."""
    text = f"{comment}\n{display_name}"
    found = []
    if LINK.search(text):
        found.append(Flag.LINK)
    if has_contact_details(text):
        found.append(Flag.CONTACT)
    if has_profanity(text):
        found.append(Flag.PROFANITY)
    if len(comment.strip()) < SHORT_TEXT_CHARS:
        found.append(Flag.SHORT)
    return [str(flag) for flag in found]
