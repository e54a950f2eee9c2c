"""Several machines: two real Scrapyd daemons on 127.0.0.1 each crawl their share of the sites of
the fixture mirror into their own archive; `tintinh merge` of their archives equals the archive
of one machine crawling every site (same articles, stories, versions, failures, raw pages).

The project goes to each Scrapyd as Scrapyd takes it: an egg built by the project's own setup
(setup.py bdist_egg, what `scrapyd-deploy` runs) and uploaded by `scrapyd-deploy`; crawls are
scheduled through Scrapyd's HTTP API (schedule.json, then listjobs.json until they finish), with
the mirror's origins and the fast settings as `setting=` job arguments.

The mirror gets one addition here: a reprint of the baolaocai article on dantri (its feed lists
it), with its lead and one sentence edited and a later date. baolaocai and dantri are crawled on
different machines, so only the merge can put the two copies in one story.
"""
import gzip
import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

from crawler.mirror import MirrorServer, Route, load_routes, route_key
from mockserver import FAST, FIXTURE_SITE, TINTINH, run_crawl

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MACHINES = {"one": ["baolaocai", "plo"], "two": ["tuoitre", "dantri"]}
ORIGINAL = "https://baolaocai.vn/song-dep-tu-nhung-dieu-gian-di-post404649.html"
REPRINT = "https://dantri.com.vn/xa-hoi/song-dep-tu-nhung-dieu-gian-di-20250618090000000.htm"
PLO = ("https://plo.vn/doan-dai-bieu-tphcm-dang-hoa-tuong-niem-cac-anh-hung-liet-si-tai-binh-duong-ba-ria-vung-tau"
       "-cu-post874982.html")
JOB_SECONDS = 45


def mirror_routes() -> dict[str, Route]:
    """The fixture mirror, plus the reprint on dantri and a dantri feed that lists it."""
    routes = load_routes(FIXTURE_SITE)
    page = gzip.decompress((FIXTURE_SITE / "baolaocai-404649.html.gz").read_bytes())
    reprint = (page.replace(ORIGINAL.encode(), REPRINT.encode())
               .replace(b"2025-06-17T13:43:02", b"2025-06-18T09:00:00")
               .replace("Không ồn ào, không phô trương".encode(), "(Dân trí) - Không ồn ào, không phô trương".encode())
               .replace("đầy nhân ái".encode(), "giàu lòng nhân ái".encode()))
    routes[route_key(REPRINT)] = Route(body=reprint)
    feed = (FIXTURE_SITE / "dantri-home.rss").read_text(encoding="utf-8").replace(
        "</channel>", f"<item><title>Sống đẹp từ những điều giản dị</title><link>{REPRINT}</link>"
                      "<pubDate>Wed, 18 Jun 2025 09:00:00 +0700</pubDate></item></channel>")
    for url in ("https://dantri.com.vn/rss/tin-moi-nhat.rss", "https://dantri.com.vn/rss/kinh-doanh.rss"):
        routes[route_key(url)] = Route(body=feed.encode(), content_type="application/rss+xml; charset=utf-8")
    return routes


def edit_plo_article(server: MirrorServer) -> None:
    """The plo article changes a sentence, so a refresh crawl keeps its first text as a version."""
    key = route_key(PLO)
    body = server.routes[key].body.replace("thắp hương tưởng niệm".encode(), "thắp nén hương tưởng niệm".encode())
    assert body != server.routes[key].body
    server.routes[key] = Route(body=body)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Scrapyd:
    """A Scrapyd daemon on 127.0.0.1 with its own eggs, logs and queue databases under `home`."""

    def __init__(self, home: Path):
        home.mkdir()
        self.home, self.port = home, free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        # Scrapyd reads scrapyd.conf in its working directory
        (home / "scrapyd.conf").write_text(
            "[scrapyd]\nbind_address = 127.0.0.1\n"
            f"http_port = {self.port}\neggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\n"
            f"dbs_dir = {home / 'dbs'}\nitems_dir =\npoll_interval = 0.2\n", encoding="utf-8")
        self.output = (home / "scrapyd.out").open("wb")
        self.process = subprocess.Popen([str(BIN / "scrapyd")], cwd=home, stdout=self.output, stderr=subprocess.STDOUT)

    def wait_ready(self, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                assert self.api("daemonstatus.json")["status"] == "ok"
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"Scrapyd did not start: {(self.home / 'scrapyd.out').read_text()[-2000:]}")
                time.sleep(0.1)

    def api(self, endpoint: str, data: list[tuple[str, str]] | None = None, **query) -> dict:
        url = self.url + endpoint + ("?" + urllib.parse.urlencode(query) if query else "")
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        with urllib.request.urlopen(url, data=body, timeout=10) as response:
            return json.loads(response.read())

    def schedule(self, sites: list[str], db: Path, origins: dict, **args: str) -> str:
        settings = {**FAST, "TINTINH_DB": str(db), "TINTINH_ORIGINS": json.dumps(origins)}
        data = [("project", "tintinh"), ("spider", "news"), ("site", ",".join(sites)), *args.items()]
        data += [("setting", f"{key}={value}") for key, value in settings.items()]
        answer = self.api("schedule.json", data)
        assert answer["status"] == "ok", answer
        return answer["jobid"]

    def wait_finished(self, job: str) -> str:
        """The job's log, once listjobs.json lists it as finished."""
        deadline = time.monotonic() + JOB_SECONDS
        while time.monotonic() < deadline:
            finished = {j["id"]: j for j in self.api("listjobs.json", project="tintinh")["finished"]}
            if job in finished:
                return (self.home / "logs" / "tintinh" / "news" / f"{job}.log").read_text(encoding="utf-8")
            time.sleep(0.2)
        raise AssertionError(f"job {job} did not finish in {JOB_SECONDS} s")

    def close(self) -> None:
        self.process.terminate()  # the daemon this test started, by its own handle
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.output.close()


