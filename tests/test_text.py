import unicodedata

import pytest

from common.text import content_key, fold_accents, fold_spaces, nfc, unify_tones


@pytest.mark.parametrize("old, new", [
    ("hoà", "hòa"), ("Hoà Bình", "Hòa Bình"), ("HOÀ", "HÒA"), ("thuỷ điện", "thủy điện"),
    ("khoẻ", "khỏe"), ("toà án", "tòa án"), ("xoè", "xòe"), ("Thuỵ Điển", "Thụy Điển"),
    ("hoạ sĩ", "họa sĩ"), ("uỷ ban", "ủy ban"),
])
def test_old_tone_placement_moves_to_the_first_vowel(old, new):
    assert unify_tones(old) == new
    assert unify_tones(new) == new


@pytest.mark.parametrize("word", ["quý", "Quỳ", "QUÝ", "hoàn", "hoài", "hoàng", "thuyền", "thuế", "hoặc",
                                  "hoạch", "khuya", "huỳnh", "ậ"])
def test_words_spelled_the_same_in_both_styles_are_left_alone(word):
    assert unify_tones(word) == word


def test_tone_placement_is_unified_word_by_word_in_running_text():
    assert unify_tones("Quý khách ở Hoà Bình, QUỲ HOÀ và thuỷ; hoà.") == "Quý khách ở Hòa Bình, QUỲ HÒA và thủy; hòa."


def test_decomposed_input_gives_the_same_keys_as_composed():
    text = "Hoà Bình: thuỷ điện Đà Nẵng khoẻ mạnh, hoặc không"
    decomposed = unicodedata.normalize("NFD", text)
    assert unify_tones(decomposed) == unify_tones(text)
    assert fold_accents(decomposed) == fold_accents(text) == "hoa binh: thuy dien da nang khoe manh, hoac khong"
    assert content_key(decomposed) == content_key(text.replace("Hoà", "Hòa"))


def test_accent_folding_turns_d_stroke_into_d():
    assert fold_accents("Đà Nẵng ĐẠI đường") == "da nang dai duong"


def test_nfc_drops_zero_width_characters_and_spaces_fold():
    assert nfc("tháng 9.\u200b Soft\u00adhyphen") == "tháng 9. Softhyphen"
    assert fold_spaces(" a\u00a0\u00a0b \t c ") == "a b c"
