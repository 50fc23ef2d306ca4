"""A customer's edit shown to the moderator as a word-level diff: removed words struck, new ones marked.

Everything is HTML-escaped here; only the <del> and <ins> elements are ours.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Words with the spaces after them, so that the text reads as written between the marks.
TOKEN = re.compile(r"\S+\s*|\s+")


def words_diff_html(before: str, after: str) -> SafeString:
    """`before` → `after` as escaped HTML: unchanged words plain, removed in <del>, added in <ins>."""
    old, new = TOKEN.findall(before), TOKEN.findall(after)
    parts = []
    # No autojunk: a long comment's common words ("the", "and") must still line up.
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            parts.append(escape("".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(format_html("<del>{}</del>", "".join(old[i1:i2])))
        if j2 > j1:
            parts.append(format_html("<ins>{}</ins>", "".join(new[j1:j2])))
    return mark_safe("".join(parts))  # noqa: S308 — every part above is escaped or built by format_html


def edit_diff_html(*, comment_before: str, comment_after: str, name_before: str, name_after: str) -> SafeString:
    """The pending edit of a review: the comment's diff, and the display name's when it changed too."""
    rows = [("Comment", words_diff_html(comment_before, comment_after))]
    if name_before != name_after:
        rows.append(("Name shown", words_diff_html(name_before, name_after)))
    return format_html(
        '<div class="edit-diff">{}</div>',
        format_html_join("", '<p><strong>{}:</strong> <span class="diff">{}</span></p>', rows),
    )
