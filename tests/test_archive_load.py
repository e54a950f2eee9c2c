import io
import json
import sqlite3

import pytest
from click.testing import CliRunner

from archive import load as load_module
from archive import store as store_module
from archive.load import load, read_lines
from archive.store import Archive
from cli.main import cli
from test_archive_store import gold_article, mixed_articles, rows_of


def run(*args, **kwargs):
    return CliRunner().invoke(cli, list(args), **kwargs)


def source_archive(path) -> str:
    with Archive(path, aliases={}) as archive:
        for article in mixed_articles():
            archive.store_article(article)
    return str(path)


def line(article: dict) -> str:
    return json.dumps(article, ensure_ascii=False)


def write_lines(path, lines: list) -> str:
    path.write_bytes(b"".join((x if isinstance(x, bytes) else x.encode("utf-8")) + b"\n" for x in lines))
    return str(path)


def test_an_exported_archive_loads_into_another_with_the_same_articles_and_stories(tmp_path):
    source = source_archive(tmp_path / "a.db")
    export = tmp_path / "a.jsonl"
    assert run("export", "--db", source, "-o", str(export)).exit_code == 0
    target = str(tmp_path / "b.db")
    done = run("import", str(export), "--db", target, "--processes", "1")
    assert done.exit_code == 0, done.stderr
    assert done.stdout == f"{export}: 6 lines: 6 loaded (5 new, 0 updated, 0 unchanged, 1 duplicate), 0 skipped\n"
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
    assert again.stdout.endswith(": 6 lines: 6 loaded (0 new, 0 updated, 6 unchanged, 0 duplicate), 0 skipped\n")
    with Archive(target) as loaded, Archive(source) as original:
        assert rows_of(loaded) == rows_of(original)
        assert loaded.conn.execute("SELECT count(*) FROM article_versions").fetchone() == (1,)


def test_bad_lines_are_reported_with_their_number_and_the_rest_is_loaded(tmp_path):
    lines = ["{not json", line(gold_article("plo-874982")), "[1, 2]", "",
             json.dumps({"title": "no url"}), line(gold_article("vnexpress-4954454")),
             json.dumps({"path": "list.html", "error": "NotAnArticle: a listing page"})]
    path = write_lines(tmp_path / "in.jsonl", lines)
    done = run("import", path, "--db", str(tmp_path / "b.db"))
    assert done.exit_code == 1
    assert done.stdout == f"{path}: 6 lines: 2 loaded (2 new, 0 updated, 0 unchanged, 0 duplicate), 4 skipped\n"
    assert done.stderr.splitlines() == [
        f"{path}: line 1: not JSON (Expecting property name enclosed in double quotes)",
        f"{path}: line 3: not a JSON object",
        f"{path}: line 5: article has no url",
        f"{path}: line 7: list.html: NotAnArticle: a listing page",
        "Error: 4 lines skipped (see above)",
    ]


def test_a_line_that_is_not_utf8_is_one_skipped_line_among_loaded_ones(tmp_path):
    cp1252 = json.dumps({"url": "https://plo.vn/a-1.html", "title": "Hòa Bình"}, ensure_ascii=False).encode("cp1252")
    path = write_lines(tmp_path / "in.jsonl", [line(gold_article("plo-874982")), line(gold_article("vnexpress-4954454")),
                                               cp1252, line(gold_article("baolaocai-404649"))])
    done = run("import", path, "--db", str(tmp_path / "b.db"))
    assert done.exit_code == 1
    assert done.stdout.endswith(": 4 lines: 3 loaded (3 new, 0 updated, 0 unchanged, 0 duplicate), 1 skipped\n")
    assert done.stderr.splitlines()[0] == f"{path}: line 3: not UTF-8 (invalid continuation byte at byte 46 of the line)"


@pytest.mark.parametrize("changes, reason", [
    ({"url": 12345}, '"url" must be a string, not a number'),
    ({"title": 5}, '"title" must be a string, not a number'),
    ({"body": ["một", "hai"]}, '"body" must be a string, not a list'),
    ({"authors": "Nguyen Van A"}, '"authors" must be a list of strings, not a string'),
    ({"tags": ["thời sự", 7]}, '"tags" must be a list of strings, not a list holding a number'),
    ({"images": "https://plo.vn/a.jpg"}, '"images" must be a list of objects, not a string'),
    ({"images": [{"src": 5, "caption": None}]}, '"images[0].src" must be a string, not a number'),
    ({"related": [["https://plo.vn/b.html"]]}, '"related" must be a list of objects, not a list holding a list'),
    ({"published_at": "hôm qua"}, '"published_at" must be an ISO 8601 date, not \'hôm qua\''),
    ({"fetched_at": True}, '"fetched_at" must be a string, not true/false'),
    ({"versions": [{"body": "bản cũ"}]}, '"versions[0].replaced_at" is missing'),
    ({"id": 1, "story_id": "1"}, '"story_id" must be a whole number, not a string'),
    ({"title": "\ud800"}, '"title" holds an unpaired surrogate (not valid Unicode text)'),
    ({"url": "http://[::1/a.html"}, '"url" is not a URL (Invalid IPv6 URL)'),
])
def test_a_field_of_the_wrong_type_skips_its_line_with_the_field_named(tmp_path, changes, reason):
    bad = json.dumps(gold_article("plo-874982", **changes))  # ASCII escapes keep a lone surrogate writable
    path = write_lines(tmp_path / "in.jsonl", [bad, line(gold_article("vnexpress-4954454"))])
    done = run("import", path, "--db", str(tmp_path / "b.db"))
    assert done.exit_code == 1
    assert done.stderr.splitlines()[0] == f"{path}: line 1: {reason}"
    assert done.stdout.endswith(": 2 lines: 1 loaded (1 new, 0 updated, 0 unchanged, 0 duplicate), 1 skipped\n")


