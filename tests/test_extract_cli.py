"""`tintinh extract PAGE --url URL` and `tintinh extract --manifest PAGES.tsv`."""
import json
from pathlib import Path

from click.testing import CliRunner

from cli.main import cli

PAGES = Path(__file__).parent / "fixtures" / "pages"
VNEXPRESS = PAGES / "vnexpress-4954454.html.gz"
VNEXPRESS_URL = "https://vnexpress.net/dau-bung-keo-dai-phat-hien-ung-thu-lymphoma-ruot-non-4954454.html"


def run(*args):
    return CliRunner().invoke(cli, ["extract", *args])


def test_extract_prints_one_json_article():
    result = run(str(VNEXPRESS), "--url", VNEXPRESS_URL)
    assert result.exit_code == 0
    article = json.loads(result.output)
    assert article["title"] == "Đau bụng kéo dài, phát hiện ung thư lymphoma ruột non"
    assert article["authors"] == ["Lê Phương"] and article["extractor"] == "vnexpress@1"


def test_extract_without_url_uses_the_canonical_link():
    assert json.loads(run(str(VNEXPRESS)).output)["url"] == VNEXPRESS_URL


def test_manifest_gives_one_json_line_per_page_in_order_and_failures_do_not_stop_it(tmp_path):
    manifest = tmp_path / "pages.tsv"
    manifest.write_text(f"{VNEXPRESS}\t{VNEXPRESS_URL}\n"
                        f"{tmp_path / 'missing.html'}\thttps://vnexpress.net/x-1234567.html\n"
                        f"{PAGES / 'tuoitre-list.html.gz'}\thttps://tuoitre.vn/kinh-doanh.htm\n"
                        f"{PAGES / 'plo-874982.html.gz'}\thttps://plo.vn/x-post874982.html\n", encoding="utf-8")
    result = run("--manifest", str(manifest))
    assert result.exit_code == 1    # every page was tried; two were rejected
    assert result.stderr == f'Error: {manifest}: 2 pages could not be extracted (their lines have an "error")\n'
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [Path(r["path"]).name for r in rows] == ["vnexpress-4954454.html.gz", "missing.html",
                                                    "tuoitre-list.html.gz", "plo-874982.html.gz"]
    assert rows[0]["title"] and rows[3]["extractor"] == "cms@1"
    assert rows[1]["error"].startswith("cannot read page")
    assert rows[2]["error"].startswith("NotAnArticle")


def test_manifest_paths_relative_to_the_manifest_folder():
    manifest = PAGES.parent / "pages-manifest-test.tsv"
    try:
        manifest.write_text("pages/plo-874982.html.gz\thttps://plo.vn/x-post874982.html\n", encoding="utf-8")
        rows = [json.loads(line) for line in run("--manifest", str(manifest)).output.splitlines()]
    finally:
        manifest.unlink()
    assert rows[0]["path"] == "pages/plo-874982.html.gz" and rows[0]["extractor"] == "cms@1"


def test_bad_manifest_is_one_line_error(tmp_path):
    manifest = tmp_path / "bad.tsv"
    manifest.write_text("only-one-column.html\n", encoding="utf-8")
    result = run("--manifest", str(manifest))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [f"Error: {manifest}:1: expected two tab-separated columns (path, URL)"]


def test_unreadable_page_is_one_line_error(tmp_path):
    result = run(str(tmp_path / "nope.html"), "--url", "https://vnexpress.net/x-1234567.html")
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output


def test_listing_page_is_a_named_error():
    result = run(str(PAGES / "vnexpress-list.html.gz"), "--url", "https://vnexpress.net/kinh-doanh")
    assert result.exit_code == 1
    assert "NotAnArticle" in result.output


def test_missing_manifest_is_one_line_error(tmp_path):
    result = run("--manifest", str(tmp_path / "nope.tsv"))
    assert result.exit_code == 1
    assert result.output.startswith("Error: cannot read manifest") and len(result.output.strip().splitlines()) == 1


def test_page_and_manifest_together_is_a_usage_error(tmp_path):
    result = run(str(VNEXPRESS), "--manifest", str(tmp_path / "x.tsv"))
    assert result.exit_code == 1 and "give one PAGE, or --manifest" in result.output


def test_no_captions_leaves_the_captions_out_of_the_text_and_keeps_them_on_the_images():
    article = json.loads(run(str(VNEXPRESS), "--url", VNEXPRESS_URL).output)
    bare = json.loads(run(str(VNEXPRESS), "--url", VNEXPRESS_URL, "--no-captions").output)
    captions = {image["caption"] for image in article["images"] if image["caption"]}
    assert captions and captions <= set(article["body"].split("\n"))
    assert not captions & set(bare["body"].split("\n"))
    assert bare["images"] == article["images"]
    assert [line for line in article["body"].split("\n") if line not in captions] == bare["body"].split("\n")


def test_no_captions_applies_to_every_page_of_a_manifest(tmp_path):
    manifest = tmp_path / "pages.tsv"
    manifest.write_text(f"{VNEXPRESS}\t{VNEXPRESS_URL}\n", encoding="utf-8")
    row = json.loads(run("--manifest", str(manifest), "--no-captions").stdout)
    captions = {image["caption"] for image in row["images"] if image["caption"]}
    assert captions and not captions & set(row["body"].split("\n"))
