"""Vietnamese typed in the legacy font encodings TCVN3 (ABC) and VNI, read back as Unicode NFC.

Before Unicode, Vietnamese pages and documents were Latin-1/windows-1252 bytes whose glyphs
only look Vietnamese in special fonts:
- TCVN3 (TCVN 5712:1993 VN3, fonts .VnTime, .VnArial…): one byte a letter, "Kh«ng ån µo" for
  "Không ồn ào". Its fonts have no toned capitals: those are written with the lower-case codes
  in a second font family (.VnTimeH), so "KH¤NG" and "kh«ng" may both show "KHÔNG". The
  capitals of the full VN1 table that sit in 0xA0-0xFF (Ấ at 0xC4…) are read too; VN1's
  capitals in the C0/C1 control ranges are not (those bytes are punctuation in VN3 text).
- VNI (VNI-Windows, fonts VNI-Times…): a base letter followed by a mark byte, "Giaù hoa taêng"
  for "Giá hoa tăng"; upper-case letters take upper-case marks ("VIEÄT").

Tables: TCVN 5712 as in the X11/libiconv TCVN converter and the xvnkb keyboard (tcvn.h, vni.h),
checked against the Vietnamese texts of tests/test_legacy_vietnamese.py.

Detection (detect) reads words, not single characters: a word counts for an encoding when it
is not a Vietnamese syllable as written but becomes one converted ("Kh«ng" → "Không"). Real
Vietnamese in Unicode is always a syllable as written, and the Latin-1 words of other languages
("café", "niños", "schön") do not become syllables, so neither counts for an encoding.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable

GRAVE, HOOK, TILDE, ACUTE, DOT = "\u0300", "\u0309", "\u0303", "\u0301", "\u0323"
TONE_MARKS = (GRAVE, HOOK, TILDE, ACUTE, DOT)      # huyền, hỏi, ngã, sắc, nặng
LEGACY_ENCODINGS = ("tcvn3", "vni")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# ---- the 134 letters ---------------------------------------------------------------------

BASE_VOWELS = "aăâeêioôơuưy"
VIETNAMESE_LETTERS = tuple(_nfc(v + t) for v in BASE_VOWELS for t in ("",) + TONE_MARKS
                           if v + t not in "aeiouy") + ("đ",)
VIETNAMESE_LETTERS += tuple(c.upper() for c in VIETNAMESE_LETTERS)   # 67 + 67 (ASCII vowels excluded)

# ---- TCVN3 -------------------------------------------------------------------------------

# byte of each base vowel with no tone, huyền, hỏi, ngã, sắc, nặng (TCVN 5712 VN3, lower case)
_TCVN3_ROWS = {
    "a": (0x61, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9),
    "ă": (0xA8, 0xBB, 0xBC, 0xBD, 0xBE, 0xC6),
    "â": (0xA9, 0xC7, 0xC8, 0xC9, 0xCA, 0xCB),
    "e": (0x65, 0xCC, 0xCE, 0xCF, 0xD0, 0xD1),
    "ê": (0xAA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6),
    "i": (0x69, 0xD7, 0xD8, 0xDC, 0xDD, 0xDE),
    "o": (0x6F, 0xDF, 0xE1, 0xE2, 0xE3, 0xE4),
    "ô": (0xAB, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9),
    "ơ": (0xAC, 0xEA, 0xEB, 0xEC, 0xED, 0xEE),
    "u": (0x75, 0xEF, 0xF1, 0xF2, 0xF3, 0xF4),
    "ư": (0xAD, 0xF5, 0xF6, 0xF7, 0xF8, 0xF9),
    "y": (0x79, 0xFA, 0xFB, 0xFC, 0xFD, 0xFE),
}
# the capitals VN3 has (Ă Â Ê Ô Ơ Ư Đ), and those of the full VN1 table in the same byte range
_TCVN3_CAPITALS = {0xA1: "Ă", 0xA2: "Â", 0xA3: "Ê", 0xA4: "Ô", 0xA5: "Ơ", 0xA6: "Ư", 0xA7: "Đ",
                   0xAF: "Ằ", 0xBA: "Ẳ", 0xBF: "Ẵ", 0xC0: "Ắ", 0xC1: "Ầ", 0xC2: "Ẩ", 0xC3: "Ẫ",
                   0xC4: "Ấ", 0xC5: "Ề", 0xCD: "Ể", 0xD9: "Ễ", 0xDA: "Ế", 0xDB: "Ồ", 0xE0: "Ổ",
                   0xF0: "Ỗ", 0xFF: "Ố"}


def _tcvn3_table() -> dict[str, str]:
    table = {chr(0xAE): "đ"}
    for base, codes in _TCVN3_ROWS.items():
        for code, tone in zip(codes, ("",) + TONE_MARKS):
            if code >= 0x80:
                table[chr(code)] = _nfc(base + tone)
    table.update({chr(code): letter for code, letter in _TCVN3_CAPITALS.items()})
    return table


TCVN3 = _tcvn3_table()                        # character as read in windows-1252 → letter
_TCVN3_TRANSLATE = str.maketrans(TCVN3)
_TCVN3_UPPER = frozenset(chr(code) for code in _TCVN3_CAPITALS)
_TCVN3_WORD = re.compile("[A-Za-z%s]+" % re.escape("".join(TCVN3)))
_UPPER_FONT = re.compile(r"\bvn[a-z ]*?h\b", re.I)   # .VnTimeH, .VnArialH, .VnArial NarrowH


def tcvn3_to_unicode(text: str, upper: bool = False) -> str:
    """TCVN3 text (as read in windows-1252) → Unicode NFC.

    `upper`: the text is set in an upper-case font (.VnTimeH), which shows every code as a
    capital. Otherwise a word is put in capitals when its letters of known case say so: a
    run of such words holding capitals in two or more ("§µ N½NG" → "ĐÀ NẴNG"), or a word with
    two capitals ("TR¦êNG" → "TRƯỜNG"); "Hå" alone stays "Hồ"."""
    if upper:
        return _nfc(text.translate(_TCVN3_TRANSLATE).upper())
    words = list(_TCVN3_WORD.finditer(text))
    out, last = [], 0
    runs: list[list[tuple[re.Match, int]]] = [[]]
    for m in words:
        word = m.group()
        if any("a" <= c <= "z" for c in word):     # a lower-case ASCII letter: the word is not in capitals
            runs.append([])
            continue
        runs[-1].append((m, sum(1 for c in word if "A" <= c <= "Z" or c in _TCVN3_UPPER)))
    capitals = set()
    for run in runs:
        if sum(1 for _, n in run if n) >= 2:
            capitals.update(m.start() for m, _ in run)
        else:
            capitals.update(m.start() for m, n in run if n >= 2)
    for m in words:
        out.append(text[last:m.start()])
        word = _lost_u_horn(_nfc(m.group().translate(_TCVN3_TRANSLATE)))
        out.append(word.upper() if m.start() in capitals else word)
        last = m.end()
    out.append(text[last:])
    return _nfc("".join(out))


_O_HORN = re.compile("(?<![ưƯ])[ơờớởỡợƠỜỚỞỠỢ](?=ng|NG|c|C|u|U)")


def _lost_u_horn(word: str) -> str:
    """TCVN3's ư is the soft hyphen (0xAD), which copy-paste and text tools often drop:
    "tr­êng" arrives as "trêng". Put it back where only then the word is a syllable
    ("trởng" → "trưởng", "®îc" → "được"); "ngời" is a word, so "ngêi" stays "ngời"."""
    m = _O_HORN.search(word)
    if m is None or is_syllable(word):
        return word
    repaired = word[:m.start()] + ("Ư" if word[m.start()].isupper() else "ư") + word[m.start():]
    return repaired if is_syllable(repaired) else word


# ---- VNI ---------------------------------------------------------------------------------

_VNI_SINGLE = {"ô": "ơ", "ö": "ư", "ñ": "đ", "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}
_VNI_TONE = {"ø": GRAVE, "û": HOOK, "õ": TILDE, "ù": ACUTE, "ï": DOT}
_VNI_CIRCUMFLEX = {"â": "", "à": GRAVE, "å": HOOK, "ã": TILDE, "á": ACUTE, "ä": DOT}
_VNI_BREVE = {"ê": "", "è": GRAVE, "ú": HOOK, "ü": TILDE, "é": ACUTE, "ë": DOT}


def _vni_table() -> dict[str, str]:
    table = {}
    for lower in (True, False):
        case = (lambda s: s) if lower else str.upper
        for code, letter in _VNI_SINGLE.items():
            table[case(code)] = case(letter)
        for mark_case in (str.lower, str.upper):   # the mark's case is the font's, the letter's decides
            for base in "aeouy":
                for mark, tone in _VNI_TONE.items():
                    table[case(base) + mark_case(mark)] = case(_nfc(base + tone))
            for code, letter in (("ô", "ơ"), ("ö", "ư")):
                for mark, tone in _VNI_TONE.items():
                    table[case(code) + mark_case(mark)] = case(_nfc(letter + tone))
            for base, hatted in (("a", "â"), ("e", "ê"), ("o", "ô")):
                for mark, tone in _VNI_CIRCUMFLEX.items():
                    table[case(base) + mark_case(mark)] = case(_nfc(hatted + tone))
            for mark, tone in _VNI_BREVE.items():
                table[case("a") + mark_case(mark)] = case(_nfc("ă" + tone))
    return table


VNI = _vni_table()                            # one or two characters as read in windows-1252 → letter
_VNI_SEQUENCE = re.compile("|".join(re.escape(k) for k in sorted(VNI, key=len, reverse=True)))
_VNI_CODES = "".join(sorted({c for k in VNI for c in k if not c.isascii()}))
_VNI_WORD = re.compile("[A-Za-z%s]+" % re.escape(_VNI_CODES))


def vni_to_unicode(text: str) -> str:
    """VNI text (as read in windows-1252) → Unicode NFC: "Giaù hoa taêng" → "Giá hoa tăng"."""
    return _nfc(_VNI_SEQUENCE.sub(lambda m: VNI[m.group()], text))


def to_unicode(text: str, encoding: str, upper: bool = False) -> str:
    """Convert all of `text` from "tcvn3" or "vni"."""
    if encoding == "tcvn3":
        return tcvn3_to_unicode(text, upper)
    if encoding == "vni":
        return vni_to_unicode(text)
    raise ValueError(f"unknown legacy encoding {encoding!r}")


# ---- Vietnamese syllables ----------------------------------------------------------------

_ONSETS = "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split()
_RHYMES = """
a ac ach ai am an ang anh ao ap at au ay
ă ăc ăm ăn ăng ăp ăt
â âc âm ân âng âp ât âu ây
e ec em en eng eo ep et
ê êch êm ên ênh êp êt êu
i ia ich im in inh ip it iu iêc iêm iên iêng iêp iêt iêu
y yêm yên yêng yêt yêu
o oc oi om on ong op ot ooc oong
oa oac oach oai oam oan oang oanh oao oap oat oay oăc oăm oăn oăng oăp oăt
oe oen oeo oet
ô ôc ôi ôm ôn ông ôp ôt
ơ ơi ơm ơn ơp ơt
u uc ui um un ung up ut
ua uân uâng uât uây uê uêch uênh uơ uy uya uych uyên uyêt uynh uyt uyu
uôc uôi uôm uôn uông uôt
ư ưa ưc ưi ưm ưn ưng ưt ưu ươc ươi ươm ươn ương ươp ươt ươu
""".split()
_SYLLABLE = re.compile("(?:%s)?(?:%s)" % ("|".join(sorted(_ONSETS, key=len, reverse=True)),
                                           "|".join(sorted(_RHYMES, key=len, reverse=True))))
_STOP_FINAL = re.compile("(?:c|ch|p|t)$")      # a syllable ending so takes only sắc or nặng
# precomposed, or decomposed (NFD: a base letter and combining marks, which legacy text never has)
_UNICODE_VIETNAMESE = re.compile(r"[ăđĩũơưĂĐĨŨƠƯ\u1ea0-\u1ef9\u0300\u0301\u0302\u0303\u0306\u0309\u031b\u0323]")
_WORD = re.compile(r"[^\W\d_]+")


@lru_cache(maxsize=100_000)
def is_syllable(word: str) -> bool:
    """A Vietnamese syllable as written in Unicode (any case, one tone at most, a real rhyme)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [c for c in decomposed if c in TONE_MARKS]
    if len(tones) > 1:
        return False
    base = _nfc("".join(c for c in decomposed if c not in TONE_MARKS))
    if not _SYLLABLE.fullmatch(base):
        return False
    return not (_STOP_FINAL.search(base) and tones and tones[0] not in (ACUTE, DOT))


