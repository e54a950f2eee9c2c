"""The archive in a real browser: headless Chromium (Debian's chromium + chromedriver, driven by
selenium) on `tintinh serve` over the demo archive, as a reader clicks through it.

Chromium resolves no name but 127.0.0.1 (--host-resolver-rules), so the publishers' pictures
are never fetched: pages are checked by their text and links. Screenshots go to a temporary
directory, or to $TINTINH_SCREENSHOTS (TINTINH_SCREENSHOTS=docs refreshes the README's).
"""
import os
import sqlite3
import urllib.parse
from datetime import datetime
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from test_datasette import CORRECTED, demo_archive, running_server

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
         "--lang=vi", "--window-size=1280,1000"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = demo_archive(tmp_path_factory)
    with running_server(path) as base:
        yield base, path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    wanted = os.environ.get("TINTINH_SCREENSHOTS")
    return Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")


def screenshot(browser, folder: Path, name: str, height: int = 1000, scroll_to: str | None = None) -> Path:
    browser.set_window_size(1280, height)
    if scroll_to:
        browser.execute_script("window.scrollTo(0, arguments[0].getBoundingClientRect().top + window.scrollY - 20)",
                               browser.find_element(By.CSS_SELECTOR, scroll_to))
    path = folder / name
    assert browser.save_screenshot(str(path)) and path.stat().st_size > 10_000
    browser.set_window_size(1280, 1000)
    return path


def texts(browser, css: str) -> list[str]:
    return [e.text.strip() for e in browser.find_elements(By.CSS_SELECTOR, css)]


def open_page(browser, base: str, path: str, **params) -> None:
    browser.get(base + path + ("?" + urllib.parse.urlencode(params) if params else ""))


def follow(browser, element) -> None:
    """Click a link or a submit button and wait until the page it opens has replaced this one
    (a form's submit returns before the browser has navigated)."""
    page = browser.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(browser, 20).until(EC.staleness_of(page))
    WebDriverWait(browser, 20).until(lambda b: b.execute_script("return document.readyState") == "complete")


def test_article_page_shows_title_paragraphs_captions_and_a_version_diff(browser, demo, shots):
    base, path = demo
    open_page(browser, base, "/-/tintinh/article", url=CORRECTED)
    assert browser.find_element(By.CSS_SELECTOR, "h1.headline").text == "Khu kinh tế Nghi Sơn thu hút thêm 12 dự án đầu tư"
    assert browser.title.startswith("Khu kinh tế Nghi Sơn thu hút thêm 12 dự án đầu tư — Báo Thanh Hóa")
    with sqlite3.connect(path) as conn:
        body, sapo = conn.execute("SELECT body, sapo FROM articles WHERE url = ?", [CORRECTED]).fetchone()
        captions = [c for (c,) in conn.execute(
            "SELECT caption FROM images JOIN articles ON articles.id = article_id WHERE url = ?", [CORRECTED])]
    assert browser.find_element(By.CSS_SELECTOR, "p.sapo").text == sapo
    assert texts(browser, "div.body > p") == [line for line in body.splitlines() if line not in captions]
    assert texts(browser, "div.body figure figcaption") == captions == ["Cảng Nghi Sơn đón tàu hàng đầu năm. Ảnh: Lê Phương"]
    assert browser.find_element(By.CSS_SELECTOR, "time.published").text == "2026-02-26 10:30 +07:00"
    assert texts(browser, "span.authors") == ["Lê Phương"]
    versions = browser.find_element(By.ID, "versions")
    assert "Version 2 (current)" in versions.text
    assert [e.text for e in versions.find_elements(By.CSS_SELECTOR, ".tintinh-diff del")][:2] == ["6.200", "4"]
    assert [e.text for e in versions.find_elements(By.CSS_SELECTOR, ".tintinh-diff ins")][:2] == ["7.100", "5"]
    assert versions.find_element(By.CSS_SELECTOR, ".tintinh-diff ins").value_of_css_property("background-color") != "rgba(0, 0, 0, 0)"
    screenshot(browser, shots, "article.png", height=1700)


