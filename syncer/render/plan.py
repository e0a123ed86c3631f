"""How ``pmsync plan`` shows the push plan: Markdown for a pull request, text, JSON."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from syncer.push_plan import DocumentRows, PlanRow
from syncer.render.items import shorten
from syncer.render.report import markdown_cell

#: What each action means to someone about to merge.
VERBS = {"create": "create", "update": "update", "link": "link", "conflict": "conflict",
         "problem": "problem"}
_STYLE = {"create": "green", "update": "cyan", "link": "blue", "conflict": "red",
          "problem": "red"}
#: GitHub refuses comment bodies longer than this.
COMMENT_LIMIT = 65536


def totals(documents: Sequence[DocumentRows]) -> dict[str, int]:
    """How many items each action takes, over every document."""
    counts: dict[str, int] = {}
    for doc in documents:
        for row in doc.rows:
            counts[row.action] = counts.get(row.action, 0) + 1
    return counts


def headline(documents: Sequence[DocumentRows]) -> str:
    """``2 to create, 1 to update, 1 conflict in 2 postmortem(s)`` (or that nothing changes)."""
    counts = totals(documents)
    words = {"create": "to create", "update": "to update", "link": "to link",
             "conflict": "conflict(s)", "problem": "problem(s)"}
    parts = [f"{counts[a]} {words[a]}" for a in ("create", "update", "link", "conflict",
                                                  "problem") if counts.get(a)]
    where = f"{len(documents)} postmortem(s)"
    if not parts:
        return f"Nothing for pmsync to create or change in {where}."
    return f"{', '.join(parts)} in {where}."


def plan_markdown(documents: Sequence[DocumentRows], *, note: str | None = None,
                  max_rows: int | None = None, base_url: str | None = None) -> str:
    """The plan as GitHub Markdown: a headline, then one table per document."""
    out = ["### pmsync plan: what merging this does", "", headline(documents), ""]
    if note:
        out += [f"> {note}", ""]
    for doc in documents:
        out += _document_markdown(doc, max_rows, base_url)
    return "\n".join(out).rstrip("\n") + "\n"


def plan_markdown_within(documents: Sequence[DocumentRows], limit: int = COMMENT_LIMIT - 200,
                         *, note: str | None = None, base_url: str | None = None) -> str:
    """The Markdown plan with fewer rows per document until it fits ``limit`` characters."""
    text = plan_markdown(documents, note=note, base_url=base_url)
    rows = max((len(d.rows) for d in documents), default=0)
    while len(text) > limit and rows > 0:
        rows //= 2
        text = plan_markdown(documents, note=note, max_rows=rows, base_url=base_url)
    return text


def _document_markdown(doc: DocumentRows, max_rows: int | None,
                       base_url: str | None) -> list[str]:
    path = doc.path.as_posix()
    name = f"[`{path}`]({base_url.rstrip('/')}/{path})" if base_url else f"`{path}`"
    out = [f"#### {name}", ""]
    rows = doc.rows if max_rows is None else doc.rows[:max_rows]
    if rows:
        out += ["| | Item | Owner | Tracker | Due | Ticket | Note |",
                "| --- | --- | --- | --- | --- | --- | --- |"]
        out += [_markdown_row(row) for row in rows]
        out.append("")
    if len(rows) < len(doc.rows):
        out += [f"… and {len(doc.rows) - len(rows)} more (see the step summary or run "
                "`pmsync plan` locally).", ""]
    alone = ", ".join(f"{n} {action}" for action, n in sorted(doc.left_alone.items()))
    if alone:
        out += [f"Left as they are: {alone}.", ""]
    return out


def _markdown_row(row: PlanRow) -> str:
    ticket = (f"[{markdown_cell(row.ticket)}]({row.ticket_url})" if row.ticket and row.ticket_url
              else markdown_cell(row.ticket or ""))
    cells = [f"**{VERBS[row.action]}**", f"{markdown_cell(row.title)} (line {row.line})",
             markdown_cell(row.owner or "—"), row.tracker or "—", _due(row), ticket or "—",
             markdown_cell(row.detail or "")]
    return "| " + " | ".join(cells) + " |"


def _due(row: PlanRow) -> str:
    if row.due is None:
        return "—"
    return f"{row.due.isoformat()} ({row.due_source})" if row.due_source else row.due.isoformat()


def print_plan(console: Console, documents: Sequence[DocumentRows]) -> None:
    """The plan as text tables, one per document with rows."""
    for doc in documents:
        if not doc.rows:
            continue
        table = Table(title=escape(doc.path.as_posix()), header_style="bold", expand=False)
        for name in ("Line", "Action", "Item", "Owner", "Tracker", "Due", "Ticket", "Note"):
            table.add_column(name, overflow="fold")
        for row in doc.rows:
            table.add_row(str(row.line), f"[{_STYLE[row.action]}]{row.action}[/]",
                          escape(shorten(row.title, 80)), escape(row.owner or ""),
                          row.tracker or "", _due(row), escape(row.ticket or ""),
                          escape(row.detail or ""))
        console.print(table)
    console.print(escape(headline(documents)))