def vietnamese_syllable_share(text: str) -> float:
    """Share of the non-ASCII words of `text` that are Vietnamese syllables (0 when none)."""
    words = [w for w in _WORD.findall(text[:20000]) if not w.isascii()]
    return sum(map(is_syllable, words)) / len(words) if words else 0.0


def has_unicode_vietnamese(text: str) -> bool:
    """Holds a letter only Unicode Vietnamese writes (ă, đ, ơ, ư, ĩ, ũ, ạ…ỹ, or a combining
    tone or vowel mark): not legacy text."""
    return _UNICODE_VIETNAMESE.search(text) is not None


# ---- detection ---------------------------------------------------------------------------

# Inside a word, these say a text may be TCVN3 or VNI: TCVN3's letters that are symbols in
# Latin-1 ("Kh«ng", "µo"), VNI's tone marks after a vowel ("vaø", "ñaõ") and its "ươ" ("öô").
# None is a letter of Unicode Vietnamese, nor common in other languages ("ä", "ç", "ñ" are not
# among them). A text with fewer is not looked at further.
_TCVN3_SIGN = "«µ¸¶·¹®¬¨©ª¼½¾§¤¦¥¢£¡×÷ÐÞþ"
_CANDIDATE = re.compile("[%s]" % re.escape(_TCVN3_SIGN + "øûïØÛÏöÖ"))
# đ and Đ (® §) only begin a syllable: "Victor®" is a trademark, "®Ñp" is "đẹp"
_SIGN = re.compile("[A-Za-z][%s]|[%s][a-z]|[aeouyAEOUY][øûïØÛÏ]|[öÖ][ôÔ]"
                   % (re.escape(_TCVN3_SIGN.replace("®", "").replace("§", "")), re.escape(_TCVN3_SIGN)))
