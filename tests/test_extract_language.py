"""The page language: Vietnamese from the text itself, other languages as the page declares them."""
import lxml.html
import pytest

from pipelines.language import declared_language, page_language, vietnamese_share

VIETNAMESE = ("Sáng 8-1, UBND thành phố Cần Thơ tổ chức lễ khánh thành cầu mới nối hai quận trung tâm, "
              "cây cầu dài 500 mét được xây dựng trong 18 tháng với tổng vốn đầu tư hơn 300 tỉ đồng.")
FRENCH = ("La fenêtre de la forêt était grande ouverte et le château, bâti sur la côte, dominait "
          "la baie où les pêcheurs rentraient tôt après une journée d'hôtel et de fête.")
ENGLISH = ("Home Depot reported third-quarter earnings that topped estimates as revenue fell short, "
           "sending shares lower ahead of the opening bell on Tuesday morning in New York trading.")


def test_vietnamese_text_is_vietnamese_whatever_the_page_declares():
    assert vietnamese_share(VIETNAMESE) > 0.4
    assert page_language(VIETNAMESE, "en") == "vi"
    assert page_language(VIETNAMESE, None) == "vi"


def test_french_circumflexes_do_not_make_a_text_vietnamese():
    assert vietnamese_share(FRENCH) < 0.05
    assert page_language(FRENCH, "fr") == "fr"


def test_a_page_declaring_vietnamese_for_an_english_text_has_no_known_language():
    assert page_language(ENGLISH, "vi") is None
    assert page_language(ENGLISH, "en") == "en"
    assert page_language(ENGLISH, None) is None


@pytest.mark.parametrize("head, html_attrs, code", [
    ("", 'lang="en-US"', "en"),
    ('<meta property="og:locale" content="vi_VN">', "", "vi"),
    ('<meta http-equiv="Content-Language" content="pt-BR">', "", "pt"),
    ("", "", None),
    ("", 'lang=""', None),
])
def test_declared_language_is_the_primary_subtag(head, html_attrs, code):
    root = lxml.html.document_fromstring(f"<html {html_attrs}><head>{head}</head><body><p>x</p></body></html>")
    assert declared_language(root) == code
