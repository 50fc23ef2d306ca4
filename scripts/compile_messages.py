"""Compile the translation catalogues, locale/<language>/LC_MESSAGES/django.po → django.mo.

Pure Python (polib), so `make run` and `make test` need no GNU gettext on a fresh machine; only a
translator adding strings runs `makemessages`, which does. Fuzzy entries are left out, as msgfmt
leaves them out.

    .venv/bin/python scripts/compile_messages.py
"""

from __future__ import annotations

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"


def main() -> None:
    for source in sorted(LOCALE.glob("*/LC_MESSAGES/*.po")):
        polib.pofile(str(source)).save_as_mofile(str(source.with_suffix(".mo")))
        print(f"compiled {source.relative_to(LOCALE.parent)}")


if __name__ == "__main__":
    main()
