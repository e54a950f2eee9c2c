import json
import sqlite3

from click.testing import CliRunner

from cli.main import cli
from archive.store import Archive
from test_archive_store import gold_article, mixed_articles, rows_of


def run(*args, **kwargs):
    return CliRunner().invoke(cli, list(args), **kwargs)


def source_archive(path) -> str:
    with Archive(path, aliases={}) as archive:
        for article in mixed_articles():
            archive.store_article(article)
    return str(path)


def test_an_exported_archive_loads_into_another_with_the_same_articles_and_stories(tmp_path):
    source = source_archive(tmp_path / "a.db")
    export = tmp_path / "a.jsonl"
    assert run("export", "--db", source, "-o", str(export)).exit_code == 0
    target = str(tmp_path / "b.db")
    done = run("import", str(export), "--db", target, "--processes", "1")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == f"{export}: 6 lines: 5 new, 0 updated, 0 unchanged, 1 duplicate, 0 bad\n"
    with sqlite3.connect(source) as a, sqlite3.connect(target) as b:
        sql = "SELECT id, canonical_url, title, sapo, body, content_hash, story_id, duplicate_of FROM articles ORDER BY id"
        assert b.execute(sql).fetchall() == a.execute(sql).fetchall()
        assert b.execute("SELECT first_seen FROM articles").fetchall() == a.execute("SELECT first_seen FROM articles").fetchall()


def test_loading_the_same_lines_again_adds_nothing(tmp_path):
    source = source_archive(tmp_path / "a.db")
    export = tmp_path / "a.jsonl"
    run("export", "--db", source, "-o", str(export))
    target = str(tmp_path / "b.db")
    run("import", str(export), "--db", target)
    again = run("import", str(export), "--db", target, "--processes", "0")
    assert again.stdout.endswith(": 6 lines: 0 new, 0 updated, 6 unchanged, 0 duplicate, 0 bad\n")
    with Archive(target) as loaded, Archive(source) as original:
        assert rows_of(loaded) == rows_of(original)


def test_bad_lines_are_reported_with_their_number_and_the_rest_is_loaded(tmp_path):
    good = gold_article("plo-874982")
    lines = ["{not json", json.dumps(good, ensure_ascii=False), "[1, 2]", "",
             json.dumps({"title": "no url"}), json.dumps(gold_article("vnexpress-4954454"), ensure_ascii=False),
             json.dumps({"path": "list.html", "error": "NotAnArticle: a listing page"})]
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run("import", str(path), "--db", str(tmp_path / "b.db"))
    assert done.exit_code == 0
    assert done.stdout == f"{path}: 6 lines: 2 new, 0 updated, 0 unchanged, 0 duplicate, 4 bad\n"
    assert done.stderr.splitlines() == [
        f"{path}: line 1: not JSON (Expecting property name enclosed in double quotes)",
        f"{path}: line 3: not a JSON object",
        f"{path}: line 5: article has no url",
        f"{path}: line 7: list.html: NotAnArticle: a listing page",
    ]


def test_import_of_a_file_that_is_not_utf8_is_one_line_error(tmp_path):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps({"url": "https://plo.vn/a.html", "title": "Hòa Bình"}, ensure_ascii=False).encode("cp1252"))
    done = run("import", str(path), "--db", str(tmp_path / "b.db"))
    assert done.exit_code == 1
    assert done.stderr == f"Error: {path} is not UTF-8 text (JSON Lines are UTF-8)\n"


def test_only_the_first_ten_bad_lines_are_described_and_the_rest_counted(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text("\n".join(["{bad"] * 12 + [json.dumps(gold_article("plo-874982"), ensure_ascii=False)]) + "\n",
                    encoding="utf-8")
    done = run("import", str(path), "--db", str(tmp_path / "b.db"))
    assert done.stdout.endswith(": 13 lines: 1 new, 0 updated, 0 unchanged, 0 duplicate, 12 bad\n")
    errors = done.stderr.splitlines()
    assert [e.split(": ")[1] for e in errors[:10]] == [f"line {n}" for n in range(1, 11)]
    assert errors[10:] == [f"{path}: … and 2 more bad lines"]
