"""A redesign must not change the article: every real page we have, put through a simulated redesign
(tests/redesign.py: class and id names renamed, <article>/<section>/<main>/<header> turned into
<div>, the domain unknown, headline boxes moved into the text, captions said twice), gives the same
article as the original page. The English benchmark's pages, redesigned the same way, score about
as well as the originals."""
import gzip
import json
import sys
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest

from common.text import without_captions
from pipelines.extract import ExtractionError, extract_article
from redesign import INNER_STEPS, SEMANTIC_TAGS, redesign
from registered import extract_registered
import test_extract_real_layouts as layouts

SHARED = Path(__file__).resolve().parents[2] / "shared"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "pages"
VI_PAGES = SHARED / "corpora" / "vi-news" / "pages"
BENCH = SHARED / "corpora" / "article-extraction-benchmark"
sys.path.insert(0, str(SHARED / "tools"))
with warnings.catch_warnings():      # the shared scorers have a "\w" escape in a docstring
    warnings.simplefilter("ignore", DeprecationWarning)
    from extraction_score import score_pages  # noqa: E402
    from score_vi import extracted_text, score_page  # noqa: E402

# The benchmark's F1 on the redesigned pages may be this much below the originals' (measured: the
# originals 0.9721, redesigned 0.9700; what only class names give away: promo boxes, staff lists).
# 2026-12-01: originals 0.9726, redesigned 0.9730 (teasers by their pictures, appeal boxes, captions by
# position, related lists that end), the benchmark's convention 0.9786 and 0.9797.
BENCHMARK_REDESIGN_F1_LOSS = 0.002
# Pages whose redesign scores more than PAGE_LOSS below the original: a ceiling that only goes down
# (9 on 2026-11-30; 1 on 2026-12-01: therepublic, whose gallery captions the original loses to a
# "popup" class name and the redesign kept; 0 since a slideshow by the text is known by its shape:
# pictures each with its caption and nothing else to read, captions kept with the pictures only).
# The same ceiling without captions (businessinsider's last line, 28% link text, beside a list that
# won: a paragraph beside the text is prose under 30% links, as anywhere else).
PAGE_LOSS = 0.02
BENCHMARK_PAGES_LOSING_CEILING = 0


