"""Hostile input: a generated corpus of damaged files, file names built to break SQL or paths, and
values built to break the outputs. Nothing crashes, nothing is lost, nothing is executed."""

from __future__ import annotations

import json
import re

import duckdb
import pytest

from dagster_project.ingest.contract import TABLES, TABLES_BY_KEY
from dagster_project.publish.publish import publish
from tests.hostile_corpus import write_corpus
from tests.ingest_helpers import VALID_ROWS, csv_text, ingest, new_warehouse, write_file
from tests.publish_fixtures import build_scorecard
from tests.publish_fixtures.synthetic import make_synthetic_warehouse
from tests.test_publish_html import browser, run_browser  # noqa: F401, F811 - browser is a fixture

LEDGER = "select file_id, status, rows_read, rows_loaded, rows_quarantined, message from raw._file_ledger"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    landing = tmp_path_factory.mktemp("hostile") / "landing"
    planted = write_corpus(landing)
    con = new_warehouse()
    results = {}
    for table in TABLES:
        for result in ingest(con, landing, table.key):  # must not raise, whatever the files hold
            results[(table.key, result.file_path)] = result
    yield planted, landing, con, results
    con.close()


def test_the_corpus_is_large_and_every_file_is_in_the_ledger_once(corpus):
    planted, landing, con, results = corpus
    assert len(planted) >= 150
    assert {(p.table_key, p.path.relative_to(landing).as_posix()) for p in planted} == set(results)
    ledger = con.execute(
        "select source_table, file_path, count(*) from raw._file_ledger group by all"
    ).fetchall()
    assert {(table, path) for table, path, _ in ledger} == set(results)
    assert {count for *_, count in ledger} == {1}


def test_rows_read_are_loaded_or_quarantined_and_each_rejection_names_the_file_and_the_reason(corpus):
    planted, landing, con, _ = corpus
    problems = []
    for file in planted:
        table = TABLES_BY_KEY[file.table_key]
        label = file.path.relative_to(landing).as_posix()
        (file_id, status, read, loaded, quarantined, message) = con.execute(
            LEDGER + " where source_table = ? and file_path = ?", [table.key, label]
        ).fetchone()
        if status == "rejected":
            if not (message or "").startswith(label + ": ") or len(message) <= len(label) + 5:
                problems.append(f"{label}: rejection without file and reason: {message!r}")
            continue
        if status == "duplicate":
            if "same content as" not in message:
                problems.append(f"{label}: duplicate without naming the original: {message!r}")
            continue
        in_raw = con.execute(
            f"select count(*) from raw.{table.raw_table} where _file_id = ?", [file_id]
        ).fetchone()[0]
        reasons = con.execute(
            f"select _source_line, _source_file, reason from quarantine.{table.raw_table} where _file_id = ?",
            [file_id],
        ).fetchall()
        if read != loaded + quarantined or in_raw != loaded or len(reasons) != quarantined:
            problems.append(
                f"{label}: read {read}, loaded {loaded} ({in_raw} in raw), quarantined "
                f"{quarantined} ({len(reasons)} in quarantine)"
            )
        if file.records is not None and read != file.records:
            problems.append(f"{label}: {read} rows read of {file.records} written ({file.what})")
        if any(source != label or line is None or not reason for line, source, reason in reasons):
            problems.append(f"{label}: a quarantined row without its file, line or reason")
        by_line = {line: reason for line, _, reason in reasons}
        for line, column in file.bad_lines:
            if f"{column}:" not in by_line.get(line, ""):
                problems.append(f"{label} line {line}: not quarantined for {column}: {by_line.get(line)!r}")
    assert problems == []


def test_every_kind_of_damage_was_tried_and_each_outcome_occurs(corpus):
    planted, landing, con, results = corpus
    statuses = {r.status for r in results.values()}
    assert statuses == {"loaded", "rejected", "duplicate"}
    kinds = {p.path.name.split(".", 1)[1] for p in planted}
    assert {"csv", "csv.gz", "parquet"} <= kinds
    quarantined = con.execute("select sum(rows_quarantined) from raw._file_ledger").fetchone()[0]
    rules_broken = sum(
        len(p.bad_lines)
        for p in planted
        if results[(p.table_key, p.path.relative_to(landing).as_posix())].status == "loaded"
    )
    assert quarantined >= rules_broken > 200


# --- file and folder names ---------------------------------------------------------------

HOSTILE_NAMES = [
    "it's; drop table raw._file_ledger; --.csv",
    'double "quoted".csv',
    "semi;colon.csv",
    "with spaces in it.csv",
    "ÆØÅ æøå 日本語 ü.csv",
    "sub folder; drop/nested 'file'.csv",
    "back\\slash.csv",
    "$(touch pwned)`touch pwned2`.csv",
    "new\nline.csv",
    "percent %s %n {}.csv",
    "a..b...csv",
    "o'neil.csv.gz",
]


def test_hostile_file_names_load_as_plain_names_and_are_never_executed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    landing = tmp_path / "landing"
    for number, name in enumerate(HOSTILE_NAMES, 1):
        row = {**VALID_ROWS["crm.products"], "product_id": f"P{number}"}
        write_file(landing, "crm.products", name, csv_text([row]))
    con = new_warehouse()
    results = ingest(con, landing, "crm.products")
    assert sorted((r.file_path, r.status, r.rows_loaded) for r in results) == sorted(
        (f"crm/products/{name}", "loaded", 1) for name in HOSTILE_NAMES
    )
    assert con.execute("select count(*) from raw._file_ledger").fetchone()[0] == len(HOSTILE_NAMES)
    stored = con.execute(
        "select product_id, _source_file from raw.crm__products order by product_id"
    ).fetchall()
    assert sorted(stored) == sorted(
        (f"P{n}", f"crm/products/{name}") for n, name in enumerate(HOSTILE_NAMES, 1)
    )
    assert not list(tmp_path.glob("pwned*"))