MIN_SIGNS = 3
MIN_EVIDENCE = 5          # words a conversion must make Vietnamese before it is considered
CERTAIN_SHARE = 0.75      # of the words it touches, that many read as Vietnamese after it
LEGACY_SHARE = 0.4        # below this the text is not Vietnamese in that encoding at all


def may_be_legacy(text: str) -> bool:
    """Cheap test: the text holds a few signs of TCVN3 or VNI inside words."""
    found = 0
    for m in _CANDIDATE.finditer(text):   # one character class: a fast scan of a page without any
        at = m.start()
        if at and _SIGN.match(text, at - 1, at + 1) or _SIGN.match(text, at, at + 2):
            found += 1
            if found >= MIN_SIGNS:
                return True
    return False


@dataclass(frozen=True)
class WordCounts:
    words: int = 0       # words holding a character the encoding converts
    fixed: int = 0       # not a syllable as written, one converted
    broken: int = 0      # a syllable as written, not one converted
    both: int = 0        # a syllable either way

    @property
    def readable(self) -> float:
        return (self.fixed + self.both) / self.words if self.words else 0.0


@dataclass(frozen=True)
class Verdict:
    encoding: str | None     # "tcvn3", "vni", or None (not legacy text)
    certain: bool = False
    counts: WordCounts = WordCounts()
    other: WordCounts = WordCounts()

    def __str__(self) -> str:
        c = self.counts
        return (f"{self.encoding or 'no legacy encoding'}: {c.fixed} of {c.words} words read as "
                f"Vietnamese only converted, {c.readable:.0%} readable, {c.broken} made unreadable; "
                f"the other encoding fixes {self.other.fixed}")


