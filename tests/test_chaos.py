"""A full run killed with SIGKILL at random moments loses nothing and never half-publishes; the
published outputs of a real run leak no HR number about fewer than 5 people.

Five kills on small demo data (tests/chaos.py; `make chaos` runs 20): one run never interrupted
is the reference, then five runs of another project are each killed in one phase (ingest of a
file, a dbt model, the checks, the export's write and swap), with the invariants checked after
every kill, and a last run must finish with the reference's tables and ledger, to the last digit,
apart from the time-dependent columns (chaos.TIME_DEPENDENT) and the data-quality annotations of
the latest ingest batch, which a kill splits (chaos.BATCH_DEPENDENT).
"""

import shutil
import time

import duckdb
import pytest

from tests import chaos
from tests.privacy_scan import privacy_problems


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    root = tmp_path_factory.mktemp("chaos")
    chaos.small_landing(root / "landing")
    return root


@pytest.fixture(scope="module")
def reference(root):
    return chaos.reference_run(root / "reference", root / "landing")


def test_five_kills_at_random_moments_lose_nothing_and_the_next_run_publishes_what_an_uninterrupted_one_does(
    root, reference
):
    seed = int(time.time())
    lines: list[str] = []
    rounds = chaos.chaos(
        root / "chaos", root / "landing", reference, kills=5, seed=seed, recover_every=5, log=lines.append
    )
    report = f"seed {seed}:\n" + "\n".join(lines)
    assert [r.problems for r in rounds] == [[]] * 5, report
    assert sum(r.kill.killed for r in rounds) >= 4, report  # a run may end before a late kill comes
    assert {r.kill.point for r in rounds} == set(chaos.KILL_POINTS)


def test_no_published_output_holds_an_employee_or_an_hr_number_over_fewer_than_5_people(reference):
    # At this scale every department but one has fewer than 5 people: most cells are suppressed.
    assert privacy_problems(reference.project.published, reference.project.warehouse) == []


def test_the_privacy_scan_finds_an_unsuppressed_small_department(reference, tmp_path):
    leaky = tmp_path / "published"
    shutil.copytree(reference.project.published, leaky)
    with duckdb.connect(str(leaky / "kpis.duckdb")) as con:
        changed = con.execute(
            "update kpi_scorecard set value = 0.5, numerator = 1, denominator = 2 "
            "where kpi_id = 'hr.sick_absence_rate' and dimension_name = 'department' "
            "and null_reason = 'group below 5' and grain = 'month'"
        ).fetchone()[0]
    assert changed > 0
    problems = privacy_problems(leaky, reference.project.warehouse)
    assert any("kpi_scorecard: hr.sick_absence_rate month" in p and "department=" in p for p in problems)