def build_egg(out: Path) -> Path:
    """The project's egg, as `scrapyd-deploy` builds it (setup.py bdist_egg), with every build
    directory under `out` so that nothing is written into the working tree."""
    done = subprocess.run([sys.executable, "setup.py", "-q", "egg_info", "--egg-base", str(out), "build",
                           "--build-base", str(out / "build"), "bdist_egg", "--bdist-dir", str(out / "bdist"),
                           "--dist-dir", str(out / "dist")], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    (egg,) = (out / "dist").glob("tintinh-*.egg")
    return egg


def deploy(egg: Path, scrapyd: Scrapyd) -> None:
    """`SCRAPYD_URL=… scrapyd-deploy machine --egg EGG`: scrapy.cfg's [deploy:machine] target."""
    done = subprocess.run([str(BIN / "scrapyd-deploy"), "machine", "--egg", str(egg)], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "SCRAPYD_URL": scrapyd.url})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["spiders"] == 1


@pytest.fixture(scope="module")
def egg(tmp_path_factory) -> Path:
    return build_egg(tmp_path_factory.mktemp("egg"))


@pytest.fixture(scope="module")
def cluster(egg, tmp_path_factory):
    """Two rounds: everything crawled once; then a refresh crawl of machine one's sites after the
    plo article changed. Each round runs on both Scrapyds and, beside them, as one machine's
    `tintinh crawl` of every site. Then `tintinh merge` of the two machines' archives."""
    tmp = tmp_path_factory.mktemp("cluster")
    started = time.monotonic()
    daemons = {name: Scrapyd(tmp / name) for name in MACHINES}
    try:
        with MirrorServer(mirror_routes()) as server:
            for scrapyd in daemons.values():
                scrapyd.wait_ready()
                deploy(egg, scrapyd)
            dbs = {name: tmp / f"{name}.db" for name in MACHINES}
            single = tmp / "single.db"
            logs = []
            for round_ in (1, 2):
                refresh = {"refresh": "1"} if round_ == 2 else {}
                names = list(MACHINES) if round_ == 1 else ["one"]
                jobs = {name: daemons[name].schedule(MACHINES[name], dbs[name], server.origins(), **refresh)
                        for name in names}
                sites = [s for name in names for s in MACHINES[name]]
                done, _ = run_crawl(sites + (["--refresh"] if refresh else []), single, server.origins())
                assert done.returncode == 0, done.stderr[-2000:]
                logs += [daemons[name].wait_finished(job) for name, job in jobs.items()]
                if round_ == 1:
                    edit_plo_article(server)
        merged = tmp / "merged.db"
        done = subprocess.run([str(TINTINH), "merge", str(dbs["one"]), str(dbs["two"]), "--into", str(merged)],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    finally:
        for scrapyd in daemons.values():
            scrapyd.close()
    seconds = time.monotonic() - started
    return {"dbs": dbs, "single": single, "merged": merged, "logs": logs, "output": done.stdout, "seconds": seconds}


def rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return sorted(conn.execute(sql).fetchall(), key=repr)


def stories(db: Path) -> set[frozenset]:
    return {frozenset(g.split(" ")) for (g,) in rows(db, "SELECT group_concat(canonical_url, ' ') FROM articles"
                                                          " GROUP BY story_id")}


ARTICLES = ("SELECT canonical_url, url, site, province, title, sapo, body, authors, published_at, modified_at,"
            " category, tags, language, extractor, content_hash FROM articles")
COMPARED = {  # what must be the same, without the times (each crawl ran at its own time)
    "articles": ARTICLES,
    "duplicates": "SELECT a.canonical_url, d.canonical_url FROM articles a LEFT JOIN articles d ON d.id = a.duplicate_of",
    "versions": "SELECT a.canonical_url, v.title, v.sapo, v.body, v.content_hash FROM article_versions v"
                " JOIN articles a ON a.id = v.article_id",
    "aliases": "SELECT u.url, a.canonical_url FROM url_aliases u JOIN articles a ON a.id = u.article_id",
    "images": "SELECT a.canonical_url, i.position, i.src, i.caption FROM images i JOIN articles a ON a.id = i.article_id",
    "failures": "SELECT url, site, reason, times FROM failures",
    "pages": "SELECT url, final_url, status, site, body_sha1, body_size, failure FROM pages",
    "article_pages": "SELECT a.canonical_url, p.url, p.body_sha1 FROM articles a LEFT JOIN pages p ON p.id = a.page_id",
}


def test_the_egg_carries_the_registry_extraction_rules_and_the_scrapy_entry_point(egg):
    with zipfile.ZipFile(egg) as z:
        names = set(z.namelist())
        assert {"crawler/sites/sites.toml", "pipelines/families.toml", "crawler/settings.py",
                "crawler/spiders/news.py", "crawler/demo_site/site.toml", "archive/datasette/metadata.yml"} <= names
        assert not any(name.startswith("tests/") for name in names)
        entry_points = z.read("EGG-INFO/entry_points.txt").decode()
    assert "[scrapy]\nsettings = crawler.settings" in entry_points


EGG_ONLY = """
import sys
# what Scrapyd's runner has: the egg on sys.path, and no other copy of the project to import from
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
sys.path[:] = [p for p in sys.path if p not in ("", {root!r})] + [{egg!r}]
import gzip
from crawler.sites import load_sites, site_profile_for_url
from pipelines.extract import extract_article
assert sys.modules["crawler.sites"].__file__.startswith({egg!r}), sys.modules["crawler.sites"].__file__
page = gzip.decompress(open({page!r}, "rb").read())
print(len(load_sites()), extract_article(page, {url!r}, site_profile_for_url({url!r}))["title"])
"""


def test_the_crawl_code_runs_from_the_zipped_egg_alone(egg):
    """Scrapyd never unpacks an egg: the registry and extraction rules are read from inside the zip."""
    code = EGG_ONLY.format(root=str(ROOT), egg=str(egg), page=str(FIXTURE_SITE / "baolaocai-404649.html.gz"),
                           url=ORIGINAL)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=egg.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    sites, title = done.stdout.strip().split(" ", 1)
    assert int(sites) > 50 and title == "Sống đẹp từ những điều giản dị"


def test_every_scrapyd_job_ran_its_crawl_to_the_end(cluster):
    assert len(cluster["logs"]) == 3
    for log in cluster["logs"]:
        assert "Spider closed (finished)" in log
        assert "Traceback" not in log and "'new': " in log


@pytest.mark.parametrize("what", list(COMPARED))
def test_merged_archives_of_two_machines_equal_one_machine_crawling_every_site(cluster, what):
    merged, single = rows(cluster["merged"], COMPARED[what]), rows(cluster["single"], COMPARED[what])
    assert merged == single
    assert merged  # every comparison has rows, so it means something


def test_the_stories_are_those_of_one_machine(cluster):
    assert stories(cluster["merged"]) == stories(cluster["single"])


def test_the_wire_story_crawled_on_two_machines_is_one_story_after_the_merge(cluster):
    wire = frozenset({ORIGINAL, REPRINT})
    assert wire not in stories(cluster["dbs"]["one"]) | stories(cluster["dbs"]["two"])
    assert wire in stories(cluster["merged"])
    assert rows(cluster["merged"], "SELECT a.canonical_url FROM articles a JOIN articles d ON d.id = a.duplicate_of"
                                   " WHERE d.canonical_url = '" + ORIGINAL + "'") == [(REPRINT,)]


def test_the_refresh_kept_the_first_text_as_a_version_and_failures_count_both_runs(cluster):
    assert [url for url, *_ in rows(cluster["merged"], COMPARED["versions"])] == [PLO]
    times = dict(rows(cluster["merged"], "SELECT url, times FROM failures WHERE reason = 'http_500'"))
    assert times == {"https://baolaocai.vn/loi-may-chu-post100002.html": 2}


def test_the_merge_keeps_each_machines_runs(cluster):
    runs = rows(cluster["merged"], "SELECT sites FROM runs")
    assert runs == sorted([(json.dumps(MACHINES["one"]),)] * 2 + [(json.dumps(MACHINES["two"]),)], key=repr)
