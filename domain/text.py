"""Free text people type: cleaned of control characters and kept within a chat message."""

from __future__ import annotations

import unicodedata

from domain.errors import InvalidInput

MAX_TEXT = 4000


# Bidirectional overrides, embeddings, isolates and marks: they can make a title read
# backwards ("abc\u202eevil" shows as "abclive"), a known spoofing trick (CVE-2021-42574).
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)


def clean_text(text: str) -> str:
    """Text without control characters (a NUL cannot even be stored in PostgreSQL), lone
    surrogates (no database driver can encode them) and bidirectional controls."""
    return "".join(
        c
        for c in text
        if c in "\n\t" or (unicodedata.category(c) not in ("Cc", "Cs") and c not in BIDI_CONTROLS)
    )


def check_text(text: str, what: str) -> str:
    """Free text without control characters, refused when longer than a chat message."""
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            f"{what} can be at most {MAX_TEXT} characters (this one has {len(text)})."
        )
    return clean_text(text).strip()
