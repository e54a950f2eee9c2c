"""Lines that are no article text, known by what they say whatever the page calls them
(pipelines.clean_text.clean_paragraphs, run on every extraction path)."""
import pytest

from pipelines.clean_text import clean_paragraphs

PROSE = ("The study found the spacecraft mass could be reduced by a third by removing the crew "
         "quarters, and the water and food supplies could be cut as well.")


@pytest.mark.parametrize("line", [
    "Citation: Hibernating astronauts would need smaller spacecraft (2019, November 18) retrieved 20 November "
    "2019 from https://phys.org/news/2019-11-hibernating-astronauts-smaller-spacecraft.html",
    "This document is subject to copyright. Apart from any fair dealing for the purpose of private study or "
    "research, no part may be reproduced without the written permission. The content is provided for "
    "information purposes only.",
    "This material may not be published, broadcast, rewritten or redistributed.",
])
def test_a_copyright_notice_or_a_how_to_cite_line_goes(line):
    kept, _, _ = clean_paragraphs([PROSE, line, PROSE + " Again."])
    assert kept == [PROSE, PROSE + " Again."]


@pytest.mark.parametrize("line", [
    "The citation retrieved from the archive showed the town was founded in 1820.",
    "This document is the first of three the court will publish this year, the clerk said.",
    "Copyright lawyers said the ruling would change how newspapers license photographs.",
])
def test_prose_about_citations_documents_or_copyright_stays(line):
    kept, _, _ = clean_paragraphs([PROSE, line])
    assert kept == [PROSE, line]
