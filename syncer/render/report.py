"""The overdue report as people and machines read it: rich tables, GitHub Markdown with Mermaid
charts, JSON, CSV, and the compact Slack summary.

Every function here is pure (text in, text out) except :func:`print_text`, which writes to the
console it is given.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from syncer.drift import Drift
from syncer.render.items import shorten
from syncer.report import AGE_BUCKETS, STATUS_KEYS, Completion, Entry, Report, grouped

#: GitHub refuses issue bodies over 65,536 characters.
GITHUB_BODY_LIMIT = 65_536
CSV_COLUMNS = ("section", "file", "line", "title", "owner", "due", "due_source", "days_overdue",
               "status",
               "ticket", "ticket_url", "tracker", "priority", "incident_id", "document",
               "missing", "group")
EMPTY = {
    "overdue": "No overdue action items 🎉",
    "due_soon": "Nothing falls due in the next {days} days.",
    "incomplete": "Every open action item has an owner and a due date.",
}
STATUS_LABEL = {"open": "open", "in_progress": "in progress", "done": "done",
                "wont_do": "won't do", "unknown": "no status"}
DRIFT_TITLE = "Drift: documents and trackers that disagree"
DRIFT_NONE = "Every linked ticket exists and agrees with its document."
DRIFT_KIND = {"status": "status differs", "orphan": "item removed", "missing": "no such ticket"}
#: How a due date that is not the document's own is marked in text and Markdown.
DUE_MARK = {"policy": "policy", "tracker": "ticket"}
GROUP_TITLE = {"owner": "Owner", "postmortem": "Postmortem", "tracker": "Tracker",
               "priority": "Priority"}


def report_json(report: Report) -> str:
    """The report as one JSON object."""
    return json.dumps(report.to_json(), indent=2, ensure_ascii=False)


def report_csv(report: Report) -> str:
    """One row per listed item, its list in the ``section`` column (overdue, due_soon,
    incomplete); an item both overdue and incomplete appears in both."""
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for section, entries in _sections(report):
        for entry in entries:
            row = entry.to_json()
            row["missing"] = " ".join(entry.missing)
            writer.writerow({"section": section, **{k: row[k] for k in CSV_COLUMNS[1:]}})
    return out.getvalue()


def _sections(report: Report) -> tuple[tuple[str, Sequence[Entry]], ...]:
    return (("overdue", report.overdue), ("due_soon", report.due_soon),
            ("incomplete", report.incomplete))


def _headline(report: Report) -> str:
    m = report.metrics
    return (f"{m.overdue} overdue · {m.due_soon} due in the next {report.due_soon_days} days · "
            f"{m.incomplete} incomplete · {m.items} action items in {m.documents} postmortems")


def _days(entry: Entry) -> str:
    days = entry.days_overdue
    if days is None:
        return ""
    if days > 0:
        return f"{days}"
    return "today" if days == 0 else f"{-days}"


def _due(entry: Entry) -> str:
    """``2026-01-31``, or ``2026-01-31 (policy)`` for a date the document does not give."""
    if entry.due is None:
        return ""
    mark = DUE_MARK.get(entry.due_source or "")
    return f"{entry.due.isoformat()} ({mark})" if mark else entry.due.isoformat()


def _due_legend(report: Report) -> list[str]:
    """What the marks on due dates mean, when any listed date carries one."""
    sources = {e.due_source for _, entries in _sections(report) for e in entries}
    legend = []
    if "policy" in sources:
        legend.append("(policy): no due date in the document; the follow-up policy's")
    if "tracker" in sources:
        legend.append("(ticket): no due date in the document; the ticket's")
    return legend


def _rate(completion: Completion) -> str:
    return "–" if completion.rate is None else f"{completion.rate:.0%}"


def _median(report: Report) -> str:
    m = report.metrics
    if m.median_days_to_done is None:
        why = "" if report.refreshed else " (run with --refresh to read resolution dates)"
        return f"Median days from incident to done: unknown{why}"
    return (f"Median days from incident to done: {m.median_days_to_done:g} "
            f"(over {m.resolved_samples} item{'s' if m.resolved_samples != 1 else ''} with a "
            "tracker resolution date)")


# --- text ---------------------------------------------------------------------------------


#: A terminal shows at most this many rows per list; the full lists are in JSON and CSV (and
#: rich needs about a millisecond per row, so thousands of rows would take seconds).
TEXT_ROWS = 50


def print_text(console: Console, report: Report, max_rows: int = TEXT_ROWS) -> None:
    """The report as rich tables on ``console``, at most ``max_rows`` rows per list."""
    console.print(f"[bold]Postmortem action items as of {report.as_of.isoformat()}[/]")
    console.print(_headline(report))
    titles = {"overdue": f"Overdue ({report.metrics.overdue})",
              "due_soon": f"Due in the next {report.due_soon_days} days ({report.metrics.due_soon})",
              "incomplete": f"Incomplete: no owner or no due date ({report.metrics.incomplete})"}
    for section, entries in _sections(report):
        console.print()
        console.print(f"[bold]{titles[section]}[/]")
        if not entries:
            console.print(EMPTY[section].format(days=report.due_soon_days))
            continue
        shown = entries[:max_rows]
        for group, members in _maybe_grouped(report, shown):
            if group is not None:
                heading = escape(f"{GROUP_TITLE[report.group_by or 'owner']}: {group}")
                console.print(f"[bold]{heading}[/] ({len(members)})")
            console.print(_text_table(section, members))
        if len(shown) < len(entries):
            console.print(f"…and {len(entries) - len(shown)} more: --format csv or json lists "
                          "them all.")
    for line in _due_legend(report):
        console.print(f"[dim]{escape(line)}[/]")
    if report.refreshed:
        console.print()
        console.print(f"[bold]{DRIFT_TITLE} ({len(report.drift)})[/]")
        console.print(_drift_table(report.drift[:max_rows]) if report.drift else DRIFT_NONE)
    console.print()
    console.print("[bold]Metrics[/]")
    m = report.metrics
    console.print("By status: " + ", ".join(
        f"{STATUS_LABEL[k]} {m.by_status.get(k, 0)}" for k in STATUS_KEYS))
    console.print("Overdue by age (days): " + ", ".join(
        f"{label} {m.overdue_buckets.get(label, 0)}" for label, _, _ in AGE_BUCKETS))
    for title, rows in (("severity", m.by_severity), ("postmortem", m.by_postmortem)):
        if rows:
            console.print(_completion_table(f"Completion by {title}", rows[:max_rows]))
        if len(rows) > max_rows:
            console.print(f"…and {len(rows) - max_rows} more postmortems: --format json or markdown "
                          "lists them all.")
    console.print(_median(report))
    for note in report.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


def _maybe_grouped(report: Report, entries: Sequence[Entry]) -> list[tuple[str | None,
                                                                          Sequence[Entry]]]:
    if report.group_by is None:
        return [(None, entries)]
    return [(name, members) for name, members in grouped(entries)]


def _text_table(section: str, entries: Sequence[Entry]) -> Table:
    table = Table(header_style="bold", expand=False)
    lead = {"overdue": "Days late", "due_soon": "Days left", "incomplete": "Missing"}[section]
    table.add_column(lead, no_wrap=True, justify="right" if section != "incomplete" else "left")
    table.add_column("Due", no_wrap=True)
    table.add_column("Action item (where)", overflow="fold", ratio=1)
    table.add_column("Owner", overflow="fold")
    table.add_column("Status", overflow="fold")
    table.add_column("Ticket", overflow="fold")
    for e in entries:
        first = " ".join(e.missing) if section == "incomplete" else _days(e)
        where = escape(f"{PurePath(e.file).name}:{e.line}")
        table.add_row(first, _due(e),
                      f"{escape(e.title)}\n[dim]{where}[/]", escape(e.owner or ""),
                      STATUS_LABEL[e.status], escape(e.ticket or ""))
    return table


def _drift_table(drift: Sequence[Drift]) -> Table:
    table = Table(header_style="bold", expand=False)
    for name in ("Kind", "Ticket", "Action item (where)", "Detail"):
        table.add_column(name, overflow="fold")
    for d in drift:
        table.add_row(DRIFT_KIND[d.kind], escape(d.ticket),
                      f"{escape(d.title)}\n[dim]{escape(_drift_where(d))}[/]", escape(d.detail))
    return table


def _drift_where(drift: Drift) -> str:
    name = PurePath(drift.file).name
    return f"{name}:{drift.line}" if drift.line is not None else f"{name} (item removed)"


def _completion_table(title: str, rows: Sequence[Completion]) -> Table:
    table = Table(title=title, title_justify="left", header_style="bold")
    for name in ("", "Items", "Done", "Won't do", "Open", "Done %"):
        table.add_column(name, justify="left" if not name else "right")
    for c in rows:
        table.add_row(escape(c.name), str(c.items), str(c.done), str(c.wont_do), str(c.open), _rate(c))
    return table


# --- Markdown -----------------------------------------------------------------------------


def report_markdown(report: Report, *, max_rows: int | None = None,
                    document_base_url: str | None = None) -> str:
    """GitHub-flavoured Markdown: headline, tables per list, Mermaid charts and metrics.

    ``max_rows`` caps each list (the rest is counted, not shown) so the text fits an issue
    body; ``document_base_url`` turns ``file:line`` into links to the documents.
    """
    m = report.metrics
    out = [f"## Postmortem action items as of {report.as_of.isoformat()}", "",
           f"**{m.overdue} overdue** · " + _headline(report).split(" · ", 1)[1], ""]
    titles = {"overdue": f"Overdue ({m.overdue})",
              "due_soon": f"Due in the next {report.due_soon_days} days ({m.due_soon})",
              "incomplete": f"Incomplete: no owner or no due date ({m.incomplete})"}
    for section, entries in _sections(report):
        out += [f"### {titles[section]}", ""]
        if not entries:
            out += [EMPTY[section].format(days=report.due_soon_days), ""]
            continue
        shown = entries[:max_rows] if max_rows is not None else entries
        for group, members in _maybe_grouped(report, shown):
            if group is not None:
                heading = GROUP_TITLE[report.group_by or "owner"]
                out += [f"#### {heading}: {markdown_cell(group)} ({len(members)})", ""]
            out += [*_markdown_table(section, members, document_base_url), ""]
        if len(shown) < len(entries):
            out += [f"…and {len(entries) - len(shown)} more (`pmsync report --format csv` lists them all).", ""]
    legend = _due_legend(report)
    if legend:
        out += [" · ".join(f"_{markdown_cell(line)}_" for line in legend), ""]
    if report.refreshed:
        out += [f"### {DRIFT_TITLE} ({len(report.drift)})", "", *_markdown_drift(report), ""]
    out += ["### Charts", "", *_charts(report)]
    out += ["### Metrics", "", *_markdown_metrics(report)]
    if report.notes:
        out += ["### Notes", ""] + [f"- {markdown_cell(note)}" for note in report.notes] + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def markdown_cell(text: str) -> str:
    """Text safe in a table cell: pipes escaped, one line."""
    return " ".join(text.replace("|", "\\|").split())


def _where(entry: Entry, base_url: str | None) -> str:
    label = f"{entry.file}:{entry.line}"
    if base_url and not entry.file.startswith("/"):
        return f"[{markdown_cell(label)}]({base_url.rstrip('/')}/{entry.file}#L{entry.line})"
    return f"`{markdown_cell(label)}`"


def _ticket_md(entry: Entry) -> str:
    if entry.ticket and entry.ticket_url:
        return f"[{markdown_cell(entry.ticket)}]({entry.ticket_url})"
    return markdown_cell(entry.ticket or "")


def _postmortem(entry: Entry) -> str:
    if entry.incident_id and entry.document:
        return markdown_cell(f"{entry.incident_id}: {entry.document}")
    return markdown_cell(entry.incident_id or entry.document or "")


def _markdown_table(section: str, entries: Sequence[Entry], base_url: str | None) -> list[str]:
    first = {"overdue": "Days overdue", "due_soon": "Days left", "incomplete": "Missing"}
    align = "---" if section == "incomplete" else "---:"
    header = f"| {first[section]} | Due | Action item | Owner | Status | Ticket | Postmortem | Where |"
    rows = [header, f"| {align} | --- | --- | --- | --- | --- | --- | --- |"]
    for e in entries:
        lead = " ".join(e.missing) if section == "incomplete" else _days(e)
        rows.append(
            f"| {lead} | {_due(e)} | {markdown_cell(e.title)} | "
            f"{markdown_cell(e.owner or '')} | {STATUS_LABEL[e.status]} | {_ticket_md(e)} | "
            f"{_postmortem(e)} | {_where(e, base_url)} |"
        )
    return rows


def _markdown_drift(report: Report) -> list[str]:
    if not report.drift:
        return [DRIFT_NONE]
    rows = ["| Kind | Ticket | Action item | Detail | Where |", "| --- | --- | --- | --- | --- |"]
    for d in report.drift:
        ticket = markdown_cell(d.ticket)
        ticket = f"[{ticket}]({d.ticket_url})" if d.ticket_url else ticket
        rows.append(f"| {DRIFT_KIND[d.kind]} | {ticket} | {markdown_cell(d.title)} | "
                    f"{markdown_cell(d.detail)} | `{markdown_cell(_drift_where(d))}` |")
    return rows


def _chart_label(text: str, limit: int = 30) -> str:
    # Mermaid strings cannot escape a double quote; brackets and colons are safe inside quotes.
    text = " ".join(text.replace('"', "'").split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _charts(report: Report) -> list[str]:
    m = report.metrics
    out: list[str] = []
    slices = [(STATUS_LABEL[k], m.by_status.get(k, 0)) for k in STATUS_KEYS]
    if any(n for _, n in slices):
        out += ["```mermaid", "pie showData", "    title Action items by status"]
        out += [f'    "{label}" : {n}' for label, n in slices if n]
        out += ["```", ""]
    owners = overdue_by_owner(report.overdue)
    if owners:
        names = ", ".join(f'"{_chart_label(name)}"' for name, _ in owners)
        top = max(n for _, n in owners)
        out += ["```mermaid", "xychart-beta", '    title "Overdue action items by owner"',
                f"    x-axis [{names}]", f'    y-axis "Overdue items" 0 --> {top}',
                f"    bar [{', '.join(str(n) for _, n in owners)}]", "```", ""]
    if not out:
        out = ["No action items to chart.", ""]
    return out


def overdue_by_owner(entries: Sequence[Entry], top: int = 10) -> list[tuple[str, int]]:
    """Overdue counts per owner, most first; owners past the ``top`` are summed as "others"."""
    counts: dict[str, int] = {}
    for entry in entries:
        name = entry.owner or "(no owner)"
        counts[name] = counts.get(name, 0) + 1
    ranked = sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))
    if len(ranked) > top:
        ranked = [*ranked[:top - 1], ("others", sum(n for _, n in ranked[top - 1:]))]
    return ranked


def _markdown_metrics(report: Report) -> list[str]:
    m = report.metrics
    out = ["| Status | Items |", "| --- | ---: |"]
    out += [f"| {STATUS_LABEL[k]} | {m.by_status.get(k, 0)} |" for k in STATUS_KEYS]
    out += ["", "| Overdue by (days) | Items |", "| --- | ---: |"]
    out += [f"| {label} | {m.overdue_buckets.get(label, 0)} |" for label, _, _ in AGE_BUCKETS]
    out.append("")
    for title, rows in (("severity", m.by_severity), ("postmortem", m.by_postmortem)):
        if not rows:
            continue
        out += [f"**Completion by {title}**", "",
                f"| {title.capitalize()} | Items | Done | Won't do | Open | Done % |",
                "| --- | ---: | ---: | ---: | ---: | ---: |"]
        out += [f"| {markdown_cell(c.name)} | {c.items} | {c.done} | {c.wont_do} | {c.open} | {_rate(c)} |"
                for c in rows]
        out.append("")
    out += [_median(report), ""]
    return out


def markdown_within(report: Report, limit: int, **options: Any) -> str:
    """The Markdown report, with fewer rows per list until it fits ``limit`` characters."""
    text = report_markdown(report, **options)
    rows = max(len(report.overdue), len(report.due_soon), len(report.incomplete))
    while len(text) > limit and rows > 0:
        rows = rows // 2
        text = report_markdown(report, max_rows=rows, **options)
    return text


# --- Slack --------------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_mentions(slack_ids: Mapping[str, str]) -> Callable[[str | None], str]:
    """How an owner appears in a Slack message: ``<@U123>`` when mapped, else escaped text."""
    by_name = {name.strip().lstrip("@").casefold(): uid for name, uid in slack_ids.items()}

    def mention(owner: str | None) -> str:
        if not owner:
            return "no owner"
        uid = by_name.get(owner.strip().lstrip("@").casefold())
        return f"<@{uid}>" if uid else _slack_escape(owner)

    return mention


def slack_message(report: Report, top: int = 5,
                  slack_ids: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A compact summary for a Slack incoming webhook: the headline and the oldest overdue.

    ``slack_ids`` maps owners (as documents write them, ``@`` optional, any case) to Slack
    member ids: those owners are mentioned (``<@U123>``), so Slack notifies them."""
    mention = _slack_mentions(slack_ids or {})
    m = report.metrics
    lines = [f"*Postmortem action items as of {report.as_of.isoformat()}*", _headline(report)]
    if report.overdue:
        buckets = ", ".join(f"{label} days: {m.overdue_buckets.get(label, 0)}"
                            for label, _, _ in AGE_BUCKETS)
        lines.append(f"Overdue by age: {buckets}")
        lines.append(f"Most overdue{' (top ' + str(top) + ')' if len(report.overdue) > top else ''}:")
        for e in report.overdue[:top]:
            ticket = ""
            if e.ticket:
                ticket = f" <{e.ticket_url}|{_slack_escape(e.ticket)}>" if e.ticket_url \
                    else f" {_slack_escape(e.ticket)}"
            lines.append(f"• {_slack_escape(shorten(e.title, 120))} — {mention(e.owner)}"
                         f", {e.days_overdue} days overdue{ticket}")
    else:
        lines.append(EMPTY["overdue"])
    return {"text": "\n".join(lines)}
