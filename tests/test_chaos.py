"""A full run killed with SIGKILL at random moments loses nothing and never half-publishes.

Five kills on small demo data (tests/chaos.py; `make chaos` runs 20): one run never interrupted
is the reference, then five runs of another project are each killed in one phase (ingest of a
file, a dbt model, the checks, the export's write and swap), with the invariants checked after
every kill, and a last run must finish with the reference's tables and ledger. That last run is
also a second full build of the same landing folder: its published tables equal the reference's
apart from the time-dependent columns (chaos.TIME_DEPENDENT), to the last digit.
"""

import time

import pytest

from tests import chaos


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    root = tmp_path_factory.mktemp("chaos")
    chaos.small_landing(root / "landing")
    return root


def test_five_kills_at_random_moments_lose_nothing_and_the_next_run_publishes_what_an_uninterrupted_one_does(
    landing,
):
    reference = chaos.reference_run(landing / "reference", landing / "landing")
    seed = int(time.time())
    lines: list[str] = []
    rounds = chaos.chaos(
        landing / "chaos",
        landing / "landing",
        reference,
        kills=5,
        seed=seed,
        recover_every=5,
        log=lines.append,
    )
    report = f"seed {seed}:\n" + "\n".join(lines)
    assert [r.problems for r in rounds] == [[]] * 5, report
    assert sum(r.kill.killed for r in rounds) >= 4, report  # a run may end before a late kill comes
    assert {r.kill.point for r in rounds} == set(chaos.KILL_POINTS)