def test_json_too_deep_or_a_number_too_long_is_a_skipped_line(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", ["[" * 100_000, '{"url": ' + "9" * 5000 + "}",
                                               line(gold_article("plo-874982"))])
    done = run("import", path, "--db", str(tmp_path / "b.db"))
    assert done.exit_code == 1
    errors = done.stderr.splitlines()
    assert errors[0] == f"{path}: line 1: not JSON (nested too deeply)"
    assert errors[1].startswith(f"{path}: line 2: not JSON (Exceeds the limit (4300 digits)")
    assert ": 3 lines: 1 loaded (1 new," in done.stdout


def test_a_line_over_5_mb_is_skipped_and_the_next_one_loaded(tmp_path):
    huge = line(gold_article("plo-874982", body="Một đoạn văn rất dài. " * 250_000))
    path = write_lines(tmp_path / "in.jsonl", [huge, line(gold_article("vnexpress-4954454"))])
    done = run("import", path, "--db", str(tmp_path / "b.db"))
    assert done.exit_code == 1
    size = len(huge.encode("utf-8"))
    assert size > 5 * 1024 * 1024
    assert done.stderr.splitlines()[0] == f"{path}: line 1: {size:,} bytes long, over the limit of 5,242,880 bytes an article"
    assert ": 2 lines: 1 loaded (1 new," in done.stdout


class CountingStream(io.BytesIO):
    """A file that remembers the most bytes one read handed out."""
    largest = 0

    def readline(self, size=-1):
        data = super().readline(size)
        self.largest = max(self.largest, len(data))
        return data


def test_an_over_long_line_is_read_in_bounded_chunks_and_dropped():
    stream = CountingStream(b'{"a": 1}\n' + b"x" * 3_000_000 + b"\n" + b'{"b": 2}')
    lines = list(read_lines(stream, limit=1000))
    assert lines == [(1, b'{"a": 1}', 8), (2, None, 3_000_000), (3, b'{"b": 2}', 8)]
    assert stream.largest <= max(1001, load_module._DROP_CHUNK) < 3_000_000


def test_standard_input_is_read_as_bytes_line_by_line(tmp_path):
    data = ("\ufeff" + line(gold_article("plo-874982")) + "\r\n" + line(gold_article("vnexpress-4954454")) + "\r\n").encode()
    done = run("import", "-", "--db", str(tmp_path / "b.db"), input=data + b"\xff\xfe\n")
    assert done.stdout == "-: 3 lines: 2 loaded (2 new, 0 updated, 0 unchanged, 0 duplicate), 1 skipped\n"
    assert done.stderr.splitlines() == ["-: line 3: not UTF-8 (invalid start byte at byte 0 of the line)",
                                        "Error: 1 line skipped (see above)"]


def test_lines_go_to_the_archive_a_few_at_a_time_and_keep_their_numbers(tmp_path, monkeypatch):
    monkeypatch.setattr(store_module, "PREPARED_CHUNK", 2)
    monkeypatch.setattr(store_module, "PREPARED_AHEAD", 3)
    arts = mixed_articles()
    lines = [line(arts[0]), line({"url": "https://plo.vn/empty.html"}), "{bad", line(arts[1]), line(arts[2]),
             line({"url": "https://plo.vn/empty-2.html"}), line(arts[3]), line(arts[4])]
    with Archive(tmp_path / "b.db", aliases={}) as archive:
        result = load(archive, io.BytesIO("\n".join(lines).encode()), processes=1)
        assert archive.conn.execute("SELECT count(*) FROM articles").fetchone() == (5,)
    assert (result.lines, result.loaded, result.skipped) == (8, 5, 3)
    assert result.described() == ["line 2: article https://plo.vn/empty.html has neither title nor body",
                                  "line 3: not JSON (Expecting property name enclosed in double quotes)",
                                  "line 6: article https://plo.vn/empty-2.html has neither title nor body"]


def test_only_the_first_ten_skipped_lines_are_described_and_the_rest_counted(tmp_path):
    path = write_lines(tmp_path / "in.jsonl", ["{bad"] * 12 + [line(gold_article("plo-874982"))])
    done = run("import", path, "--db", str(tmp_path / "b.db"))
    assert done.stdout.endswith(": 13 lines: 1 loaded (1 new, 0 updated, 0 unchanged, 0 duplicate), 12 skipped\n")
    errors = done.stderr.splitlines()
    assert [e.split(": ")[1] for e in errors[:10]] == [f"line {n}" for n in range(1, 11)]
    assert errors[10:] == [f"{path}: … and 2 more skipped lines", "Error: 12 lines skipped (see above)"]


def test_an_id_from_clean_text_is_not_taken_for_an_exported_one(tmp_path):
    arts = [dict(gold_article("plo-874982"), id="bài-1"), dict(gold_article("vnexpress-4954454"), id=1)]
    with Archive(tmp_path / "b.db", aliases={}) as archive:
        result = load(archive, io.BytesIO("\n".join(line(a) for a in arts).encode()), processes=0)
        assert result.statuses["new"] == 2
        assert archive.conn.execute("SELECT id, story_id FROM articles").fetchall() == [(1, 1), (2, 2)]
