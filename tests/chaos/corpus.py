"""The documents every chaos trial pushes, and how to tell pmsync's cells from everything else.

Two postmortems: one action-item table (LF line endings; some Status cells empty, which push
fills) and one checkbox list (CRLF line endings, where push appends ``([KEY](url))`` to each
item). Every title is unique, so tickets can be matched to items by title as well as by link.
"""

from __future__ import annotations

import re

TABLE_ROWS = [
    ("1", "Add request coalescing to the cache client", "@alice", "2025-04-01", "P1", "Open"),
    ("2", "Alert on cache hit ratio below 80%", "@alice", "2025-04-08", "P2", ""),
    ("3", "Write the cache runbook", "", "2025-04-15", "P3", "In progress"),
    ("4", "Retire the legacy cache cluster", "@alice", "2025-05-01", "P3", ""),
    ("5", "Load-test the origin at 3x peak", "@bob", "2025-05-06", "P2", "Open"),
    ("6", "Cap retries in the edge proxy", "@alice", "2025-05-13", "P1", "Open"),
    ("7", "Document the failover drill", "", "", "P3", ""),
    ("8", "Page the cache on-call for origin 5xx", "@alice", "2025-05-20", "P2", "Open"),
]

TABLE_DOC = (
    "# Postmortem: cache stampede\n\n"
    "**Incident ID:** INC-0042  \n**Date:** 2025-03-14\n\n"
    "## Action items\n\n"
    "| ID | Action | Owner | Due | Priority | Status | Ticket |\n"
    "|----|--------|:-----:|-----|----------|--------|--------|\n"
    + "".join(f"| {i} | {t} | {o} | {d} | {p} | {s} | |\n" for i, t, o, d, p, s in TABLE_ROWS)
    + "\n## Timeline\n\n| Time | Event |\n|---|---|\n| 10:02 | Origin saturated |\n"
)

LIST_ITEMS = [
    "Rotate the webhook signing secret (Owner: @alice, due 2025-06-01)",
    "Add a dead-letter queue for webhook retries (Owner: @bob)",
    "P1 Shed load before the queue backs up (Owner: @alice, due 2025-06-15)",
    "Backfill the delayed deliveries report",
]

LIST_DOC = "\r\n".join([
    "# Postmortem: webhook delays",
    "",
    "## Follow-ups",
    "",
    *[f"- [ ] {text}" for text in LIST_ITEMS],
    "",
    "## Lessons learned",
    "",
    "- Queues hide latency until they do not.",
    "",
])

DOCUMENTS: dict[str, bytes] = {
    "2025-03-14-cache-stampede.md": TABLE_DOC.encode("utf-8"),
    "2025-05-02-webhook-delays.md": LIST_DOC.encode("utf-8"),
}

TITLES = [row[1] for row in TABLE_ROWS] + LIST_ITEMS
ITEMS = len(TITLES)

_LINK = re.compile(rb" ?\(?\[(?:[A-Z][A-Z0-9_]*-\d+|#\d+)\]\([^)\s]*\)\)?")
_OWNED_CELLS = (5, 6)  # Status and Ticket in the table above
_ROW = re.compile(rb"^\| \d+ \|")


def without_owned_cells(data: bytes) -> bytes:
    """``data`` with every cell pmsync owns emptied and every link it appends removed.

    Two documents are equal "outside owned cells" when this gives the same bytes for both.
    """
    lines = data.splitlines(keepends=True)
    out = []
    for line in lines:
        body = line.rstrip(b"\r\n")
        ending = line[len(body):]
        if _ROW.match(body):
            cells = body.split(b"|")
            for index in _OWNED_CELLS:
                cells[index + 1] = b""
            body = b"|".join(cells)
        else:
            body = _LINK.sub(b"", body)
            body = body.replace(b"- [x] ", b"- [ ] ")
        out.append(body + ending)
    return b"".join(out)


def without_ticket_numbers(data: bytes) -> bytes:
    """``data`` with each ticket link replaced by a placeholder (numbers differ between runs)."""
    return re.sub(rb"\[(?:[A-Z][A-Z0-9_]*-\d+|#\d+)\]\([^)\s]*\)", b"[TICKET](URL)", data)
