"""New article pages made from saved real ones, for the demo mirror.

A real page of a CMS family (a `Layout`: the saved page and where its headline, sapo, text, date
and byline sit) is rewritten with another article: every headline, URL, date and byline in it
(the visible ones, <meta> tags, JSON-LD) becomes the new article's, the text container gets the
new paragraphs and pictures in the page's own markup, and its tags are dropped. What is left —
menus, sidebars, scripts, ads — is the real page, so extraction meets real markup.
"""
from __future__ import annotations

import gzip
import html as htmlmod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import lxml.html
from lxml.cssselect import CSSSelector

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Layout:
    file: str            # the saved real page (in crawler/demo_site)
    url: str             # its real URL
    title: str           # its headline, as written in the page
    dates: tuple         # (its publication time as written somewhere in it, strftime format of the new one)
    title_css: str
    sapo_css: str
    body_css: str
    authors_css: str     # the byline box ("" when the byline is the text's last line)
    paragraph: str       # markup of one paragraph, {text}
    figure: str          # markup of one picture, {src} {caption}
    author: str          # markup of one name in the byline box, {name}
    byline: str = ""     # markup of a byline closing the text, {names} (when authors_css is "")
    drop_css: str = ""   # boxes to remove (tags, modified-time metas, …)

    def page(self) -> str:
        return gzip.decompress((HERE / self.file).read_bytes()).decode("utf-8")


LAYOUTS = {
    # the cms family (nhandan, vietnamplus, plo, sggp, baolaocai, baothanhhoa, baohatinh, baogialai…)
    "cms": Layout(
        file="plo-874982.html.gz",
        url="https://plo.vn/doan-dai-bieu-tphcm-dang-hoa-tuong-niem-cac-anh-hung-liet-si-tai-binh-duong-ba-ria-vung-tau-cu-post874982.html",
        title="Đoàn đại biểu TP.HCM dâng hoa, tưởng niệm các anh hùng liệt sĩ tại Bình Dương, Bà Rịa - Vũng Tàu (cũ)",
        dates=(("2025-10-11T10:02:08+0700", "%Y-%m-%dT%H:%M:%S+0700"), ("11/10/2025 10:02", "%d/%m/%Y %H:%M")),
        title_css="h1.article__title", sapo_css="div.article__sapo", body_css="div.article__body",
        authors_css="div.article__header div.author.cms-author",
        paragraph='<p style="text-align: justify;">{text}</p>',
        figure='<figure><img src="{src}" alt="" class="cms-photo" width="1000" height="667">'
               '<figcaption> {caption} </figcaption></figure>',
        author='<a href="#" class="name" title="{name}">{name}</a>',
        drop_css="div.article__tags, meta[property='article:tag'], meta[property='article:modified_time'], "
                 "meta[property='dable:author'], meta[property='article:section']",
    ),
    # VCCorp's afcbc family (baochinhphu, tuoitre, nld, cafef…)
    "afcbc": Layout(
        file="baochinhphu-102260228093004191.html.gz",
        url="https://baochinhphu.vn/chinh-sach-moi-co-hieu-luc-tu-thang-3-2026-102260228093004191.htm",
        title="Chính sách mới có hiệu lực từ tháng 3/2026",
        dates=(("2026-03-01T09:51:00+07:00", "%Y-%m-%dT%H:%M:%S+07:00"),
               ("2026-03-01T09:51:00&#x2B;07:00", "%Y-%m-%dT%H:%M:%S&#x2B;07:00"),
               ("01/03/2026", "%d/%m/%Y"), (" 09:51 </div>", " %H:%M </div>")),
        title_css="h1.detail-title", sapo_css="h2.detail-sapo", body_css="div.detail-content",
        authors_css="",
        paragraph="<p>{text}</p>",
        figure='<figure class="VCSortableInPreviewMode" type="Photo"><div><img src="{src}" alt="" width="777"></div>'
               '<figcaption class="PhotoCMS_Caption"><p data-placeholder="Nhập chú thích ảnh">{caption}</p></figcaption></figure>',
        author="",
        byline='<p style="text-align: right;"><b>{names}</b></p>',
        drop_css="meta[property='article:tag'], meta[property='article:modified_time'], .detail-tab, "
                 "meta[name='news_keywords'], meta[name='keywords']",
    ),
}


def _fragment(markup: str):
    return lxml.html.fragment_fromstring(markup, create_parent=False)


def _replace_children(element, markups: list[str], text: str | None = None) -> None:
    for child in list(element):
        element.remove(child)
    element.text = text
    for markup in markups:
        element.append(_fragment(markup))


def article_page(layout: Layout, *, url: str, title: str, sapo: str, blocks: list[tuple[str, str]],
                 authors: list[str], published: datetime, category: str | None = None) -> str:
    """The layout's real page carrying another article. `blocks` are ("p", text) and
    ("img", "src|caption") in reading order; `published` is a Vietnam-time datetime."""
    page = layout.page()
    # Plain-text places first (meta tags, JSON-LD, inline scripts): the URL and the dates.
    page = page.replace(layout.url, url)
    for written, new_format in layout.dates:
        page = page.replace(written, published.strftime(new_format))
    doc = lxml.html.document_fromstring(page)
    esc = htmlmod.escape
    for script in doc.xpath("//script[@type='application/ld+json']"):
        if "Article" in (script.text or ""):
            script.getparent().remove(script)
    if layout.drop_css:
        for element in CSSSelector(layout.drop_css)(doc):
            element.getparent().remove(element)
    for element in doc.xpath("//title"):
        element.text = f"{title} | {element.text.rsplit('|', 1)[-1].strip()}" if "|" in (element.text or "") else title
    for meta in doc.xpath("//meta[@property='og:title' or @name='twitter:title' or @itemprop='headline']"):
        meta.set("content", title)
    for meta in doc.xpath("//meta[@name='description' or @property='og:description' or @name='twitter:description']"):
        meta.set("content", sapo)
    for img in doc.xpath("//img[@alt]"):
        if img.get("alt") == layout.title:
            img.set("alt", title)
    for element in CSSSelector(layout.title_css)(doc):
        _replace_children(element, [], f" {title} ")
    for element in CSSSelector(layout.sapo_css)(doc):
        _replace_children(element, [], sapo)
    body = []
    for kind, value in blocks:
        if kind == "img":
            src, caption = value.split("|", 1)
            body.append(layout.figure.format(src=esc(src), caption=esc(caption)))
        else:
            body.append(layout.paragraph.format(text=esc(value)))
    if layout.byline and authors:
        body.append(layout.byline.format(names=esc(", ".join(authors))))
    for element in CSSSelector(layout.body_css)(doc)[:1]:
        _replace_children(element, body)
    if layout.authors_css:
        for element in CSSSelector(layout.authors_css)(doc)[:1]:
            _replace_children(element, [layout.author.format(name=esc(name)) for name in authors])
    if category:
        for meta in doc.xpath("//head"):
            meta.append(_fragment(f'<meta property="article:section" content="{esc(category)}">'))
    return lxml.html.tostring(doc, encoding="unicode", doctype="<!DOCTYPE html>")
