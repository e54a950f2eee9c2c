"""TCVN3 (ABC) and VNI font text → Unicode: the tables, real legacy text, and detection that never
fires on Unicode Vietnamese or on other languages.

Where the legacy samples come from (public material found with the search tool; quoted verbatim):
- TCVN3_CIRCULAR: Thông tư 99/1998/TT-BTC of the Ministry of Finance, an RTF file typed in
  .VnTime/.VnTimeH (TrizenX/viparse-corpus, corpus/public-domain/tcvn3/2003-A04.rtf), its bytes
  written there as RTF escapes (\\'ab), which `rtf()` reads back; expected text checked against
  the corpus's own transcript (ground-truth/2003-A04.txt).
- TCVN3_QUOTED: lines other public projects quote from real documents: a Ministry of Finance
  decision of November 2002 as read in Latin-1 (with its soft hyphens lost, as copies lose them),
  a Bắc Giang court record, a "Quyết định" header, Lào Cai place names.
- VNI_PROSE: the "Lời tự bạch" of a Hà Nội restaurant's app, set in the VNI-JackieO font
  (a public React Native project), typos of the original kept ("lean", "ngã từ").
- VNI_QUOTED: a Word-saved HTML contract template whose <title> is still VNI, and a government
  document header quoted by the viparse project's samples.
- The brief's two phrases: "Kh«ng ån µo" (the lead of the baolaocai article in TCVN3) and
  "Giaù hoa taêng".
"""
import gzip
import re
import unicodedata
from pathlib import Path

import pytest

from pipelines import legacy_vietnamese as lv
from pipelines.extract import LegacyEncoding, extract_article, legacy_verdict, parse_html

FIXTURES = Path(__file__).parent / "fixtures"
SHARED = Path(__file__).resolve().parents[2] / "shared" / "corpora"
ARTICLE = gzip.decompress((FIXTURES / "site" / "baolaocai-404649.html.gz").read_bytes()).decode("utf-8")
ARTICLE_URL = "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html"


