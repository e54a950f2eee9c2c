"""Authors' names as people write them: a byline in capitals ("THUẬN VĂN", the house style of
plo.vn and tuoitre.vn) becomes "Thuận Văn", each syllable capitalised the Vietnamese way.

Acronyms stay as they are: an agency ("TTXVN", "AFP", "VNA"), a credit ("PV", "CTV"), any word
without a vowel, and initials ("P.Y"). Names that already mix cases are left alone ("Lê Sơn",
"McDonald", "Minh Anh/TTXVN").
"""
from __future__ import annotations

import re

from common.text import nfc

# Kept in capitals even inside a name in capitals.
ACRONYMS = frozenset({"TTXVN", "VNA", "AFP", "AP", "BBC", "CNN", "VOV", "VTV", "TTO", "PV", "CTV", "BTV",
                      "TS", "THS", "PGS", "GS", "BS", "KTS", "LS", "NSƯT", "NSND", "UPI", "DPA", "ANTV"})
_WORD = re.compile(r"[^\W\d_]+")
_VOWELS = set("aăâeêioôơuưyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


def _syllable(m: re.Match) -> str:
    word = m.group()
    if len(word) == 1 or word in ACRONYMS or not _VOWELS & set(word.lower()):
        return word
    return word[0] + word[1:].lower()


def title_case_name(name: str) -> str:
    """`name` with each syllable capitalised when it is written in capitals ("NHẬT XUÂN" →
    "Nhật Xuân", "LÊ THỊ MINH-HÀ" → "Lê Thị Minh-Hà"), else as given. NFC."""
    name = nfc(name)
    letters = [c for c in name if c.isalpha()]
    if len(letters) < 2 or any(c.islower() for c in letters):
        return name
    words = _WORD.findall(name)
    if all(w in ACRONYMS or len(w) == 1 or not _VOWELS & set(w.lower()) for w in words):
        return name     # "TTXVN", "P.Y", "PV/TTXVN": no name to recase
    return _WORD.sub(_syllable, name)
