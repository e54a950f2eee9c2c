import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import numpy as np

from archive import dedup
from common.text import content_key

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "archive"


def gold(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.gold.json").read_text(encoding="utf-8"))


def sig_of(sapo: str, body: str):
    from common.text import content_key
    return dedup.signature(dedup.shingles(dedup.story_lines(content_key(sapo), dedup.key_lines(body))))


def test_old_and_new_tone_placement_hash_the_same():
    assert dedup.content_hash("Hoà Bình thuỷ điện, khoẻ mạnh") == dedup.content_hash("Hòa Bình thủy điện, khỏe mạnh")


def test_decomposed_accents_hash_the_same_as_composed():
    text = gold("plo-874982")["body"]
    assert dedup.content_hash(unicodedata.normalize("NFD", text)) == dedup.content_hash(text)


def test_whitespace_and_case_do_not_change_the_hash():
    assert dedup.content_hash("Đà  Nẵng\n\nmưa\u00a0lớn ") == dedup.content_hash("đà nẵng mưa lớn")
    assert dedup.content_hash("Hòa Bình") != dedup.content_hash("Hóa Bình")


def test_lead_prefix_and_photo_credit_do_not_count_as_story():
    lines = dedup.story_lines("(cto) - phó bí thư thành ủy làm trưởng đoàn đến dâng hoa tưởng niệm",
                              ["đoàn đại biểu dâng hoa tại nghĩa trang liệt sĩ tỉnh. ảnh: thuận văn", "lê ánh"])
    assert lines == ["phó bí thư thành ủy làm trưởng đoàn đến dâng hoa tưởng niệm",
                     "đoàn đại biểu dâng hoa tại nghĩa trang liệt sĩ tỉnh."]


def test_reprinted_story_is_similar_and_different_stories_are_not():
    plo, vne = gold("plo-874982"), gold("vnexpress-4954454")
    body = plo["body"].split("\n", 1)[1]
    reprint = body.replace("Ảnh: THUẬN VĂN", "Ảnh: CTO").replace("Ảnh: LÊ ÁNH", "Ảnh: CTO") + "\nThanh Tâm"
    original = sig_of(plo["sapo"], body)
    copy = sig_of(plo["sapo"].replace("(PLO)-", "(CTO) -"), reprint)
    other = sig_of(vne["sapo"], vne["body"])
    assert dedup.similarity(original, copy) >= 0.9
    assert dedup.similarity(original, other) < 0.1
    assert set(dedup.band_keys(original)) & set(dedup.band_keys(copy))


def test_agency_lead_without_parentheses_is_stripped_too():
    lines = dedup.story_lines("ttxvn - chiều 7/3, thủ tướng chủ trì phiên họp chính phủ thường kỳ tháng 2", [])
    assert lines == ["chiều 7/3, thủ tướng chủ trì phiên họp chính phủ thường kỳ tháng 2"]


def test_too_short_text_gets_no_signature():
    assert sig_of("", "Theo TTXVN\nLê Sơn") is None


def test_signatures_are_the_same_in_another_process():
    """LSH buckets are stored: a restarted process must compute the very same keys."""
    text = gold("baolaocai-404649")["body"]
    code = ("import sys, json; from archive import dedup; from common.text import content_key;"
            "t = sys.stdin.read(); s = dedup.signature(dedup.shingles(dedup.story_lines('', dedup.key_lines(t))));"
            "print(json.dumps(dedup.band_keys(s)))")
    out = subprocess.run([sys.executable, "-c", code], input=text, capture_output=True, text=True,
                         env={"PYTHONHASHSEED": "123"}, check=True, cwd=Path(__file__).resolve().parents[1])
    assert json.loads(out.stdout) == dedup.band_keys(sig_of("", text))


def test_key_lines_join_to_content_key():
    from common.text import content_key
    texts = [json.loads(p.read_text(encoding="utf-8"))["body"] for p in sorted(FIXTURES.glob("*.gold.json"))]
    words = ["hoặc", "Hoà Bình", "khoẻ", "thuỷ", "quý", "hoàn", "toé", "xoè", "huỳnh", "HOÀ", "oà", "Quỳ",
             "uỷ ban", "hoạ sĩ", "hoàng", "khuya", "Thuỵ Điển", "loè loẹt", "hoà2", "ậ", "toạ đàm"]
    texts += words + [" ".join(words)]
    texts += [t.replace("hòa", "hoà").replace("thủy", "thuỷ").replace("Hòa", "HOÀ") for t in texts]
    texts += [unicodedata.normalize("NFD", t) for t in texts] + [t.upper() for t in texts]
    for text in texts:
        assert " ".join(dedup.key_lines(text)) == content_key(text)


def test_signatures_never_change_between_versions():
    """Archives keep signatures and LSH keys on disk: a change here silently breaks dedup of old articles."""
    text = ("Huyện ủy Yên Lạc tổ chức hội nghị tổng kết công tác Đảng năm 2022, giao chỉ tiêu, nhiệm vụ "
            "trọng tâm năm 2023 cho người đứng đầu các cơ quan, đơn vị, địa phương.")
    sig = sig_of("", text)
    assert sig[:4].tolist() == [6976475, 134039125, 149866582, 410300189]
    assert dedup.band_keys(sig)[:2] == [729646379796363379, 5498092592916332517]


def test_signature_of_a_long_text_is_computed_in_blocks_with_the_same_result():
    hashes = np.random.default_rng(7).integers(0, 2**63, size=3 * dedup._BLOCK + 5, dtype=np.uint64)
    with np.errstate(over="ignore"):
        whole = ((np.multiply.outer(hashes, dedup._A) + dedup._B).min(axis=0) >> np.uint64(32)).astype(np.uint32)
    assert np.array_equal(dedup.signature(hashes), whole)


def test_leaving_lines_out_of_a_signature_from_prepared_syllable_ids_changes_nothing():
    """The writer drops a site's boilerplate lines from a prepared article's signature using the
    syllable ids prepared with it (numpy only): the same MinHash as shingling the kept lines anew."""
    import random

    from archive.store import prepare_content

    checked = 0
    for path in sorted((Path(__file__).resolve().parents[2] / "shared" / "corpora" / "vi-news" / "pages").glob("*.gold.json")):
        gold = json.loads(path.read_text(encoding="utf-8"))
        content = prepare_content({"url": gold["url"], "title": gold["title"], "sapo": gold.get("sapo") or "",
                                   "body": gold["body"]})
        lines = dedup.story_lines(content_key(gold.get("sapo") or ""), dedup.key_lines(content["body"]))
        assert len(lines) == len(content["_line_ids"])
        rng = random.Random(path.name)
        for _ in range(3):
            kept = [i for i in range(len(lines)) if rng.random() > 0.3]
            anew = dedup.signature(dedup.shingles([lines[i] for i in kept]))
            ids = [content["_line_ids"][i] for i in kept]
            prepared = dedup.signature(dedup.shingles_of(np.concatenate(ids) if ids else np.empty(0, dtype=np.uint64)))
            assert (anew is None and prepared is None) or (anew == prepared).all()
            checked += anew is not None
    assert checked >= 10
