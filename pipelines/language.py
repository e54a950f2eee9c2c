"""The language of a page: Vietnamese told by its own text, others as the page declares them.

Vietnamese writes almost every syllable with a letter no other Latin-script language uses (ơ, ư,
ă, đ and the tone-marked vowels of U+1EA0–U+1EF9), so the share of words holding one decides
from the text itself; many Vietnamese sites ship templates that say lang="en". For any other
language the page's own declaration (<html lang>, og:locale, Content-Language) is the answer.
"""
from __future__ import annotations

import re

_VIETNAMESE_LETTER = re.compile(r"[ăđơưĂĐƠƯ\u1ea0-\u1ef9]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_DECLARED = ("//html/@lang", "//html/@xml:lang", "//meta[@property='og:locale']/@content",
             "//meta[@http-equiv='content-language' or @http-equiv='Content-Language']/@content")
# Vietnamese prose: roughly half its words carry such a letter; a French or Romanian text that
# borrows ă/đ stays far below this.
VIETNAMESE_WORD_SHARE = 0.2
MIN_WORDS = 20
SAMPLE_CHARS = 3000     # a few paragraphs tell the language as well as the whole text


def vietnamese_share(text: str) -> float:
    """Share of the words of `text` that hold a letter only Vietnamese uses (0 when no words)."""
    words = _WORD.findall(text[:SAMPLE_CHARS])
    if not words:
        return 0.0
    return sum(1 for w in words if not w.isascii() and _VIETNAMESE_LETTER.search(w)) / len(words)


def declared_language(root) -> str | None:
    """The primary language subtag the page declares ("en" for "en-US", "vi" for "vi_VN"), if any."""
    for xpath in _DECLARED:
        for value in root.xpath(xpath):
            code = re.split(r"[-_,;\s]", str(value).strip().lower(), maxsplit=1)[0]
            if code.isalpha() and 2 <= len(code) <= 3:
                return code
    return None


def page_language(text: str, declared: str | None = None) -> str | None:
    """"vi" when the text reads as Vietnamese; else what the page declares (declared_language),
    unless it declares Vietnamese for a text that is not (then None: unknown)."""
    if vietnamese_share(text) >= VIETNAMESE_WORD_SHARE:
        return "vi"
    if declared == "vi" and len(_WORD.findall(text[:SAMPLE_CHARS])) >= MIN_WORDS:
        return None
    return declared
