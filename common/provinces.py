"""The gazetteer (provinces.toml, data): Vietnam's 34 provinces since the 1 July 2025 merger, the
63 before it, common spellings, and the provinces an article's text is about.

- `resolve_province("Yên Bái")` → ("Lào Cai", "Yên Bái"): any spelling, accents and case optional.
- `province_label(name)`: the one name to show and filter by (today's province, or NATIONAL).
- `provinces_meant("Tây Nguyên")` → ["Gia Lai", "Đắk Lắk", "Lâm Đồng"]: what a province filter
  means, a region's provinces included.
- `provinces_named(title, sapo, body)`: provinces the article names where a name is a place
  (a dateline, a "Lào Cai: …" title, "tỉnh X", "TP X", "tại X", …), never any substring: "Hà
  Giang" is also a person, "Hòa Bình" peace, "Long An" two common words.
- `article_provinces(own, title, sapo, body)`: its paper's province first, then the ones named.

Pure and standard library only: the registry, extraction and the archive all read it.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from common.text import fold_accents, nfc, unify_tones

GAZETTEER = files(__package__) / "provinces.toml"  # read from the package: also inside a zipped egg
# What an article of no province (a national outlet's, naming none) is filed under, everywhere.
NATIONAL = "national"
_NATIONAL_KEYS = {"national", "toan quoc", "quoc gia", "trung uong"}


@dataclass(frozen=True)
class Province:
    """A province or centrally-run city since 1 July 2025, with the provinces merged into it."""
    name: str
    before: tuple[str, ...]


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_PREFIXES = ("thanh pho ", "tp ", "tinh ")


def province_key(name: str | None) -> str:
    """The form names are compared in: "Thanh Hoá", "thanh hoa", "THANH HÓA" are one province;
    so are "TP. Hồ Chí Minh" and "Hồ Chí Minh", "Bà Rịa–Vũng Tàu" and "Bà Rịa - Vũng Tàu"."""
    key = _NOT_ALNUM.sub(" ", fold_accents(unify_tones(nfc(name or ""))).lower()).strip()
    for prefix in _PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            return key[len(prefix):]
    return key


@cache
def _data() -> dict:
    return tomllib.loads(GAZETTEER.read_text(encoding="utf-8"))


@cache
def load_provinces() -> tuple[Province, ...]:
    """The 34 provinces, in the gazetteer's order."""
    return tuple(Province(nfc(p["name"]), tuple(nfc(b) for b in p["before"])) for p in _data()["province"])


@cache
def _gazetteer() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """({key: new name}, {key: old name}, {old name: new name}), aliases included."""
    new, old, merged_into = {}, {}, {}
    for province in load_provinces():
        new[province_key(province.name)] = province.name
        for name in province.before:
            old[province_key(name)] = name
            merged_into[name] = province.name
    for spelling, name in _data().get("aliases", {}).items():
        key, target = province_key(spelling), province_key(name)
        if target in new:
            new[key] = new[target]
        else:
            old[key] = old[target]
    return new, old, merged_into


def resolve_province(name: str | None) -> tuple[str | None, str | None]:
    """(province since the merger, province before it) named by `name`, in the gazetteer's
    spelling; either may be None. A name of both eras ("Phú Thọ") gives both; an old name gives
    the province it was merged into: "Yên Bái" → ("Lào Cai", "Yên Bái"), "hcm" → ("Hồ Chí Minh", None)."""
    new, old, merged_into = _gazetteer()
    key = province_key(name)
    before = old.get(key)
    return new.get(key) or (merged_into[before] if before else None), before


def only_before_merger(name: str | None) -> bool:
    """Whether `name` is a province of before the merger only ("Yên Bái"), none of today's."""
    new, old, _ = _gazetteer()
    key = province_key(name)
    return key in old and key not in new


def is_national(name: str | None) -> bool:
    """Whether `name` is the national label ("national", "(national)", "toàn quốc", …)."""
    return province_key(name) in _NATIONAL_KEYS


def province_label(name: str | None) -> str | None:
    """Today's province for any spelling of a new or old one, NATIONAL for the national label,
    None for a name the gazetteer does not know: "yen bai" → "Lào Cai", "(national)" → "national"."""
    if is_national(name):
        return NATIONAL
    return resolve_province(name)[0]


# -- regions -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Region:
    """A region of the country and today's provinces in it."""
    name: str
    provinces: tuple[str, ...]


