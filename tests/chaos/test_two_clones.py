"""Exactly once across machines: two clones pushing at once end with one open ticket per item,
both documents linking it (see :mod:`tests.chaos.two_clones`).

``PMSYNC_TWO_CLONES_TRIALS`` sets the trials per tracker flavour (default 2, a few seconds);
``bench/two_clones_bench.py`` runs ten or more and prints the figures.
"""

from __future__ import annotations

import json
import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.base import Stamp
from connectors.github.body import body_stamp
from connectors.sandbox import Sandbox
from syncer.model import Status
from syncer.sync.pull import pull
from tests.chaos.corpus import ITEMS, without_owned_cells
from tests.chaos.test_chaos import document_items
from tests.chaos.two_clones import (
    LATENCY,
    is_open,
    links,
    make_clones,
    push_job,
    tickets,
    trial,
)
from tests.connectors.conftest import FLAVOURS, sandbox_settings

TRIALS = int(os.environ.get("PMSYNC_TWO_CLONES_TRIALS", "2"))
CASES = ("jira-cloud", "jira-server", "github-com")
JIRA_CLOUD_LAG = 0.3  # seconds before a write shows in Cloud's search


@pytest.fixture(scope="module", params=CASES)
def world(request: pytest.FixtureRequest) -> Iterator[tuple[str, Sandbox]]:
    tracker, options = FLAVOURS[request.param]
    lag = JIRA_CLOUD_LAG if request.param == "jira-cloud" else 0.0
    with Sandbox(**options, latency=LATENCY, secondary_limit=None,
                 jira_search_lag=lag) as sandbox:
        yield tracker, sandbox


@pytest.mark.parametrize("number", range(TRIALS))
def test_two_clones_pushing_at_once_keep_one_open_ticket_per_item(
        world: tuple[str, Sandbox], number: int, tmp_path: Path) -> None:
    tracker, sandbox = world
    sandbox.admin.reset()
    settings = sandbox_settings(sandbox, tracker)
    figures = trial(sandbox, tracker, settings, tmp_path, random.Random(number))
    assert figures.exit_codes == [0, 0, 0, 0], figures
    assert figures.open_duplicates_after_race == 0, figures
    assert figures.open_duplicates_after_convergence == 0, figures
    assert figures.clones_disagree == 0 and figures.unlinked == 0, figures
    closed = [t for t in tickets(sandbox, tracker) if "Duplicate of" in str(t.get("comments"))]
    assert len(closed) == figures.duplicates_created, figures
    for ticket in closed:  # closed as duplicates, pointing to the kept ticket
        assert not is_open(ticket)
        if tracker == "github":
            assert ticket["state_reason"] == "duplicate"
        else:  # the sandbox's workflow has no resolution screen: its won't-do transition
            assert ticket["resolution"] in ("Duplicate", "Won't Do")
        stamp = body_stamp(ticket["body"]) if tracker == "github" else Stamp.from_json(
            json.dumps(ticket["properties"]["pmsync"]))
        assert stamp is not None and stamp.duplicate_of is not None
        assert stamp.duplicate_of in ticket["comments"][0]  # the kept ticket's URL


def test_a_later_push_converges_what_a_lagging_index_hid(tmp_path: Path) -> None:
    """Behind a Jira Cloud index that lags longer than pmsync waits, neither run sees the other's
    issues and both keep their own; once the index shows them, the next push in each clone keeps
    the oldest, closes the newer and relinks the items that linked it."""
    tracker, options = FLAVOURS["jira-cloud"]
    with Sandbox(**options, latency=LATENCY, jira_search_lag=60.0) as sandbox:
        settings = sandbox_settings(sandbox, tracker, jira={"search_lag_wait": 0.2})
        figures = trial(sandbox, tracker, settings, tmp_path, random.Random(7),
                        before_convergence=lambda: sandbox.admin.advance_clock(120.0))
    assert figures.duplicates_created > 0 and figures.open_duplicates_after_race > 0, figures
    assert figures.open_duplicates_after_convergence == 0, figures
    assert figures.clones_disagree == 0 and figures.unlinked == 0, figures
    assert figures.exit_codes == [0, 0, 0, 0], figures


def test_pull_follows_a_duplicate_to_the_ticket_kept(tmp_path: Path) -> None:
    """A clone that only pulls after another clone's push closed the duplicates it links gets
    its items relinked to the kept tickets, their statuses read from those (not 'won't do')."""
    tracker, options = FLAVOURS["jira-cloud"]
    with Sandbox(**options, latency=LATENCY, jira_search_lag=60.0) as sandbox:
        settings = sandbox_settings(sandbox, tracker, jira={"search_lag_wait": 0.2})
        first, second = make_clones(tmp_path)
        # The second clone pushes after the first, but the index hides the first's issues.
        assert push_job(first, settings)() == 0 and push_job(second, settings)() == 0
        assert sum(is_open(t) for t in tickets(sandbox, tracker)) == 2 * ITEMS
        sandbox.admin.advance_clock(120.0)
        assert push_job(first, settings)() == 0  # converges: newer tickets closed
        assert sum(is_open(t) for t in tickets(sandbox, tracker)) == ITEMS
        before = second[0].read_bytes()
        sandbox.admin.advance_clock(120.0)  # the index shows the closing too
        result = pull(second, settings)
        assert not result.failed, result
        assert links(first) == links(second)
        relinked = [i for d in result.documents for i in d.items if i.outcome == "linked"]
        assert relinked and all("closed as a duplicate" in str(i.message) for i in relinked)
        assert without_owned_cells(second[0].read_bytes()) == without_owned_cells(before)
        statuses = [i.status for i in document_items(second[0])]
        assert Status.WONT_DO not in statuses