def test_links_out_of_the_landing_folder_are_rejected_and_never_read(tmp_path):
    landing = tmp_path / "landing"
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.csv"
    secret.write_text(csv_text([{**VALID_ROWS["crm.products"], "product_id": "SECRET"}]))
    folder = landing / "crm" / "products"
    folder.mkdir(parents=True)
    (folder / "link.csv").symlink_to(secret)
    (folder / "linked_folder").symlink_to(outside, target_is_directory=True)
    (folder / "x..%2f..%2fsecret.csv").symlink_to(folder / ".." / ".." / ".." / "outside" / "secret.csv")
    inside = write_file(landing, "crm.products", "real.csv", csv_text([VALID_ROWS["crm.products"]]))
    (folder / "inside_link.csv").symlink_to(inside)
    con = new_warehouse()
    results = {r.file_path: r for r in ingest(con, landing, "crm.products")}
    for name in ("link.csv", "x..%2f..%2fsecret.csv"):
        result = results[f"crm/products/{name}"]
        assert result.status == "rejected"
        assert f"a link to {secret}, outside the landing folder: not read" in result.message
    # A link to a file inside the landing folder is read (it comes first in byte order).
    assert results["crm/products/inside_link.csv"].status == "loaded"
    assert results["crm/products/real.csv"].status == "duplicate"
    assert not any("linked_folder" in path for path in results)  # folders linked in are not walked
    assert (
        con.execute("select count(*) from raw.crm__products where product_id = 'SECRET'").fetchone()[0] == 0
    )
    # Rejected once: the next run does not reject it again.
    assert {r.status for r in ingest(con, landing, "crm.products")} == {"already_ingested"}


# --- values built to break the outputs -----------------------------------------------------

HOSTILE_TEXT = (
    "<script>document.documentElement.setAttribute('data-pwned','script')</script>"
    "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">"
    "</li></ul><b>bold</b> \"double\" 'single' & ampersand; drop table kpi_scorecard; -- "
)
LONG_TEXT = "Ø" + "very long text " * 5_000


def test_hostile_values_are_stored_in_raw_as_the_exact_text(tmp_path):
    landing = tmp_path / "landing"
    rows = [
        {**VALID_ROWS["marketing.campaigns"], "campaign_id": "C1", "campaign_name": HOSTILE_TEXT},
        {**VALID_ROWS["marketing.campaigns"], "campaign_id": "C2", "campaign_name": LONG_TEXT},
    ]
    write_file(landing, "marketing.campaigns", "c.csv", csv_text(rows))
    con = new_warehouse()
    ingest(con, landing, "marketing.campaigns")
    assert con.execute(
        "select campaign_name from raw.marketing__campaigns order by campaign_id"
    ).fetchall() == [
        (HOSTILE_TEXT,),
        (LONG_TEXT,),
    ]


@pytest.fixture(scope="module")
def hostile_publish(tmp_path_factory):
    """The synthetic publish with the email channel renamed to the hostile text: its flagged
    breakdown (SHALLOW_EMAIL) puts the name into the flag sentences on the page."""
    folder = tmp_path_factory.mktemp("hostile_publish")
    warehouse = make_synthetic_warehouse(folder / "warehouse.duckdb", build=False)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update main.kpi_values set dimension_value = ? where dimension_value = 'email'", [HOSTILE_TEXT]
        )
        con.execute(
            "update main.kpi_values set dimension_value = ? where dimension_value = 'chat'", [LONG_TEXT]
        )
    build_scorecard(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        return publish(con, folder / "published")


def test_hostile_values_are_published_as_plain_text_in_tables_and_parquet(hostile_publish):
    with duckdb.connect(str(hostile_publish.database_path), read_only=True) as con:
        for text in (HOSTILE_TEXT, LONG_TEXT):
            assert con.execute(
                "select count(*) from kpi_scorecard where dimension_value = ?", [text]
            ).fetchone()[0]
            parquet = str(hostile_publish.database_path.parent / "parquet" / "kpi_scorecard.parquet")
            assert con.execute(
                "select count(*) from read_parquet(?) where dimension_value = ?", [parquet, text]
            ).fetchone()[0]
        flags = con.execute(
            "select guardrail_flags from kpi_scorecard where dimension_value = ? and is_flagged",
            [HOSTILE_TEXT],
        ).fetchall()
    assert flags and all(isinstance(json.loads(text), list) for (text,) in flags)


def test_the_scorecard_page_shows_hostile_names_escaped_and_runs_none_of_them(
    hostile_publish,
    browser,  # noqa: F811 - the fixture imported above
    tmp_path,
):
    page = hostile_publish.html_path.read_text()
    assert "<script>document" not in page and "<img src=x" not in page
    assert "&lt;script&gt;document.documentElement" in page  # shown, as text
    done = run_browser(browser, tmp_path / "profile", "--dump-dom", hostile_publish.html_path.as_uri())
    dom = done.stdout
    assert "<body" in dom, done.stderr[-2000:]
    assert not re.search(r"<html[^>]*data-pwned", dom)  # neither the script nor the onerror ran
    assert "<b>bold</b>" not in dom and "&lt;b&gt;bold&lt;/b&gt;" in dom
    # The page's own script did run (so a hostile one would have had its chance).
    assert re.search(r'<body[^>]*data-lang="da"', dom)


def test_the_page_holds_no_script_but_its_own(hostile_publish):
    page = hostile_publish.html_path.read_text()
    assert page.count("<script") == 1
    assert not re.search(r"<[^>]*\son\w+\s*=", page)  # no tag with an inline event handler
    assert "<img" not in page
