"""The body of a GitHub issue pmsync creates: context, a due line and a hidden stamp.

GitHub issues have no due-date field and nowhere else to keep pmsync's marker, so both live in
the body: a visible ``Due: YYYY-MM-DD`` line and an HTML comment ``<!-- pmsync:{…} -->`` that
GitHub does not render. Edits touch only those two lines, so text a person added stays.
"""

from __future__ import annotations

import re
import urllib.parse
from datetime import date

from connectors.base import DraftContext, Stamp

_STAMP_LINE = re.compile(r"^<!-- pmsync:(\{.*\}) -->[ \t]*$", re.MULTILINE)
_DUE_LINE = re.compile(r"^Due: (\d{4}-\d{2}-\d{2})[ \t]*$", re.MULTILINE)


def stamp_comment(stamp: Stamp) -> str:
    """The hidden line that carries ``stamp``.

    ``>`` only occurs inside JSON strings, so escaping it keeps ``-->`` in a title from ending
    the comment early while the JSON still reads back the same.
    """
    data = stamp.to_json().replace(">", "\\u003e")
    return f"<!-- pmsync:{data} -->"


def document_url(context: DraftContext, base_url: str | None) -> str | None:
    """Where the document can be read: the context's own URL, else the base URL plus its path."""
    if context.document_url:
        return context.document_url
    if not base_url:
        return None
    path = urllib.parse.quote(context.document.as_posix().lstrip("/"))
    return f"{base_url.rstrip('/')}/{path}#L{context.line}"


def render_body(context: DraftContext, due: date | None, stamp: Stamp, base_url: str | None) -> str:
    """A new issue's body: where the item comes from, its due date and the stamp."""
    path = context.document.as_posix()
    url = document_url(context, base_url)
    source = f"[{path}]({url})" if url else f"`{path}`"
    where = f"line {context.line}"
    if context.section:
        where += f", section “{context.section}”"
    lines = [f"Action item from {source} ({where})."]
    if context.incident_id or context.incident_title:
        incident = " — ".join(p for p in (context.incident_id, context.incident_title) if p)
        lines.append(f"Incident: {incident}")
    lines.append("")
    if due is not None:
        lines += [f"Due: {due.isoformat()}", ""]
    lines.append(stamp_comment(stamp))
    return "\n".join(lines) + "\n"


def body_due(body: str | None) -> date | None:
    """The date of the ``Due:`` line, if there is a valid one."""
    found = _DUE_LINE.search(body or "")
    if not found:
        return None
    try:
        return date.fromisoformat(found.group(1))
    except ValueError:
        return None


def body_stamp(body: str | None) -> Stamp | None:
    """The stamp pmsync left in the body, if any."""
    found = _STAMP_LINE.search(body or "")
    return Stamp.from_json(found.group(1)) if found else None


def with_due(body: str | None, due: date | None) -> str:
    """``body`` with its ``Due:`` line set to ``due`` (added before the stamp, or removed)."""
    text = body or ""
    found = _DUE_LINE.search(text)
    if found:
        if due is None:
            end = found.end() + 1 if text[found.end() : found.end() + 1] == "\n" else found.end()
            return text[: found.start()] + text[end:]
        return text[: found.start()] + f"Due: {due.isoformat()}" + text[found.end() :]
    if due is None:
        return text
    line = f"Due: {due.isoformat()}\n\n"
    stamp = _STAMP_LINE.search(text)
    if stamp:
        return text[: stamp.start()] + line + text[stamp.start() :]
    separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + separator + line.rstrip("\n") + "\n"


def with_stamp(body: str | None, stamp: Stamp) -> str:
    """``body`` with its stamp line replaced by ``stamp`` (appended when it has none)."""
    text = body or ""
    comment = stamp_comment(stamp)
    found = _STAMP_LINE.search(text)
    if found:
        return text[: found.start()] + comment + text[found.end() :]
    separator = "" if not text or text.endswith("\n\n") else ("\n" if text.endswith("\n") else "\n\n")
    return text + separator + comment + "\n"


_TAG_LINE = re.compile(r"^<!-- pmsync-comment:([^\s>]+) -->[ \t]*$", re.MULTILINE)


def comment_markdown(text: str, tag: str, mention: str | None = None) -> str:
    """A comment's body: ``@login`` first (GitHub notifies a mentioned login), the text, and
    the hidden tag line pmsync finds its own comments by."""
    lead = f"@{mention} " if mention else ""
    return f"{lead}{text.strip()}\n\n<!-- pmsync-comment:{tag} -->\n"


def comment_tag(body: str | None) -> str | None:
    """The tag of a comment pmsync wrote (its last tag line), None for anyone else's."""
    found = _TAG_LINE.findall(body or "")
    return found[-1] if found else None
