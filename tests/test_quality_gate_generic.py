"""Quality gate for the generic extractor: scores pinned as floors that may only go up.

English: the 181 pages of the article-extraction benchmark, scored like bench/generic_score.py
(word 4-gram shingles, macro F1, shared/tools/extraction_score.py). Vietnamese: the vi-news
pages forced down the generic path, body compared with the gold body (sapo excluded on both
sides: the full path shows a lead the generic extractor takes with the text once, as the sapo). Raise a floor when a change beats it.
"""
import gzip
import hashlib
import json
import sys
import warnings
from pathlib import Path

import lxml.html
import pytest

from pipelines.clean_text import clean_paragraphs
from common.text import without_captions
from pipelines.extract import ExtractionError, extract_article
from pipelines.generic import extract_body, page_title

SHARED = Path(__file__).resolve().parents[2] / "shared"
BENCH = SHARED / "corpora" / "article-extraction-benchmark"
VI_PAGES = SHARED / "corpora" / "vi-news" / "pages"
sys.path.insert(0, str(SHARED / "tools"))
with warnings.catch_warnings():      # the shared scorer's docstring has a "\w" escape
    warnings.simplefilter("ignore", DeprecationWarning)
    from extraction_score import page_counts, page_precision, page_recall, score_pages  # noqa: E402

# Floors, measured 2026-11-27: F1 0.9710 as returned (captions kept, tintinh's convention),
# 0.9747 without captions (the benchmark's convention); trafilatura 2.3.1 favor_precision
# scores 0.9641, readability-lxml 0.9495 in the same run. Raised 2026-11-30 (junk, captions and
# picture boxes known by what they are): 0.9722 as returned, 0.9784 without captions.
F1_FLOOR = 0.9728       # 2026-12-01: 0.9726 as returned, 0.9789 without captions; 2026-12-02: 0.9729
F1_NO_CAPTIONS_FLOOR = 0.9785
# The full path users and the crawler run (extract_article), scored as score_vi does: sapo, then
# body. Measured 0.9708 (P 0.961, R 0.981); every page extracted, none refused. 2026-11-30: F1
# 0.9721, accuracy 0.420 as returned; in the benchmark's convention (lines that are the article's
# image captions left out) F1 0.9782, accuracy 0.514 (Zyte AutoExtract, the best published
# system: F1 0.970, accuracy 0.470). 2026-12-01, that convention as `tintinh extract --no-captions`
# gives it: F1 0.9786, accuracy 0.514 (the ratchet: F1 >= 0.975, accuracy >= 0.47); as returned
# 0.9726, accuracy 0.420 (more/less toggles, captions cut short, teasers and appeals by content).
FULL_PATH_F1_FLOOR = 0.9728    # 2026-12-02: 0.9729 (a slideshow by the text: its captions go with its pictures)
FULL_PATH_ACCURACY_FLOOR = 0.419
FULL_PATH_NO_CAPTIONS_F1_FLOOR = 0.9785
FULL_PATH_NO_CAPTIONS_ACCURACY_FLOOR = 0.513
VI_PRECISION_FLOOR = 0.999     # mean over the 8 pages, after clean_paragraphs (measured 1.0)
VI_RECALL_FLOOR = 0.999
# Same pages with every class/id replaced by a hash (measured 2026-11-27: P 0.987, R 1.0, 1 junk
# snippet, tuoitre's RelatedOneNews box, which only its name gave away; 2026-11-30: P 1.0, no junk,
# the box is known as a teaser by what it holds).
VI_ANONYMOUS_PRECISION_FLOOR = 0.999
VI_ANONYMOUS_LEAKS_CEILING = 0


def _parse(data: bytes):
    return lxml.html.document_fromstring(data.decode("utf-8", "replace"))


@pytest.fixture(scope="module")
def benchmark_outputs():
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    with_captions, without_captions = {}, {}
    for path in sorted((BENCH / "html").glob("*.html.gz")):
        pid = path.name.split(".")[0]
        root = _parse(gzip.decompress(path.read_bytes()))
        paragraphs, images = extract_body(root, page_title(root))
        captions = {image["caption"] for image in images}
        with_captions[pid] = "\n".join(paragraphs)
        without_captions[pid] = "\n".join(p for p in paragraphs if p not in captions)
    gt = {pid: truth[pid]["articleBody"] for pid in with_captions}
    return gt, with_captions, without_captions


