"""Vietnamese text normalisation shared by extraction, dedup keys and search.

Everything that enters the archive is NFC. Keys (hashes, search folding) also unify the
old and new tone placement (hoà/hòa, thuỷ/thủy, khoẻ/khỏe) so that one spelling choice
never splits an article, a story or a search.
"""
from __future__ import annotations

import re
import unicodedata

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng
# Old style puts the tone on the second vowel of an open "oa", "oe", "uy" syllable
# (hoà, khoẻ, thuỷ); new style on the first (hòa, khỏe, thủy). "qu" is a consonant,
# so "quý" is the same in both styles and must not move.
_OLD_TONE = re.compile(rf"(?<![qQ])([oO])([aAeE])([{_TONES}])(?![^\W\d_])|"
                       rf"(?<![qQ])([uU])([yY])([{_TONES}])(?![^\W\d_])")
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def nfc(text: str | None) -> str:
    """NFC with zero-width characters removed; None becomes ""."""
    if not text:
        return ""
    return unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", text))


def fold_spaces(text: str | None) -> str:
    """NFC, every run of horizontal whitespace (NBSP too) to one space, trimmed."""
    return _SPACES.sub(" ", nfc(text)).strip()


def clean_lines(text: str | None) -> str:
    """NFC text with spaces folded inside lines and empty lines dropped."""
    lines = (fold_spaces(line) for line in nfc(text).splitlines())
    return "\n".join(line for line in lines if line)


def unify_tones(text: str | None) -> str:
    """NFC text with old tone placement moved to the new one: hoà → hòa, thuỷ → thủy."""
    decomposed = unicodedata.normalize("NFD", text or "")

    def move(m: re.Match) -> str:
        if m.group(1):
            return m.group(1) + m.group(3) + m.group(2)
        return m.group(4) + m.group(6) + m.group(5)

    return unicodedata.normalize("NFC", _OLD_TONE.sub(move, decomposed))


def fold_accents(text: str | None) -> str:
    """Lower-case text without any diacritic, đ folded to d: "Đà Nẵng" → "da nang"."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def content_key(text: str | None) -> str:
    """The form used to hash and compare content: NFC, tones unified, whitespace folded, lower case."""
    return " ".join(unify_tones(nfc(text)).lower().split())