def test_also_carried_by_links_open_the_other_copies(browser, demo, shots):
    base, path = demo
    with sqlite3.connect(path) as conn:
        story, first = conn.execute("SELECT story_id, first_article FROM stories ORDER BY papers DESC, story_id LIMIT 1").fetchone()
        copies = dict(conn.execute("SELECT id, title FROM articles WHERE story_id = ?", [story]).fetchall())
    assert len(copies) >= 4
    open_page(browser, base, f"/demo/articles/{first}")
    links = browser.find_elements(By.CSS_SELECTOR, "#also-carried-by a.copy")
    targets = [link.get_attribute("href") for link in links]
    assert len(targets) == len(copies) - 1
    opened = set()
    for target in targets:
        follow(browser, browser.find_element(By.CSS_SELECTOR, f'#also-carried-by a.copy[href="{urllib.parse.urlsplit(target).path}"]'))
        article_id = int(browser.current_url.rstrip("/").rsplit("/", 1)[1])
        assert browser.find_element(By.CSS_SELECTOR, "h1.headline").text == copies[article_id]
        # …and that copy links back to the first one
        assert f"/demo/articles/{first}" in [urllib.parse.urlsplit(a.get_attribute("href")).path
                                             for a in browser.find_elements(By.CSS_SELECTOR, "#also-carried-by a.copy")]
        opened.add(article_id)
        browser.back()
    assert opened == set(copies) - {first}


def published(browser) -> list[datetime]:
    return [datetime.fromisoformat(e.get_attribute("data-published"))
            for e in browser.find_elements(By.CSS_SELECTOR, "li.result")]


def test_search_page_orders_by_date_paginates_and_folds_copies(browser, demo, shots):
    base, _ = demo
    open_page(browser, base, "/-/tintinh/search", q="tinh", size="8")
    first_page = published(browser)
    assert len(first_page) == 8 and first_page == sorted(first_page, reverse=True)
    summary = browser.find_element(By.CSS_SELECTOR, "p.tintinh-summary").text
    assert "page 1 of" in summary
    follow(browser, browser.find_element(By.CSS_SELECTOR, "a.next"))
    second_page = published(browser)
    assert browser.find_element(By.CSS_SELECTOR, "ol.tintinh-results").get_attribute("start") == "9"
    assert second_page and second_page == sorted(second_page, reverse=True) and second_page[0] <= first_page[-1]
    follow(browser, browser.find_element(By.CSS_SELECTOR, "a.previous"))
    assert published(browser) == first_page

    open_page(browser, base, "/-/tintinh/search", q="khong khi lanh")
    results = browser.find_elements(By.CSS_SELECTOR, "li.result")
    wire = [r for r in results if r.find_elements(By.CSS_SELECTOR, "details.copies")]
    assert len(wire) == 1  # six papers, one entry
    details = wire[0].find_element(By.CSS_SELECTOR, "details.copies")
    assert details.find_element(By.TAG_NAME, "summary").text == "6 copies: also carried by 5 others"
    assert not details.find_element(By.CSS_SELECTOR, "a.copy").is_displayed()
    details.find_element(By.TAG_NAME, "summary").click()
    copies = details.find_elements(By.CSS_SELECTOR, "a.copy")
    assert len(copies) == 5 and all(c.is_displayed() for c in copies)
    screenshot(browser, shots, "search.png", height=1100)
    follow(browser, copies[0])
    assert browser.find_element(By.CSS_SELECTOR, "h1.headline").text


def test_search_page_by_relevance_and_filters_from_the_form(browser, demo):
    base, _ = demo
    open_page(browser, base, "/-/tintinh/search")
    browser.find_element(By.NAME, "q").send_keys("ca phe")
    browser.find_element(By.CSS_SELECTOR, "select[name=paper] option[value=baogialai]").click()
    browser.find_element(By.CSS_SELECTOR, "select[name=order] option[value=relevance]").click()
    follow(browser, browser.find_element(By.CSS_SELECTOR, "input[type=submit]"))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    assert query["paper"] == ["baogialai"] and query["order"] == ["relevance"]
    assert set(texts(browser, "li.result span.paper")) == {"Báo Gia Lai"}
    titles = texts(browser, "li.result a.title")
    assert len(titles) >= 2 and all("cà phê" in t.lower() for t in titles[:2])  # title matches rank first