def rtf(escaped: str) -> str:
    """An RTF run of a .VnTime document (\\'xx escapes) → its text as read in windows-1252."""
    return re.sub(r"\\'([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]).decode("cp1252"), escaped)


# -- encoders, for tests only: Unicode → what a legacy keyboard typed ------------------------------

VN3_CAPITALS = {chr(code) for code in range(0xA1, 0xA8)}        # Ă Â Ê Ô Ơ Ư Đ: all VN3 has
TO_TCVN3 = {letter: code for code, letter in lv.TCVN3.items() if letter.islower() or code in VN3_CAPITALS}
TO_VNI = {}
for sequence, letter in sorted(lv.VNI.items(), key=lambda kv: len(kv[0])):
    if len(sequence) == 1 or sequence[0].isupper() == sequence[1].isupper():
        TO_VNI.setdefault(letter, sequence)


def to_tcvn3(text: str) -> str:
    """As typed in .VnTime: a toned capital VN3 lacks is written with its lower-case code."""
    return "".join(TO_TCVN3.get(c) or TO_TCVN3.get(c.lower()) or c for c in unicodedata.normalize("NFC", text))


def to_vni(text: str) -> str:
    return "".join(TO_VNI.get(c, c) for c in unicodedata.normalize("NFC", text))


# -- the tables ------------------------------------------------------------------------------------

def test_there_are_134_vietnamese_letters_beyond_ascii():
    assert len(set(lv.VIETNAMESE_LETTERS)) == 134
    assert all(unicodedata.is_normalized("NFC", c) and len(c) == 1 for c in lv.VIETNAMESE_LETTERS)


@pytest.mark.parametrize("letter", [c for c in lv.VIETNAMESE_LETTERS if c.islower()])
def test_every_lower_case_letter_has_one_tcvn3_code(letter):
    codes = [code for code, value in lv.TCVN3.items() if value == letter]
    assert len(codes) == 1 and "\xa1" <= codes[0] <= "\xff"
    assert lv.tcvn3_to_unicode(codes[0]) == letter


@pytest.mark.parametrize("letter", [c for c in lv.VIETNAMESE_LETTERS if c.isupper()])
def test_every_capital_reads_right_in_tcvn3_upper_case_font_and_in_a_capitals_word(letter):
    code = TO_TCVN3[letter.lower()]
    assert lv.tcvn3_to_unicode(code, upper=True) == letter                 # .VnTimeH shows it as a capital
    assert lv.tcvn3_to_unicode(f"TH{code}N") == f"TH{letter}N"              # a word in capitals
    if letter in TO_TCVN3:                                                 # Ă Â Ê Ô Ơ Ư Đ have codes of their own
        assert lv.tcvn3_to_unicode(TO_TCVN3[letter] + "n") == letter + "n"


@pytest.mark.parametrize("code, letter", [("\xa1", "Ă"), ("\xa2", "Â"), ("\xa3", "Ê"), ("\xa4", "Ô"), ("\xa5", "Ơ"),
                                          ("\xa6", "Ư"), ("\xa7", "Đ"), ("\xae", "đ"), ("\xad", "ư"), ("\xab", "ô"),
                                          ("\xb5", "à"), ("\xb8", "á"), ("\xb6", "ả"), ("\xac", "ơ"), ("\xe5", "ồ"),
                                          ("\xc4", "Ấ"), ("\xff", "Ố")])
def test_tcvn3_codes_are_those_of_tcvn_5712(code, letter):
    assert lv.TCVN3[code] == letter


@pytest.mark.parametrize("letter", lv.VIETNAMESE_LETTERS)
def test_every_letter_has_a_vni_spelling_that_reads_back(letter):
    spellings = [seq for seq, value in lv.VNI.items() if value == letter]
    assert spellings
    assert all(lv.vni_to_unicode(seq) == letter for seq in spellings)


def test_a_sentence_with_every_letter_in_both_cases_round_trips():
    letters = [c for c in lv.VIETNAMESE_LETTERS if c.islower()]
    sentence = " ".join(f"t{c}n" for c in letters) + "\n" + " ".join(f"T{c.upper()}N" for c in letters)
    assert lv.vni_to_unicode(to_vni(sentence)) == sentence
    assert lv.tcvn3_to_unicode(to_tcvn3(sentence)) == sentence


# -- real legacy text ------------------------------------------------------------------------------

TCVN3_CIRCULAR = [
    (r"C\'a8n c\'f8 Lu\'cbt thu\'d5 thu nh\'cbp doanh nghi\'d6p \'ae\'ad\'eec Qu\'e8c h\'e9i kh\'e3a IX "
     r"th\'abng qua ng\'b5y 10 th\'b8ng 5 n\'a8m 1997.",
     "Căn cứ Luật thuế thu nhập doanh nghiệp được Quốc hội khóa IX thông qua ngày 10 tháng 5 năm 1997."),
    (r"B\'e9 T\'b5i ch\'ddnh h\'ad\'edng d\'c9n th\'f9c hi\'d6n nh\'ad sau:",
     "Bộ Tài chính hướng dẫn thực hiện như sau:"),
    (r"\'a7\'e9c l\'cbp - T\'f9 do - H\'b9nh ph\'f3c", "Độc lập - Tự do - Hạnh phúc"),
    (r"H\'b5 n\'e9i, ng\'b5y  14   th\'b8ng  7   n\'a8m 1998", "Hà nội, ngày  14   tháng  7   năm 1998"),
    (r"- C\'b8 nh\'a9n h\'b5nh ngh\'d2 \'ae\'e9c l\'cbp: B\'b8c s\'fc, lu\'cbt s\'ad, k\'d5 to\'b8n, ki\'d3m "
     r"to\'b8n, h\'e4a s\'fc, ki\'d5n tr\'f3c s\'ad, nh\'b9c s\'fc v\'b5 nh\'f7ng ng\'ad\'eai h\'b5nh ngh\'d2 "
     r"\'ae\'e9c l\'cbp kh\'b8c.",
     "- Cá nhân hành nghề độc lập: Bác sỹ, luật sư, kế toán, kiểm toán, họa sỹ, kiến trúc sư, nhạc sỹ và "
     "những người hành nghề độc lập khác."),
    (r"- H\'e9 gia \'ae\'d7nh, c\'b8 nh\'a9n n\'abng d\'a9n tr\'e5ng tr\'e4t, ch\'a8n nu\'abi, nu\'abi "
     r"tr\'e5ng th\'f1y s\'b6n, c\'e3 \'ae\'c7y \'ae\'f1 hai \'aei\'d2u ki\'d6n: gi\'b8 tr\'de s\'b6n ph\'c8m "
     r"h\'b5ng h\'e3a tr\'aan 90 tri\'d6u \'ae\'e5ng/n\'a8m",
     "- Hộ gia đình, cá nhân nông dân trồng trọt, chăn nuôi, nuôi trồng thủy sản, có đầy đủ hai điều kiện: "
     "giá trị sản phẩm hàng hóa trên 90 triệu đồng/năm"),
    (r"a) C\'abng ty \'ae\'e3 c\'e3 t\'b9i Vi\'d6t Nam: tr\'f4 s\'eb \'aei\'d2u h\'b5nh, chi nh\'b8nh, "
     r"v\'a8n ph\'dfng (tr\'f5 v\'a8n ph\'dfng \'ae\'b9i di\'d6n th\'ad\'acng m\'b9i kh\'abng \'ae\'ad\'eec "
     r"ph\'d0p kinh doanh theo ph\'b8p lu\'cbt Vi\'d6t Nam)",
     "a) Công ty đó có tại Việt Nam: trụ sở điều hành, chi nhánh, văn phòng (trừ văn phòng đại diện thương "
     "mại không được phép kinh doanh theo pháp luật Việt Nam)"),
    (r"d) C\'abng ty \'ae\'e3 c\'e3 t\'b9i Vi\'d6t Nam \'ae\'b9i l\'fd m\'abi gi\'edi, \'ae\'b9i l\'fd "
     r"h\'ad\'ebng hoa h\'e5ng ho\'c6c b\'cat k\'fa m\'e9t \'ae\'b9i l\'fd n\'b5o kh\'b8c.",
     "d) Công ty đó có tại Việt Nam đại lý môi giới, đại lý hưởng hoa hồng hoặc bất kỳ một đại lý nào khác."),
]

TCVN3_UPPER_FONT = [   # the same circular's lines set in .VnTimeH
    (r"c\'e9ng ho\'b5 x\'b7 h\'e9i ch\'f1 ngh\'dca vi\'d6t nam", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    (r"th\'abng t\'ad", "THÔNG TƯ"),
    (r"A - PH\'b9m vi \'b8p d\'f4ng thu\'d5 thu nh\'cbp doanh nghi\'d6p", "A - PHẠM VI ÁP DỤNG THUẾ THU NHẬP DOANH NGHIỆP"),
]

TCVN3_QUOTED = [
    ("Kh«ng ån µo", "Không ồn ào"),
    ("céng hßa x· héi chñ nghÜa viÖt nam", "cộng hòa xã hội chủ nghĩa việt nam"),
    ("QuyÕt ®Þnh cña Bé tr\u00adëng Bé Tµi chÝnh", "Quyết định của Bộ trưởng Bộ Tài chính"),
    ("Hµ néi, ngµy 22 th¸ng 11 n¨m 2002", "Hà nội, ngày 22 tháng 11 năm 2002"),
    ("quyÕt ®Þnh cña bé trëng bé tµi chÝnh", "quyết định của bộ trưởng bộ tài chính"),   # soft hyphen lost
    ("vÒ viÖc söa ®æi møc thuÕ suÊt cña mét sè mÆt hµng trong",
     "về việc sửa đổi mức thuế suất của một số mặt hàng trong"),
    ("Toµ ¸n nh©n d©n", "Toà án nhân dân"),
    ("TØnh b¾c giang", "Tỉnh bắc giang"),
    ("biªn b¶n nghÞ ¸n", "biên bản nghị án"),
    ("B¶o Th¾ng", "Bảo Thắng"),
    ("Mêng Kh¬ng", "Mường Khương"),                                                # soft hyphens lost
    ("Ng\u00adêi lao ®éng ph¶i ®\u00adîc tr¶ l\u00ad¬ng ®óng h¹n.", "Người lao động phải được trả lương đúng hạn."),
    ("CéNG HOµ X· HéI CHñ NGHÜA VIÖT NAM", "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM"),      # capitals typed with Caps Lock
    ("§µ N½NG", "ĐÀ NẴNG"),
    ("Hå ChÝ Minh", "Hồ Chí Minh"),
]

VNI_PROSE = [
    ("Toâi sinh ra vaø lôùn lean taïi ngaõ töø Trung Hieàn saùt chôï Mô, caùi beán cuoái cuûa taøu ñieän "
     "baùnh ray phía nam Haø Noäi trong nhöõng ngaøy thaùng ngheøo khoù.",
     "Tôi sinh ra và lớn lean tại ngã từ Trung Hiền sát chợ Mơ, cái bến cuối của tàu điện bánh ray phía "
     "nam Hà Nội trong những ngày tháng nghèo khó."),
    ("Laâu roài khoâng nghe tieáng taøu ñieän leng keng chôï Mô, chaúng coøn nhöõng tieáng phaùo teùp "
     "khoùi thôm thôm ngaøy teát",
     "Lâu rồi không nghe tiếng tàu điện leng keng chợ Mơ, chẳng còn những tiếng pháo tép khói thơm thơm "
     "ngày tết"),
    ("Meï toâi cuõng chaúng coøn naáu nhöõng moùn caàu kì nhö xöa bôûi baø phaûi aên kieâng vì beänh "
     "tieåu ñöôøng…",
     "Mẹ tôi cũng chẳng còn nấu những món cầu kì như xưa bởi bà phải ăn kiêng vì bệnh tiểu đường…"),
    ("Baïn vaø toâi, chuùng ta haõy cuøng nhau gìn giöõ toái ña nhöõng giaù trò vaên hoùa voâ giaù cuûa Haø Noäi.",
     "Bạn và tôi, chúng ta hãy cùng nhau gìn giữ tối đa những giá trị văn hóa vô giá của Hà Nội."),
    ("Caûm ôn baïn ñaõ uûng hoä !", "Cảm ơn bạn đã ủng hộ !"),
    ("Lôøi töï baïch", "Lời tự bạch"),
]

VNI_QUOTED = [
    ("COÂNG TY SAÛN PHAÅM MAÙY TÍNH FUJITSU VIEÄT NAM", "CÔNG TY SẢN PHẨM MÁY TÍNH FUJITSU VIỆT NAM"),
    ("COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
    ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
    ("Caên cöù Luaät Toå chöùc HÑND vaø UBND", "Căn cứ Luật Tổ chức HĐND và UBND"),
    ("Giaù hoa taêng", "Giá hoa tăng"),
]


@pytest.mark.parametrize("escaped, unicode", TCVN3_CIRCULAR)
def test_tcvn3_circular_of_1998_reads_as_its_transcript(escaped, unicode):
    assert lv.tcvn3_to_unicode(rtf(escaped)) == unicode


@pytest.mark.parametrize("escaped, unicode", TCVN3_UPPER_FONT)
def test_tcvn3_text_in_the_upper_case_font_comes_out_in_capitals(escaped, unicode):
    assert lv.tcvn3_to_unicode(rtf(escaped), upper=True) == unicode


@pytest.mark.parametrize("legacy, unicode", TCVN3_QUOTED)
def test_tcvn3_quoted_lines(legacy, unicode):
    assert lv.tcvn3_to_unicode(legacy) == unicode


@pytest.mark.parametrize("legacy, unicode", VNI_PROSE + VNI_QUOTED)
def test_vni_text(legacy, unicode):
    assert lv.vni_to_unicode(legacy) == unicode


@pytest.mark.parametrize("font, upper", [(".VnTimeH", True), (".VnArialH", True), ("'.VnArial NarrowH', serif", True),
                                         ("font-family: .VnTimeH; font-size: 12pt", True), (".VnTime", False),
                                         ("VNI-Times", False), ("Times New Roman", False), ("", False)])
def test_upper_case_fonts_are_told_by_name(font, upper):
    assert lv.upper_case_font(font) is upper


# -- detection -------------------------------------------------------------------------------------

def test_tcvn3_text_is_detected_with_certainty():
    verdict = lv.detect([rtf(e) for e, _ in TCVN3_CIRCULAR])
    assert verdict.encoding == "tcvn3" and verdict.certain, verdict


def test_vni_text_is_detected_with_certainty():
    verdict = lv.detect([t for t, _ in VNI_PROSE])
    assert verdict.encoding == "vni" and verdict.certain, verdict


def test_text_half_tcvn3_half_vni_is_legacy_but_not_certain():
    verdict = lv.detect([rtf(e) for e, _ in TCVN3_CIRCULAR[:4]] + [t for t, _ in VNI_PROSE[:3]])
    assert verdict.encoding is not None and not verdict.certain, verdict


@pytest.mark.parametrize("text", [
    "Cộng hòa xã hội chủ nghĩa Việt Nam. Độc lập - Tự do - Hạnh phúc. Hoà bình, khoá học, thuý, quá, "
    "giá vé có tăng, ông bà, mùa thu, cõi lòng, tìm đường",
    unicodedata.normalize("NFD", "Không ồn ào, không phô trương thành tích, nhưng dấu ấn của Thiếu tá"),
    "Señor Muñoz vivía en la mañana con niños pequeños en España, la señora enseñaba español a los niños",
    "Die elektronische Patientenakte für Versicherte: Ärzte müssen Daten schützen, große Änderungen über Jahre",
    "L'été dernier, où étiez-vous ? « Déjà là », répondit-il, très ému, à côté du maïs et de la forêt naïve.",
    "A ação da informação não é só para São Paulo: avós, irmãs e mães põem o coração na missão.",
    "Smørrebrød på Østerbro, blåbær og ærter i Århus; Kjøbenhavn før og nu.",
    "Copyright © 2024 Báo Lào Cai ® · Giấy phép số 12/GP-BTTTT » Trang chủ » Xã hội",
    "Kích thước 5 µm, nhiệt độ 30°C ± 2°, giá 1.200.000 đ/m² – ¼ giá cũ",
])
def test_unicode_vietnamese_and_other_latin_languages_are_not_legacy(text):
    verdict = lv.detect([text])
    assert verdict.encoding is None and verdict.counts.fixed <= 1, verdict


@pytest.mark.parametrize("text", ["Thông tư hướng dẫn", unicodedata.normalize("NFD", "Thông tư hướng dẫn"),
                                  "Đà Nẵng", "tiếng Việt"])
@pytest.mark.parametrize("encoding", lv.LEGACY_ENCODINGS)
def test_a_piece_already_in_unicode_vietnamese_is_never_converted(text, encoding):
    assert lv.convert_piece(text, encoding) == text


@pytest.mark.parametrize("text, looks", [
    (rtf(TCVN3_CIRCULAR[0][0]), True), (VNI_PROSE[0][0], True), ("Kh«ng ån µo, kh«ng ph« tr\xad¬ng", True),
    ("Don Victor® Orange Blossom Honey, Don Victor® Honey and Don Victor® Agave", False),
    ("Die elektronische Patientenakte: Ärzte müssen Daten schützen, große Änderungen", False),
    ("A ação da informação não é só para São Paulo: avós, irmãs e mães", False),
    ("Không ồn ào, không phô trương thành tích. Hoà bình, khoá học, thuý.", False),
    ("« Déjà là », répondit-il ; Copyright © 2024 · Trang chủ » Xã hội", False),
])
def test_the_quick_test_looks_further_only_at_text_with_legacy_signs(text, looks):
    assert lv.may_be_legacy(text) is looks


def real_pages():
    files = sorted((FIXTURES / "pages").glob("*.html.gz")) + sorted((FIXTURES / "site").glob("*.html.gz"))
    files += sorted((SHARED / "vi-news" / "pages").glob("*.html"))
    files += sorted((SHARED / "article-extraction-benchmark" / "html").glob("*.html.gz"))
    return [f for f in files if "cp1258" not in f.name]   # the mislabelled copies are refused before this


def test_the_real_pages_are_there_to_check():
    assert len(real_pages()) > 200


@pytest.mark.parametrize("path", real_pages(), ids=lambda p: p.name[:40])
def test_detection_never_fires_on_a_real_unicode_or_english_page(path):
    data = path.read_bytes()
    data = gzip.decompress(data) if path.suffix == ".gz" else data
    verdict = legacy_verdict(parse_html(data))
    assert verdict.encoding is None, verdict
    assert verdict.counts.fixed < lv.MIN_EVIDENCE


# -- pages in legacy fonts -------------------------------------------------------------------------

def legacy_page(encode) -> bytes:
    """The real baolaocai article as an old site would have served it: text typed in a legacy font,
    bytes in windows-1252, declared ISO-8859-1."""
    return encode(ARTICLE.replace("charset=utf-8", "charset=iso-8859-1")).encode("cp1252", "xmlcharrefreplace")


@pytest.mark.parametrize("encode", [to_tcvn3, to_vni], ids=["tcvn3", "vni"])
def test_an_article_page_in_a_legacy_font_is_extracted_as_unicode(encode):
    original = extract_article(ARTICLE.encode("utf-8"), ARTICLE_URL)
    article = extract_article(legacy_page(encode), ARTICLE_URL)
    for field in ("title", "sapo", "body", "authors", "category"):
        assert article[field] == original[field], field
    assert article["sapo"].startswith("Không ồn ào, không phô trương thành tích")
    assert article["language"] == "vi"


def test_text_in_an_upper_case_font_element_is_put_in_capitals():
    page = ARTICLE.replace('<h1 class="article__title', '<font face=".VnTimeH"><h1 class="article__title', 1)
    assert page != ARTICLE
    article = extract_article(to_tcvn3(page.lower().replace("charset=utf-8", "charset=iso-8859-1")
                                       ).encode("cp1252", "xmlcharrefreplace"), ARTICLE_URL)
    assert article["title"] == "SỐNG ĐẸP TỪ NHỮNG ĐIỀU GIẢN DỊ"


MIXED_TCVN3_VNI = ("<html><head><title>Tin t\xf8c</title></head><body><h1>Th\xabng b\xb8o</h1>"
                   + "".join(f"<p>{rtf(e)}</p>" for e, _ in TCVN3_CIRCULAR[:4])
                   + "".join(f"<p>{t}</p>" for t, _ in VNI_PROSE[:3]) + "</body></html>").encode("cp1252")


def test_a_page_mixing_tcvn3_and_vni_is_refused_as_legacy_encoding():
    with pytest.raises(LegacyEncoding, match="legacy font encoding"):
        extract_article(MIXED_TCVN3_VNI, "https://example.vn/thong-bao-123456.html")