@pytest.fixture(scope="module")
def full_path_outputs():
    truth = json.loads((BENCH / "ground-truth.json").read_text(encoding="utf-8"))
    outputs, refused, bare = {}, {}, {}
    for pid, entry in truth.items():
        html = gzip.decompress((BENCH / "html" / f"{pid}.html.gz").read_bytes())
        try:
            article = extract_article(html, entry["url"])
        except ExtractionError as exc:
            refused[pid] = str(exc)
            continue
        outputs[pid] = "\n".join(part for part in (article["sapo"], article["body"]) if part)
        shown = without_captions(article)      # what `tintinh extract --no-captions` prints
        bare[pid] = "\n".join(part for part in (shown["sapo"], shown["body"]) if part)
    return {pid: entry["articleBody"] for pid, entry in truth.items()}, outputs, refused, bare


def test_full_path_extracts_every_benchmark_page(full_path_outputs):
    gt, outputs, refused, _ = full_path_outputs
    assert len(gt) == 181
    assert refused == {}


def test_full_path_f1_and_accuracy_stay_above_their_floors(full_path_outputs):
    gt, outputs, _, _ = full_path_outputs
    scores = score_pages(gt, outputs)
    assert scores["f1"] >= FULL_PATH_F1_FLOOR
    assert scores["accuracy"] >= FULL_PATH_ACCURACY_FLOOR


def test_full_path_in_the_benchmarks_convention_stays_above_its_floors(full_path_outputs):
    """The benchmark's articleBody leaves image captions out: so does `tintinh extract --no-captions`
    (common.text.without_captions), scored here as a user would reproduce it."""
    gt, _, _, without = full_path_outputs
    scores = score_pages(gt, without)
    assert scores["f1"] >= FULL_PATH_NO_CAPTIONS_F1_FLOOR
    assert scores["accuracy"] >= FULL_PATH_NO_CAPTIONS_ACCURACY_FLOOR


def test_benchmark_covers_all_181_pages(benchmark_outputs):
    gt, with_captions, _ = benchmark_outputs
    assert len(gt) == 181
    assert all(with_captions[pid] for pid in gt), "no page may come out empty"


def test_benchmark_f1_stays_above_its_floor(benchmark_outputs):
    gt, with_captions, _ = benchmark_outputs
    assert score_pages(gt, with_captions)["f1"] >= F1_FLOOR


def test_benchmark_f1_without_captions_stays_above_its_floor(benchmark_outputs):
    gt, _, without_captions = benchmark_outputs
    assert score_pages(gt, without_captions)["f1"] >= F1_NO_CAPTIONS_FLOOR


def _vi_scores(anonymise: bool) -> tuple[float, float, list[str]]:
    precisions, recalls, leaks = [], [], []
    for gold_path in sorted(VI_PAGES.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        root = _parse(gold_path.with_name(gold["id"] + ".html").read_bytes())
        if anonymise:                # a site whose class and id names mean nothing
            for el in root.iter():
                for attr in ("class", "id"):
                    if isinstance(el.tag, str) and el.get(attr):
                        el.set(attr, "x" + hashlib.md5(el.get(attr).encode()).hexdigest()[:6])
        paragraphs, _ = extract_body(root, page_title(root))
        kept, _, _ = clean_paragraphs(paragraphs, gold["title"])
        kept = [k for k in kept if k != gold["sapo"]]   # a lead taken with the text is the sapo
        body = gold["body"].split("\n")
        expected = "\n".join(body[1:] if gold["sapo"] and body[0] == gold["sapo"] else body)
        counts = page_counts(expected, "\n".join(kept))
        precisions.append(page_precision(*counts))
        recalls.append(page_recall(*counts))
        leaks += [j for j in gold["junk"] if j.casefold() in "\n".join(kept).casefold()]
    assert len(precisions) == 8
    return sum(precisions) / len(precisions), sum(recalls) / len(recalls), leaks


def test_vietnamese_pages_on_the_generic_path_stay_above_their_floors():
    precision, recall, leaks = _vi_scores(anonymise=False)
    assert leaks == []
    assert precision >= VI_PRECISION_FLOOR and recall >= VI_RECALL_FLOOR


def test_vietnamese_pages_with_meaningless_class_names_stay_above_their_floors():
    precision, recall, leaks = _vi_scores(anonymise=True)
    assert len(leaks) <= VI_ANONYMOUS_LEAKS_CEILING
    assert precision >= VI_ANONYMOUS_PRECISION_FLOOR and recall >= VI_RECALL_FLOOR


def test_vietnamese_image_captions_on_the_generic_path_are_the_gold_captions():
    for gold_path in sorted(VI_PAGES.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        root = _parse(gold_path.with_name(gold["id"] + ".html").read_bytes())
        paragraphs, images = extract_body(root, page_title(root))
        found = {image["caption"] for image in images if image["caption"]}
        assert found == set(gold["captions"]), gold["id"]
        assert all(paragraphs.count(caption) == 1 for caption in found), gold["id"]