def _word_pattern(encoding: str):
    return _TCVN3_WORD if encoding == "tcvn3" else _VNI_WORD


def count_words(texts: Iterable[str], encoding: str) -> WordCounts:
    words = fixed = broken = both = 0
    pattern = _word_pattern(encoding)
    for text in texts:
        for word in pattern.findall(text):
            if word.isascii():
                continue
            if not any(c.isalpha() for c in word):
                continue      # « © ® alone: symbols in any text
            words += 1
            before, after = is_syllable(word), is_syllable(to_unicode(word, encoding))
            if after and not before:
                fixed += 1
            elif before and not after:
                broken += 1
            elif before and after:
                both += 1
    return WordCounts(words, fixed, broken, both)


def detect(texts: Iterable[str]) -> Verdict:
    """Which legacy encoding the texts are in, if any, and whether that is certain.

    Give it the text pieces of a page that hold no Unicode-only Vietnamese letter."""
    texts = list(texts)
    counts = {encoding: count_words(texts, encoding) for encoding in LEGACY_ENCODINGS}
    best, other = sorted(LEGACY_ENCODINGS, key=lambda e: counts[e].fixed, reverse=True)
    found, rival = counts[best], counts[other]
    if found.fixed < MIN_EVIDENCE or found.readable < LEGACY_SHARE:
        return Verdict(None, False, found, rival)
    certain = (found.readable >= CERTAIN_SHARE and found.broken * 4 <= found.fixed
               and rival.fixed * 3 <= found.fixed)
    return Verdict(best, certain, found, rival)


def convert_piece(text: str, encoding: str, upper: bool = False) -> str:
    """One text piece of a page found to be in `encoding`, converted unless it says otherwise:
    a piece with a Unicode-only letter is Unicode already, and one whose words are syllables as
    written more often than converted was not typed in that font."""
    if has_unicode_vietnamese(text):
        return text
    counts = count_words([text], encoding)
    if counts.broken > counts.fixed:
        return text
    return to_unicode(text, encoding, upper)


def upper_case_font(font: str) -> bool:
    """A TCVN3 upper-case font name (".VnTimeH", ".VnArialH", "VnTimeH")."""
    return bool(_UPPER_FONT.search(font or ""))