def test_articles_table_and_stories_fit_a_screen(browser, demo, shots):
    base, _ = demo
    open_page(browser, base, "/demo/articles")
    headers = texts(browser, "table.rows-and-columns th")
    assert [h.split()[0] for h in headers] == ["id", "title", "site", "province", "published_at", "authors", "sapo"]
    table = browser.find_element(By.CSS_SELECTOR, "table.rows-and-columns")
    assert table.size["width"] <= browser.execute_script("return document.documentElement.clientWidth")
    title = browser.find_element(By.CSS_SELECTOR, "td.col-title a")
    assert title.size["width"] > 150  # the title column is readable, not squeezed
    assert all(t.endswith("+07:00") for t in texts(browser, "td.col-published_at"))
    screenshot(browser, shots, "articles.png", height=1000, scroll_to="table.rows-and-columns")
    open_page(browser, base, "/demo/stories", papers__gte="2")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")) >= 5
    screenshot(browser, shots, "stories.png", height=900, scroll_to="form.filters")
    open_page(browser, base, "/demo/articles")
    follow(browser, browser.find_element(By.CSS_SELECTOR, "td.col-title a"))
    assert browser.find_element(By.CSS_SELECTOR, "h1.headline").text


def test_chart_shows_a_tooltip_and_a_bar_opens_its_articles(browser, demo, shots):
    base, _ = demo
    browser.set_window_size(1280, 1300)  # the screenshot's size, so that the tooltip stays where it is
    open_page(browser, base, "/-/tintinh/chart")  # the dashboard, drawn by vega-lite from the plugin's own files
    bars = "#chart-over-time svg path[role='graphics-symbol']"
    WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, bars))
    assert urllib.parse.urlsplit(browser.current_url).path == "/-/dashboards/demo"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#chart-totals svg path[role='graphics-symbol']")) >= 6
    bar = browser.find_elements(By.CSS_SELECTOR, bars)[-1]  # the newest week's top bar
    ActionChains(browser).move_to_element(bar).perform()
    tooltip = WebDriverWait(browser, 5).until(
        lambda b: [e for e in b.find_elements(By.ID, "vg-tooltip-element") if e.is_displayed() and e.text])[0]
    shown = dict(line.rsplit(" ", 1) if line.startswith("articles") else line.split(" ", 1)
                 for line in tooltip.text.replace("province or paper", "series").splitlines())
    first, last = shown["period"].split(" – ")
    assert datetime.fromisoformat(first).weekday() == 0 and datetime.fromisoformat(last).weekday() == 6
    screenshot(browser, shots, "chart.png", height=1300)
    bar.click()
    WebDriverWait(browser, 10).until(lambda b: urllib.parse.urlsplit(b.current_url).path == "/demo/articles")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(browser.current_url).query)
    assert query["published_at__gte"] == [first]
    assert query["_where"] == [f"+id in (select article_id from article_provinces where province = '{shown['series']}')"]
    rows = browser.find_elements(By.CSS_SELECTOR, "table.rows-and-columns tbody tr")
    assert len(rows) == int(shown["articles"]) >= 1
    assert all(first <= t[:10] <= last for t in texts(browser, "td.col-published_at"))


def test_search_all_lists_matching_articles(browser, demo):
    base, _ = demo
    open_page(browser, base, "/-/search", q="lao cai")
    rows = "#search-all-results table.rows-and-columns tr td"
    WebDriverWait(browser, 10).until(lambda b: b.find_elements(By.CSS_SELECTOR, rows))
    assert "in demo: articles" in browser.find_element(By.CSS_SELECTOR, "#search-all-results h2").text
    titles = [tr.find_elements(By.TAG_NAME, "td")[1].text
              for tr in browser.find_elements(By.CSS_SELECTOR, "#search-all-results table.rows-and-columns tr")[1:]]
    assert titles and any("Lào Cai" in t for t in titles)