@cache
def load_regions() -> tuple[Region, ...]:
    """The six socio-economic regions, then the three parts of the country, in the gazetteer's order."""
    regions: dict[str, Region] = {}
    for entry in _data().get("region", []):
        provinces = [nfc(p) for p in entry.get("provinces", [])]
        for part in entry.get("regions", []):
            provinces += regions[nfc(part)].provinces
        regions[nfc(entry["name"])] = Region(nfc(entry["name"]), tuple(provinces))
    return tuple(regions.values())


@cache
def _regions_by_key() -> dict[str, Region]:
    out = {}
    for region, entry in zip(load_regions(), _data().get("region", [])):
        for name in (region.name, *entry.get("aliases", [])):
            out[province_key(name)] = region
    return out


def region_named(name: str | None) -> Region | None:
    """The region `name` names, any spelling ("mekong delta", "ĐBSCL", "Tây Nguyên"), else None."""
    return _regions_by_key().get(province_key(name))


def provinces_meant(name: str | None) -> list[str]:
    """The provinces a filter means: a region's, or the one province any of its names gives
    ("yen bai" → ["Lào Cai"]), [NATIONAL] for the national label, [] for a name we do not know.
    A province's own name wins over a region's alias ("Huế" is the city)."""
    label = province_label(name)
    if label:
        return [label]
    region = region_named(name)
    return list(region.provinces) if region else []


# -- finding provinces in an article's text ---------------------------------------------------

_UPPER = "A-ZÀ-ỸĐ"     # NFC capitals of Vietnamese (À … Ỹ spans the precomposed letters)
_SEP = r"(?:\s*[-–—]\s*|\s+)"   # between a name's words: "Bà Rịa - Vũng Tàu", "Bà Rịa–Vũng Tàu"
# Words that make the next name a place. Case-insensitive; TP may touch the name ("TPHCM").
_ADMIN = r"(?i:tỉnh|thành\s+phố|thủ\s+đô|tp\.?)\s*"
_AT = r"(?:tại|Tại|TẠI|ở|Ở)\s+"
# A dateline opens the sapo or body: an outlet's tag first, maybe ("(Dân trí) -", "NDO -"),
# then the place, then a dash or colon, or a comma and a date ("Hà Nội, 7/3/2026").
_OUTLET = r"(?:\([^()\n]{1,40}\)\s*[-–—:]?\s*|[A-Z][A-Za-z.+]{1,15}\s*[-–—]\s+)?"
_DATELINE_END = r"\)?\s*(?:[-–—:]|,\s*(?:ngày\s*)?\d)"
# In a sapo, "đi/từ/đến … X" is a trip's end, not where the news is ("tuyến đi Hà Nội, TP.HCM").
_TRIP_WORDS = {"đi", "từ", "đến", "tới", "về", "sang", "ra", "vào"}
_WORD_BEFORE = re.compile(r"(\w+)\W*$")


def _name_pattern(name: str) -> str:
    return _SEP.join(re.escape(word) for word in re.split(r"\s*[-–—]\s*|\s+", name))


@cache
def _matcher():
    """(names alternation, {name key: new province}, keys that need a context, refused longer names)."""
    new, old, merged_into = _gazetteer()
    names: dict[str, str] = {}
    for province in load_provinces():
        names[province.name] = province.name
        for before in province.before:
            names[before] = province.name
    for spelling in _data().get("aliases", {}):
        now, _ = resolve_province(spelling)
        if now:
            names[nfc(spelling)] = now
    by_key = {province_key(unify_tones(name)): now for name, now in names.items()}
    text = _data().get("text", {})
    needs_context = {province_key(n) for n in text.get("needs_context", ())}
    # longest first, so "Bà Rịa - Vũng Tàu" wins over "Vũng Tàu" and "Thừa Thiên Huế" over "Huế"
    alternation = "|".join(_name_pattern(unify_tones(n)) for n in sorted(names, key=len, reverse=True))
    refused = [re.compile(_name_pattern(unify_tones(nfc(n)))) for n in text.get("not_provinces", ())]
    return alternation, by_key, needs_context, refused