def _real_pages() -> list[tuple[str, bytes, dict]]:
    """(id, page bytes, gold) for every saved real page with a gold extraction: the fixtures and
    the shared corpus (the same page once)."""
    pages = {}
    for gold_path in sorted(FIXTURES.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        pages[gold["id"]] = (gzip.decompress((FIXTURES / f"{gold['id']}.html.gz").read_bytes()), gold)
    for gold_path in sorted(VI_PAGES.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        pages.setdefault(gold["id"], ((VI_PAGES / f"{gold['id']}.html").read_bytes(), gold))
    return [(pid, html, gold) for pid, (html, gold) in sorted(pages.items())]


REAL_PAGES = _real_pages()


def _text_paragraphs(gold: dict) -> list[str]:
    body = gold["body"].split("\n")
    return body[1:] if gold["sapo"] and body[0] == gold["sapo"] else body


def _same_article(gold: dict, original: dict, redesigned: dict, junk: list[str]) -> dict:
    """What differs between the redesigned page's article and the original's ({} when nothing)."""
    score = score_page(gold, redesigned)
    text = extracted_text(redesigned).casefold()
    problems = {
        "f1": round(score["f1"], 4) if score["f1"] < 0.99 else None,
        "junk": score["junk"] + [j for j in junk if j.casefold() in text],
        "captions twice": score["captions_repeated"],
    }
    for field in ("title", "authors", "published_at"):
        if redesigned[field] != original[field]:
            problems[field] = (original[field], redesigned[field])
    return {k: v for k, v in problems.items() if v}


def test_every_real_page_with_a_gold_is_simulated():
    assert len(REAL_PAGES) == 8


def test_the_simulation_renames_every_name_replaces_the_tags_and_the_domain():
    pid, html, gold = next(p for p in REAL_PAGES if p[0].startswith("tuoitre"))
    page = redesign(html, gold["url"], _text_paragraphs(gold), gold["captions"])
    root = lxml.html.document_fromstring(page.html)
    before = lxml.html.document_fromstring(html.decode("utf-8"))
    old_names = {c for el in before.iter() if isinstance(el.tag, str) for c in (el.get("class") or "").split()}
    new_names = {c for el in root.iter() if isinstance(el.tag, str) for c in (el.get("class") or "").split()}
    assert old_names and not old_names & new_names
    assert not any(True for _ in root.iter(*SEMANTIC_TAGS))
    assert urlsplit(page.url).hostname != urlsplit(gold["url"]).hostname
    assert "tuoitre.vn" not in " ".join(v for el in root.iter() for v in el.attrib.values())
    assert len(page.injected) >= 2 and page.moved and page.captions_repeated == 2
    glued = [el for el in root.iter("div") if el.text_content() == "".join(page.injected)]
    assert len(glued) == 1 and not glued[0].get("class")    # the run-together box, nameless


@pytest.mark.parametrize("pid, html, gold", REAL_PAGES, ids=[p[0] for p in REAL_PAGES])
def test_a_redesigned_unknown_site_gives_the_same_article(pid, html, gold):
    original = extract_registered(html, gold["url"])
    page = redesign(html, gold["url"], _text_paragraphs(gold), gold["captions"])
    redesigned = extract_article(page.html, page.url)
    assert redesigned["extraction"]["body"] == "generic"
    assert _same_article(gold, original, redesigned, page.junk) == {}


@pytest.mark.parametrize("pid, html, gold", REAL_PAGES, ids=[p[0] for p in REAL_PAGES])
def test_a_known_layout_whose_inner_boxes_were_renamed_gives_the_same_article(pid, html, gold):
    original = extract_registered(html, gold["url"])
    page = redesign(html, gold["url"], _text_paragraphs(gold), gold["captions"], steps=INNER_STEPS)
    redesigned = extract_registered(page.html, page.url)
    assert redesigned["extractor"] == original["extractor"] != "generic@1"
    assert _same_article(gold, original, redesigned, page.junk) == {}


LAYOUTS = [("baocantho", layouts.CANTHO, layouts.CANTHO_URL),
           ("znews", layouts.ZNEWS, "https://znews.vn/phat-hanh-du-an-tien-ao-post1592000.html"),
           ("baodautu", layouts.BAODAUTU, "https://baodautu.vn/xu-phat-giam-doc-tai-chinh-d538952.html")]


@pytest.mark.parametrize("name, html, url", LAYOUTS, ids=[c[0] for c in LAYOUTS])
def test_a_redesigned_real_layout_keeps_its_text_shown_date_and_byline(name, html, url):
    original = extract_registered(html, url)
    captions = [image["caption"] for image in original["images"] if image["caption"]]
    page = redesign(html, url, original["body"].split("\n"), captions)
    redesigned = extract_article(page.html, page.url)
    for field in ("title", "authors", "published_at"):
        assert redesigned[field] == original[field], field
    assert "\n".join(filter(None, (redesigned["sapo"], redesigned["body"]))) == \
        "\n".join(filter(None, (original["sapo"], original["body"])))


def test_a_date_and_byline_found_by_their_shape_say_so():
    cantho = redesign(layouts.CANTHO, layouts.CANTHO_URL, [layouts.P1, layouts.P2])
    article = extract_article(cantho.html, cantho.url)
    assert article["published_at"] == "2026-01-08T18:21:00+07:00"     # the metadata has the day only
    assert article["extraction"]["published"] == "visible"
    assert article["extraction"]["authors"] == "position"              # "Tin, ảnh: P.Y" after the text
    url = "https://baodautu.vn/xu-phat-giam-doc-tai-chinh-d538952.html"
    baodautu = redesign(layouts.BAODAUTU, url, [layouts.P1, layouts.P2])
    article = extract_article(baodautu.html, baodautu.url)
    assert article["authors"] == ["Nguyên Minh"]                       # "Nguyên Minh - 07/03/2026 08:47"
    assert article["extraction"] == {"body": "generic", "published": "visible", "authors": "position",
                                     "boxes_by_content": 0}


def test_the_original_layout_says_its_fields_came_from_the_layout_and_the_metadata():
    pid, html, gold = next(p for p in REAL_PAGES if p[0].startswith("vnexpress"))
    article = extract_registered(html, gold["url"])
    assert article["extraction"]["body"] == "family"
    assert article["extraction"]["published"] == "metadata"
    assert article["extraction"]["authors"] == "selector"


@pytest.fixture(scope="module")
def benchmark():
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    gt, original, redesigned = {}, {}, {}
    bare = {"original": {}, "redesigned": {}}      # captions left out (the benchmark's convention)

    def texts(html, url):
        try:
            article = extract_article(html, url)
        except ExtractionError:
            return "", ""
        return tuple("\n".join(part for part in (a["sapo"], a["body"]) if part)
                     for a in (article, without_captions(article)))
    for pid, entry in sorted(truth.items()):
        html = gzip.decompress((BENCH / "html" / f"{pid}.html.gz").read_bytes())
        gt[pid] = entry["articleBody"]
        original[pid], bare["original"][pid] = texts(html, entry["url"])
        page = redesign(html, entry["url"], [p for p in entry["articleBody"].split("\n") if p.strip()])
        redesigned[pid], bare["redesigned"][pid] = texts(page.html, page.url)
    return gt, original, redesigned, bare


def test_the_benchmark_pages_redesigned_score_about_as_well_as_the_originals(benchmark):
    gt, original, redesigned, _ = benchmark
    assert len(gt) == 181
    assert [pid for pid in gt if original[pid] and not redesigned[pid]] == []
    _assert_about_as_well(gt, original, redesigned)


def test_the_benchmark_pages_redesigned_score_about_as_well_without_captions(benchmark):
    gt, _, _, bare = benchmark
    _assert_about_as_well(gt, bare["original"], bare["redesigned"])


def _assert_about_as_well(gt: dict, original: dict, redesigned: dict) -> None:
    before, after = score_pages(gt, original), score_pages(gt, redesigned)
    assert after["f1"] >= before["f1"] - BENCHMARK_REDESIGN_F1_LOSS
    was = {r["id"]: r["f1"] for r in before["per_page"]}
    losing = [r["id"] for r in after["per_page"] if r["f1"] < was[r["id"]] - PAGE_LOSS]
    assert len(losing) <= BENCHMARK_PAGES_LOSING_CEILING, losing
