"""Vietnamese text normalisation shared by extraction, dedup keys and search.

Everything that enters the archive is NFC. Keys (hashes, search folding) also unify the
old and new tone placement (hoà/hòa, thuỷ/thủy, khoẻ/khỏe) so that one spelling choice
never splits an article, a story or a search.
"""
from __future__ import annotations

import re
import unicodedata

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def _old_tone_pairs() -> dict[str, str]:
    """Old-style tone placement → new: the tone of an open "oa", "oe", "uy" syllable moves
    from the second vowel (hoà, khoẻ, thuỷ) to the first (hòa, khỏe, thủy)."""
    pairs = {}
    for first, seconds in (("o", "ae"), ("O", "ae"), ("u", "y"), ("U", "y")):
        for second in seconds + seconds.upper():
            for tone in _TONES:
                old = first + unicodedata.normalize("NFC", second + tone)
                pairs[old] = unicodedata.normalize("NFC", first + tone) + second
    return pairs


_OLD_TONE_PAIRS = _old_tone_pairs()
# Only at the end of a syllable ("hoàn", "hoài" are the same in both styles) and never after
# "q": "qu" is a consonant, so "quý" is the same in both styles (checked in `unify_tones`, as a
# pattern that starts with a plain letter class lets `re` skip ahead fast). Works on NFC text.
_OLD_TONE = re.compile("[oOuU](?:(?<=[oO])[%s]|(?<=[uU])[%s])(?![^\\W\\d_])" % (
    "".join(sorted({old[1] for old in _OLD_TONE_PAIRS if old[0] in "oO"})),
    "".join(sorted({old[1] for old in _OLD_TONE_PAIRS if old[0] in "uU"}))))


class _FoldTable(dict):
    """str.translate table, filled on first use of each character: its form without any
    diacritic, lower case, đ → d. A lone combining mark (NFD input) folds to nothing."""

    def __missing__(self, code: int) -> str:
        char = {"đ": "d", "Đ": "d"}.get(chr(code), chr(code))
        decomposed = unicodedata.normalize("NFD", char)
        self[code] = folded = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
        return folded


_FOLD = _FoldTable()
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
    text = nfc(text)

    def new_place(m: re.Match) -> str:
        start = m.start()
        return m.group() if start and text[start - 1] in "qQ" else _OLD_TONE_PAIRS[m.group()]
    return _OLD_TONE.sub(new_place, text)


def fold_accents(text: str | None) -> str:
    """Lower-case text without any diacritic, đ folded to d: "Đà Nẵng" → "da nang"."""
    return (text or "").translate(_FOLD)


def content_key(text: str | None) -> str:
    """The form used to hash and compare content: NFC, tones unified, whitespace folded, lower case."""
    return " ".join(unify_tones(nfc(text)).lower().split())


_CATEGORY_SEPARATORS = re.compile(r"\s*(?:[>»›|;,]|\s/\s)\s*")


def split_categories(category: str | None) -> list[str]:
    """A page's section as a list: "Thời sự,Chính trị" and "Thời sự > Chính trị" → ["Thời sự",
    "Chính trị"]; each once, in order, spaces folded."""
    out: list[str] = []
    for part in _CATEGORY_SEPARATORS.split(fold_spaces(category)):
        if part and part not in out:
            out.append(part)
    return out


def without_captions(article: dict) -> dict:
    """The article with its images' captions left out of its text (sapo and body): the convention
    of extraction benchmarks whose articleBody has no captions. tintinh's own body keeps each caption
    once, where its picture stands; the images keep their captions either way."""
    captions = {image["caption"] for image in article.get("images") or () if image.get("caption")}
    if not captions:
        return article
    lines = {key: [line for line in (article.get(key) or "").split("\n") if line not in captions]
             for key in ("sapo", "body")}
    return {**article, "sapo": "\n".join(lines["sapo"]), "body": "\n".join(lines["body"])}