@cache
def _patterns():
    names, _, _, _ = _matcher()
    name = rf"(?<!\w)(?P<name>{names})(?!\w)"
    also = rf"(?:\s*,\s*|\s+và\s+|\s*;\s*)(?P<name>{names})(?!\w)"   # a list after "tại X"
    return {
        "admin": re.compile(rf"(?<!\w){_ADMIN}(?P<name>{names})(?!\w)"),
        "at": re.compile(rf"(?<!\w){_AT}{name}"),
        "old": re.compile(rf"{name}\s*\(?cũ\b"),
        "title_prefix": re.compile(rf"^\s*\(?(?P<name>{names})\)?\s*[:–—-]\s"),
        "dateline": re.compile(rf"^\s*{_OUTLET}\(?(?i:(?P<name>{names}))(?!\w){_DATELINE_END}"),
        "bare": re.compile(name),
        "also": re.compile(also),
        "list_before": re.compile(rf"(?:(?:{names})\s*(?:,|\svà|;)\s*)+$"),
    }


def _refused(text: str, m: re.Match) -> bool:
    """Whether the name matched is part of a longer name that is no province ("Thái Bình Dương")."""
    _, _, _, refused = _matcher()
    start, end = m.span("name")
    for pattern in refused:
        for r in pattern.finditer(text, max(0, start - 40), min(len(text), end + 40)):
            if r.start() <= start and end <= r.end():
                return True
    return False


def _touches_capital(text: str, start: int, end: int) -> bool:
    """Whether a capitalised word comes right before or after (the name is part of another name)."""
    before = re.search(rf"(?:^|\s)([{_UPPER}][\w.]*)\s+$", text[max(0, start - 30):start])
    after = re.match(rf"\s+[{_UPPER}0-9]", text[end:end + 3])
    return bool(before) or bool(after)


def _found(text: str, kind: str, sapo: bool = False):
    """(position, key) of each name the pattern `kind` finds in `text`, with any list after it."""
    _, by_key, needs_context, _ = _matcher()
    for m in _patterns()[kind].finditer(text):
        if _refused(text, m):
            continue
        if sapo and kind in ("admin", "at"):
            start = m.start()   # "đi Hà Nội, TP.HCM": the list's first name says where it goes
            if (names := _patterns()["list_before"].search(text, max(0, start - 120), start)) is not None:
                start = names.start()
            word = _WORD_BEFORE.search(text[max(0, start - 20):start])
            if word and word.group(1).lower() in _TRIP_WORDS:
                continue
        key = province_key(m.group("name"))
        if kind == "bare" and (key in needs_context or _touches_capital(text, *m.span("name"))):
            continue
        yield m.start("name"), key
        if kind in ("at", "admin"):
            end = m.end()
            while (more := _patterns()["also"].match(text, end)) and not _refused(text, more):
                yield more.start("name"), province_key(more.group("name"))
                end = more.end()


def provinces_named(title: str | None = "", sapo: str | None = "", body: str | None = "") -> list[str]:
    """Today's provinces an article is about by its own words, in order of first mention: a
    title "Lào Cai: …" or one naming a province alone ("Thanh Hóa có 61 học sinh…"), a dateline
    opening the sapo or body, and "tỉnh X", "TP X", "tại X", "X cũ" in the title or sapo. Old
    names give the province they were merged into ("tỉnh Yên Bái" → Lào Cai)."""
    _, by_key, _, _ = _matcher()
    title, sapo = unify_tones(nfc(title)), unify_tones(nfc(sapo))
    opening = unify_tones(nfc((body or "")[:300]))
    hits: list[tuple[int, int, str]] = []
    for part, text in enumerate((title, sapo, opening)):
        if not text:
            continue
        kinds = (("title_prefix", "dateline", "admin", "at", "old", "bare") if part == 0 else
                 ("dateline", "admin", "at", "old") if part == 1 else ("dateline",))
        for kind in kinds:
            hits += [(part, position, key) for position, key in _found(text, kind, sapo=part == 1)]
    out: list[str] = []
    for _, _, key in sorted(hits):
        now = by_key.get(key)
        if now and now not in out:
            out.append(now)
    return out


def article_provinces(own: str | None, title: str | None = "", sapo: str | None = "",
                      body: str | None = "", given=()) -> list[str]:
    """Every province an article is about, today's names: its paper's (`own`), any it was
    already tagged with (`given`, any spelling), then the ones its title, sapo and dateline name.
    An empty list is national coverage (shown as NATIONAL)."""
    out: list[str] = []
    for name in [own, *(given or ())]:
        now = resolve_province(name)[0] if isinstance(name, str) and name else None
        if now and now not in out:
            out.append(now)
    for now in provinces_named(title, sapo, body):
        if now not in out:
            out.append(now)
    return out
