"""Values written inside the free text of a list item: ``OWNER: x@``, ``(Done)``, ``due Oct 10``…

A status *cell* holds nothing but a status, so :func:`syncer.parse.values.parse_status` may search it
for any status word. Free text is different: "Fixed the alert", "new dashboard" or "open a ticket"
are not statuses. Here only explicit annotations count: a checkbox (read by the list scanner), a
status emoji at either end, a status phrase opening a parenthesis or bracket (``(Done as of …)``,
``[FIXED](…)``), ``done as of <date>``, a status word in capitals (``DONE``, ``TODO``) and
``Status: x``. Owners and due dates likewise need their label (``Owner:``, ``due``, ``by``), or
a shape that says who does it: a handle in parentheses, a trailing parenthesis in which a name
is followed by a verb (``(Priya to set up a meeting)``), a leading tag (``[Platform] …``, see
:func:`leading_tag`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from typing import NamedTuple

from syncer.markdown.document import Document
from syncer.markdown.inline import search_kept, strip_markdown, unwrap_emphasis
from syncer.model import Status, TicketRef
from syncer.parse.values import (
    MONTH_NAMES,
    DateOrder,
    DueDate,
    StatusMatch,
    StatusVocabulary,
    is_empty_value,
    is_fill_in,
    parse_date,
    parse_status,
    parse_ticket,
    repair_mojibake,
)

# Entries per memo of a pure reader of item texts: plenty for one large run.
_CACHE_SIZE = 8192

# Narrower than the words of a status column: only phrases that nobody writes in parentheses or
# in capitals except to state a status ("new", "active" or "yes" are left out on purpose).
INLINE_STATUS_WORDS: dict[Status, tuple[str, ...]] = {
    Status.DONE: (
        "done", "completed", "complete", "fixed", "resolved", "finished", "merged", "shipped",
        "deployed", "landed", "implemented", "closed",
    ),
    Status.IN_PROGRESS: (
        "in progress", "in-progress", "wip", "ongoing", "started", "in review", "underway",
    ),
    Status.OPEN: (
        "todo", "to do", "to-do", "not started", "not done", "planned", "pending", "open",
        "backlog",
    ),
    Status.WONT_DO: (
        "won't do", "wont do", "won’t do", "won't fix", "wontfix", "won’t fix", "cancelled",
        "canceled", "dropped", "rejected", "obsolete", "abandoned", "declined", "not planned",
    ),
}
_STATUS_OF = {w: s for s, words in INLINE_STATUS_WORDS.items() for w in words}
_PHRASE = "|".join(re.escape(w) for w in sorted(_STATUS_OF, key=len, reverse=True))
_PHRASE_START = re.compile(rf"^\s*({_PHRASE})(?![\w'’-])(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
# What may follow a status phrase inside parentheses: "(Done)", "(Done as of 2021-06-30)",
# "(In Progress - link)", "(done in #12)"; but not "(open source tool)" or "(started by hand)".
_AFTER_PHRASE = re.compile(r"^\s*(?:$|[-–—:,;./!]|as of\b|on\b|in\b|since\b|via\b|at\b|\d)", re.IGNORECASE)
_AS_OF = re.compile(rf"(?<![\w-])({_PHRASE})\s+as\s+of\b[^.;,)\]]*", re.IGNORECASE)
_CAPITAL_WORDS = "|".join(
    re.escape(w.upper()) for w in sorted(_STATUS_OF, key=len, reverse=True) if len(w) >= 3
)
_CAPITALS = re.compile(rf"(?<![\w-])({_CAPITAL_WORDS})(?![\w-])")
# Cheap tests that rule out costly searches (see inline_status and _may_hold): every _CAPITALS
# match holds one of its words (searched for alone, they are found by a fast scan for their first
# letters), every _AS_OF match "as of", every _STATUS_LABEL match "status".
_CAPITAL_WORD = re.compile(_CAPITAL_WORDS)
_AS_OF_FOLDED = re.compile(r"as\s+of")
_STATUS_WORDS = ("status",)
_STATUS_LABEL = re.compile(r"\bstatus\s*:\s*(?:[*_]{1,2}\s*){0,2}([^.;,()\[\]*_]+)", re.IGNORECASE)
# Every parenthesis and bracket, also one inside another's text: "[Rotate keys (Done)](…)".
_GROUPS = re.compile(r"(?=\(([^()]*)\)|\[([^\[\]]*)\])")

_CODE_OR_URL = re.compile(r"`[^`]*`|https?://\S+")
# Compiled once here: re.match(pattern_text, …) in a function looks the pattern up in re's cache
# on every call, a noticeable cost per list item.
_HEADING_STATUS = re.compile(
    rf"^({_PHRASE})(?:\s+(?:items?|actions?|action items?|tasks?|follow[- ]?ups?|work))?$",
    re.IGNORECASE,
)
_PARENTHESIS = re.compile(r"\(([^()]*)\)")
_WHOLE_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")

_PRIORITY = re.compile(r"^(?:\*\*|__)?[\[(]?(P[0-4])[\])]?(?:\*\*|__)?(?::\s*|\s+[-–—:]?\s*)")
_LABEL = re.compile(
    r"^(?:\*\*|__)?\s*(?:action[ -]?(?:item|point)|follow[ -]?up)s?\s*(?:\*\*|__)?\s*:"
    r"\s*(?:\*\*|__)?\s*",
    re.IGNORECASE,
)

# A Markdown link, a handle (``@x``), an e-mail-like name (``x@``, ``x@example.com``), or a name
# with an optional capitalised surname; dots only inside a token, so "Owner: jane. Due" is "jane".
_PERSON = (
    r"(?:\[[^\]]+\]\([^)]*\)"
    r"|@[A-Za-z0-9][\w-]*"
    r"|[A-Za-z0-9][\w+-]*(?:\.[\w+-]+)*@(?:[\w-]+(?:\.[\w-]+)+)?"
    r"|[A-Za-z][\w'-]*(?-i:\s+[A-Z][a-z]+)?)"
)
# Further owners after a comma must look like names, so "Owner: @x, due May 1" stops at "@x".
_MORE_PERSON = (
    r"(?:\[[^\]]+\]\([^)]*\)|@[A-Za-z0-9][\w-]*|[A-Za-z0-9][\w+-]*@(?:[\w-]+(?:\.[\w-]+)+)?"
    r"|(?-i:[A-Z][\w'-]*(?:\s+[A-Z][a-z]+)?))"
)
_OWNER_LABEL = re.compile(
    rf"\b(?:owners?|assignees?|dri)\s*(?:\*\*|__)?\s*:\s*(?:\*\*|__)?\s*"
    rf"(?P<value>{_PERSON}(?:\s*(?:,|/|&|\band\b)\s*{_MORE_PERSON})*)"
    rf"|\b(?:assigned\s+to|owned\s+by)\s+(?P<value2>{_PERSON})",
    re.IGNORECASE,
)
# Every _OWNER_LABEL match holds one of these words (see _may_hold).
_OWNER_WORDS = ("owner", "assignee", "dri", "assigned", "owned")
_HANDLE = r"@[A-Za-z0-9][\w-]*"
_OWNER_PAREN = re.compile(rf"\(\s*({_HANDLE}(?:\s*,\s*{_HANDLE})*)\s*\)")
_OWNER_DASH = re.compile(rf"(?:—|–|--|\s-)\s*({_HANDLE})\s*[.)]?\s*$")
# A parenthesis that ends the item and says who will do what: "(Priya to set up a meeting)",
# "(Tomas will check)", "(Ana call for meeting)", "(@lee following up)". The name is a handle or
# one or two capitalised words; what follows it is a verb of doing, so "(Kubernetes only)" and
# "(See the runbook)" name nobody.
_OWNER_DOES = re.compile(
    rf"""\(\s*(?P<name>{_HANDLE}|(?-i:[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)?))\s+
    (?:to|will|would|shall|['’]ll|can|(?:is|are)\s+(?:\w+ing|on\s+it|responsible|the\s+owner)
    |owns?|leads?|drives?|handles?|calls?|checks?|schedules?|reviews?|follows?\s+up|takes?
    |sets?\s+up|writes?|drafts?|coordinates?|organi[sz]es?|investigates?|owning|leading|driving
    |handling|calling|checking|scheduling|reviewing|following|taking|setting|writing|drafting
    |coordinating|organi[sz]ing|investigating|working|looking)\b[^()]*\)[\s.]*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Capitalised words that open a sentence, not a name: "(This will be done next week)".
_NOT_NAMES = frozenset({
    "this", "that", "these", "those", "it", "we", "they", "he", "she", "you", "i", "there",
    "which", "who", "what", "the", "a", "an", "all", "some", "each", "someone", "somebody",
    "nobody", "everyone", "one", "see", "note", "needs", "need", "also", "still",
})
# A tag that opens an item: "[Platform] Investigate …", "[Data team] Backfill …". One to three
# words of letters; not a link ("[x](…)", "[x][…]") nor a reference definition ("[x]: …").
_LEADING_TAG = re.compile(r"^\[(?P<tag>[^\W\d_][\w&/+.'’ -]{0,29})\](?![(\[:])\s+\S")
# Tags that say what kind of work an item is, or how urgent, rather than who does it; and the
# slots of templates ("[Owner] [Action]").
_NOT_OWNER_TAGS = frozenset({
    "optional", "stretch", "stretch goal", "nice to have", "bug", "docs", "idea", "question",
    "proposal", "draft", "maybe", "later", "blocker", "urgent", "critical", "high", "medium",
    "low", "minor", "major", "follow-up", "followup", "action", "action item", "owner", "name",
    "team", "who", "assignee", "person", "dri",
})

_DATE_TEXT = (
    rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?"
    rf"|(?:{MONTH_NAMES})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
    rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTH_NAMES})\.?(?:,?\s+\d{{4}})?)"
)
# Every _DUE match holds a digit (each date form has one) and one of these words.
_DIGIT = re.compile(r"\d")
_DUE_WORDS = ("due", "deadline", "by")
_DUE = re.compile(
    rf"\b(?:due(?:\s+(?:date|by|on))?|deadline|by)\s*:?\s*(?:\*\*|__)?\s*(?P<date>{_DATE_TEXT})"
    r"(?![\w/-])",
    re.IGNORECASE,
)

_MAY_BE_LINK_DEFINITION = re.compile(r"\n {0,3}\[")
_LINK_DEFINITION = re.compile(r"^ {0,3}\[([^\]]+)\]:\s*<?(\S+?)>?(?:\s+[\"'(].*)?\s*$")
_FULL_REFERENCE = re.compile(r"\[([^\[\]]+)\]\[([^\[\]]*)\]")
# Not before "(" (an inline link) or "[" (a full reference); before ":" it is one too, as an item's
# text is never a definition ("- [TASK-12]: add a retry").
_SHORTCUT_REFERENCE = re.compile(r"\[([^\[\]]+)\](?![(\[])")


class Lead(NamedTuple):
    """An item's text with its leading marks taken off, and what those marks said.

    A named tuple, not a dataclass: one is made for every list item in an action section.
    """

    title: str
    status: StatusMatch | None = None
    priority: str | None = None
    labelled: bool = False  # began with "Action item:" / "Action point:" / "Follow-up:"


def strip_lead(text: str, vocabulary: StatusVocabulary) -> Lead:
    """Take a leading status emoji, priority token (``P1``) and label off an item's text, each
    kind at most once, in any order."""
    status: StatusMatch | None = None
    priority: str | None = None
    labelled = False
    while True:
        text = text.strip()
        emoji = _leading_emoji(text, vocabulary) if status is None else None
        if emoji:
            status = StatusMatch(emoji[0], emoji[1])
            text = text[len(emoji[1]):].lstrip("\ufe0f")
            continue
        found = _PRIORITY.match(text) if priority is None else None
        if found and text[found.end():].strip():
            priority = found.group(1)
            text = text[found.end():]
            continue
        label = _LABEL.match(text) if not labelled else None
        if label and text[label.end():].strip():
            labelled = True
            text = text[label.end():]
            continue
        return Lead(text, status, priority, labelled)


def may_hold_label(text: str) -> bool:
    """Whether an action label (see :func:`strip_lead`) could be anywhere in ``text``.

    A cheap test that may say yes when there is none, never no when there is one: every label
    holds "action" or "follow".
    """
    return _may_hold(text, _LABEL_WORDS)


_LABEL_WORDS = ("action", "follow")


def starts_with_label(text: str) -> bool:
    """Whether a paragraph opens with an action label (``Action point: …``) and has text after it."""
    if ":" not in text:
        return False  # every label ends with a colon
    text = text.strip()
    if text.lstrip("*_").lstrip()[:1] not in ("a", "A", "f", "F"):
        return False  # every label opens with "action" or "follow"
    found = _LABEL.match(text)
    return bool(found and text[found.end():].strip())


def _leading_emoji(text: str, vocabulary: StatusVocabulary) -> tuple[Status, str] | None:
    if text[:1] not in vocabulary.mark_starts:
        return None
    for status, marks in vocabulary.emoji.items():
        for mark in marks:
            if text.startswith(mark):
                return status, mark
    return None


class TitleReading(NamedTuple):
    """What an item's title says by itself: read once per distinct title (see
    :func:`read_title`) and then looked up, as templates and copied documents repeat titles.

    What depends on the document (reference-style links, the incident date that completes a
    date) or on the options (the status vocabulary) is left for the caller: the parts of the
    title it needs are kept here.
    """

    plain: str  # strip_markdown(title)
    placeholder: bool  # is_fill_in(title): a template's fill-in slot, no work named yet
    annotated: StatusMatch | None  # a status in a parenthesis, "done as of …" or in capitals
    status_label: str | None  # what follows "Status:", for the vocabulary to read
    tail: str  # the plain text less trailing dots and spaces, for a trailing status emoji
    ticket: TicketRef | None  # the first ticket, reference-style links left unresolved
    due_raw: str | None  # the date text after a due label, as written
    owner: str | None


@lru_cache(maxsize=_CACHE_SIZE)
def read_title(title: str) -> TitleReading:
    """Everything :func:`inline_status`, :func:`inline_ticket`, :func:`inline_due` and
    :func:`inline_owner` read from ``title``, in one cached reading: one cache look-up per list
    item instead of one per question, and the title's Markdown stripped once."""
    plain = strip_markdown(title)
    unquoted = _without_code_or_urls(title)
    # Without code or URLs to take out, the plain text of what is left is ``plain`` itself.
    plain_unquoted = plain if unquoted is title else strip_markdown(unquoted)
    return TitleReading(
        plain,
        is_fill_in(title),
        _annotated_status(title, unquoted, plain_unquoted),
        _status_label(unquoted),
        plain.rstrip(" ."),
        parse_ticket(title),
        _due_text(plain),
        _owner(title),
    )


def inline_status(text: str, vocabulary: StatusVocabulary) -> StatusMatch | None:
    """The status an item's text states explicitly, or None (see the module docstring)."""
    return title_status(read_title(text), vocabulary)


def title_status(reading: TitleReading, vocabulary: StatusVocabulary) -> StatusMatch | None:
    """:func:`inline_status` of the title ``reading`` was read from.

    In this order: its words (see :func:`words_status`), a status emoji at the end.
    """
    return words_status(reading, vocabulary) or _last_emoji(reading, vocabulary)


def words_status(reading: TitleReading, vocabulary: StatusVocabulary) -> StatusMatch | None:
    """The status the words of the title ``reading`` was read from state: an annotation (a
    parenthesis, an emphasised span at the end, ``done as of``, capitals), else ``Status: x``
    in the vocabulary's words. Unlike a mark (a checkbox, an emoji), words say which status."""
    if reading.annotated:
        return reading.annotated
    if reading.status_label is not None:
        return parse_status(reading.status_label, vocabulary)
    return None


def _last_emoji(reading: TitleReading, vocabulary: StatusVocabulary) -> StatusMatch | None:
    if not reading.tail.endswith(vocabulary.marks):
        return None
    for status, marks in vocabulary.emoji.items():
        for mark in marks:
            if reading.tail.endswith(mark):
                return StatusMatch(status, mark)
    return None


# What a list item's checkbox says (immutable, so every checked item can share one).
CHECKED = StatusMatch(Status.DONE, "[x]")
UNCHECKED = StatusMatch(Status.OPEN, "[ ]")


class TrailingStatus(NamedTuple):
    """A status annotation that ends an item's text, and where its words are in that text
    (inside its parenthesis and any emphasis marks)."""

    match: StatusMatch
    start: int  # of the words inside the parentheses
    end: int


# With a ``skip`` alternative for search_kept, as items._APPENDED_LINK_OR_SKIP has one for
# sub_kept; a text that ends at a line break leaves the white space before it, where the next
# link may start.
_APPENDED_LINK_END_OR_SKIP = re.compile(
    r"\s*\(\[[^\]\n]*\]\([^)\s]*\)\)\s*$"
    r"|(?P<skip>\s*\(\[(?:[^\]\n]*[^\]\s])?(?:\](?:\([^)\s]*\])?)?|\s+)"
)


def trailing_status(text: str, vocabulary: StatusVocabulary) -> TrailingStatus | None:
    """The status annotation that ends an item's text, as ``pmsync pull`` writes it: a
    parenthesis holding a status and nothing else (``(Done)``, ``(✅ Done)``, ``(Won't Do)``),
    at the very end or just before the ticket link push appends (``([OPS-1](…))``).

    Being the last word on the item, it states its status over anything else the item says
    (a checkbox, a sub-heading, an earlier annotation).
    """
    found = _last_group(text, len(text.rstrip()))
    status = annotation_status(found[2], vocabulary) if found else None
    if status is None and "([" in text:
        link = search_kept(_APPENDED_LINK_END_OR_SKIP, text)
        found = _last_group(text, len(text[: link.start()].rstrip())) if link else None
        status = annotation_status(found[2], vocabulary) if found else None
    if found is None or status is None:
        return None
    # The words between the emphasis marks, if any: pull rewrites them and keeps the marks.
    start, _, content = found
    inner = unwrap_emphasis(content)
    start += content.index(inner)
    return TrailingStatus(status, start, start + len(inner))


def _last_group(text: str, end: int) -> tuple[int, int, str] | None:
    """The parenthesis that ends ``text[:end]``, without nested parentheses: its content's
    offsets and the content."""
    if not text.endswith(")", 0, end):
        return None
    opening = text.rfind("(", 0, end - 1)
    if opening < 0 or ")" in text[opening + 1 : end - 1] or end - opening > 48:
        return None
    return opening + 1, end - 1, text[opening + 1 : end - 1]


def annotation_status(content: str, vocabulary: StatusVocabulary) -> StatusMatch | None:
    """The status a status annotation's words say: a status emoji, an inline status phrase
    (:data:`INLINE_STATUS_WORDS`), or an emoji and the phrase that agrees with it; else None
    (``(see the runbook)`` is no status annotation). Emphasis around them does not count:
    ``(**Done**)`` says ``Done``."""
    stated = unwrap_emphasis(content)
    plain = repair_mojibake(stated)
    mark = _leading_emoji(plain, vocabulary) if plain else None
    words = plain[len(mark[1]):].lstrip("\ufe0f").strip() if mark else plain
    said = _STATUS_OF.get(words.casefold())
    if mark is not None and (not words or said is mark[0]):
        return StatusMatch(mark[0], stated)
    if mark is None and said is not None:
        return StatusMatch(said, stated)
    return None


def _status_label(unquoted: str) -> str | None:
    """What ``Status:`` says in a text without code or URLs, still to be read as a status.

    Most texts do not hold "status", so the search is tried only when they may (see _may_hold).
    """
    if _may_hold(unquoted, _STATUS_WORDS):
        label = _STATUS_LABEL.search(unquoted)
        if label:
            return label.group(1)
    return None


def _annotated_status(text: str, unquoted: str, plain_unquoted: str) -> StatusMatch | None:
    """The status a parenthesis, ``done as of …`` or a word in capitals states.

    ``unquoted`` is ``text`` without code or URLs, ``plain_unquoted`` its plain text.
    """
    if "(" in text or "[" in text:
        for found in _GROUPS.finditer(text):
            content = found.group(1) if found.group(1) is not None else found.group(2)
            stated = _opens_with_status(strip_markdown(content))
            if stated:
                return stated
    emphasis = _last_emphasis(text)
    if emphasis:
        stated = _opens_with_status(strip_markdown(emphasis))
        if stated:
            return stated
    # As _may_hold does, but "as of" may have any whitespace between its words.
    if not plain_unquoted.isascii() or _AS_OF_FOLDED.search(plain_unquoted.lower()):
        as_of = _AS_OF.search(plain_unquoted)
        if as_of:
            return StatusMatch(_STATUS_OF[as_of.group(1).casefold()], as_of.group(0).strip())
    if _CAPITAL_WORD.search(unquoted):
        capitals = _CAPITALS.search(unquoted)
        if capitals:
            return StatusMatch(_STATUS_OF[capitals.group(1).casefold()], capitals.group(1))
    return None


# A sentence that only states a status: "Done.", "Already completed.", "This has been fixed in
# #12.", "It is now in progress". What may follow the status is what may follow it in an
# annotation (see _AFTER_PHRASE) up to the end of the sentence.
_STATEMENT = re.compile(
    rf"""^\s*(?:(?:this|it|that)\s+(?:has|have|had|is|was)\s+(?:now\s+|already\s+)?(?:been\s+)?
    |already\s+|now\s+)?({_PHRASE})(?![\w'’-])(?P<rest>[^.!?]*)(?:[.!?](?:\s|$)|$)""",
    re.IGNORECASE | re.VERBOSE,
)


def status_statement(text: str) -> StatusMatch | None:
    """The status a line under an item states when its first sentence says nothing else
    (``Already completed.``, ``This has been done. The new keys are live.``); else None."""
    plain = strip_markdown(text) if "*" in text or "_" in text or "[" in text else text
    found = _STATEMENT.match(plain)
    if found is None or not _AFTER_PHRASE.match(found.group("rest")):
        return None
    said = found.group(0).strip().rstrip(".!?")
    return StatusMatch(_STATUS_OF[found.group(1).casefold()], said)


def _last_emphasis(text: str) -> str | None:
    """The words of an emphasised span that ends ``text`` (before dots, "!" and white space):
    "_done in the dashboards repo_", "*completed May 2*."; its opening mark is the last one
    before its closing mark, and opens a word (found without a regex search, which would try
    every position and every length on a line of many marks)."""
    body = text.rstrip(" \t.!")
    mark = next((m for m in ("**", "__", "*", "_") if body.endswith(m)), None)
    if mark is None:
        return None
    end = len(body) - len(mark)
    start = body.rfind(mark, 0, end)
    if start < 0 or (start > 0 and not body[start - 1].isspace()):
        return None
    words = body[start + len(mark):end]
    if not words or words[0].isspace() or words[-1].isspace():
        return None
    return words


def _opens_with_status(content: str) -> StatusMatch | None:
    """The status an annotation's words open with, followed by nothing or by what may follow a
    status ("Done", "done as of May 2", "in progress - see #4"); "open source tool" is none."""
    match = _PHRASE_START.match(content)
    if match and _AFTER_PHRASE.match(match.group("rest")):
        return StatusMatch(_STATUS_OF[match.group(1).casefold()], content.strip())
    return None


def _without_code_or_urls(text: str) -> str:
    return _CODE_OR_URL.sub(" ", text) if "`" in text or "http" in text else text


def _may_hold(text: str, words: tuple[str, ...]) -> bool:
    """Whether ``text`` may match a case-insensitive search each match of which holds one of
    ``words`` (lower-case ASCII).

    A substring test is many times cheaper than a case-insensitive regex search, which tries
    every position. For ASCII text a case-insensitive match is a match in the lower-cased text,
    so one of ``words`` must be there. Other text is always searched: ``re.IGNORECASE`` also
    matches "ı" for "i", "ſ" for "s" and the Kelvin sign for "k", which lower-casing does not give.
    """
    if not text.isascii():
        return True
    folded = text.lower()
    return any(word in folded for word in words)


@lru_cache(maxsize=1024)
def heading_status(text: str) -> StatusMatch | None:
    """The status a sub-heading gives the items under it: ``Completed``, ``In Progress``,
    ``Open items``, or a parenthesis that opens with one (``Immediate Actions (Completed)``)."""
    # Cached: it is asked again for every item under the same sub-heading.
    plain = strip_markdown(text).strip().rstrip(":").strip()
    whole = _HEADING_STATUS.match(plain)
    if whole:
        return StatusMatch(_STATUS_OF[whole.group(1).casefold()], whole.group(1))
    for found in _PARENTHESIS.finditer(plain):
        match = _PHRASE_START.match(found.group(1))
        if match and _AFTER_PHRASE.match(match.group("rest")):
            return StatusMatch(_STATUS_OF[match.group(1).casefold()], match.group(1))
    return None


def inline_owner(text: str) -> str | None:
    """The owner an item names: ``Owner: @x``, ``OWNER: x@``, ``(@x)``, a trailing ``— @x`` or a
    trailing parenthesis saying who will do it (``(Priya to set up a meeting)``)."""
    return read_title(text).owner


def _owner(text: str) -> str | None:
    if _may_hold(text, _OWNER_WORDS):
        found = _OWNER_LABEL.search(text)
        if found:
            value = (found.group("value") or found.group("value2")).strip().rstrip(".,;")
            link = _WHOLE_LINK.fullmatch(value)
            return link.group(1) if link else value
    return _owner_handle(text) or _owner_who_does(text)


def _owner_handle(text: str) -> str | None:
    """A handle in parentheses (``(@x)``) or after a dash at the end (``— @x``)."""
    if "@" not in text:
        return None  # both forms name a handle
    paren = _OWNER_PAREN.search(text)
    if paren:
        return paren.group(1)
    dash = _OWNER_DASH.search(text.rstrip())
    return dash.group(1) if dash else None


def _owner_who_does(text: str) -> str | None:
    """The person a parenthesis that ends ``text`` says will do the work (see _OWNER_DOES)."""
    if not text.rstrip(" \t.").endswith(")"):
        return None
    found = _OWNER_DOES.match(text, text.rfind("("))  # no parenthesis nests in the last one
    if found is None or found.group("name").casefold() in _NOT_NAMES:
        return None
    name = found.group("name")
    return None if _STATUS_OF.get(name.casefold()) else name


def leading_tag(title: str) -> str | None:
    """The tag that opens an item's title when it may name its owner (``[Platform] …``): not a
    status (``[WIP]``), priority, ticket (``[OPS-12]``), placeholder or kind of work
    (``[Optional]``). Whether it is a reference-style link is for the caller to say."""
    found = _LEADING_TAG.match(title) if title.startswith("[") else None
    if found is None:
        return None
    tag = found.group("tag").strip()
    folded = tag.casefold()
    if len(tag.split()) > 3 or folded in _NOT_OWNER_TAGS or folded in _STATUS_OF:
        return None
    if _PRIORITY.match(tag + " ") or parse_ticket(tag) or is_empty_value(tag):
        return None
    return tag


def inline_due(
    text: str, incident_date: date | None, order: DateOrder
) -> tuple[DueDate | None, str] | None:
    """An explicit due date (``due 2025-10-10``, ``by Oct 10``) and the date text as written.

    The date may fail to parse (no year and no incident date to infer it from); the raw text is
    still returned so that ``pmsync check`` can say so, as it does for table cells.
    """
    raw = read_title(text).due_raw
    if raw is None:
        return None
    return parse_date(raw, incident_date, order), raw


def _due_text(plain: str) -> str | None:
    """The date text after a due label (``due``, ``by``, ``deadline``) in a plain text."""
    if not (_DIGIT.search(plain) and _may_hold(plain, _DUE_WORDS)):
        return None
    found = _DUE.search(plain)
    return found.group("date") if found else None


def inline_ticket(text: str, definitions: Mapping[str, str]) -> TicketRef | None:
    """The first ticket an item refers to, reference-style links resolved through their definitions."""
    return parse_ticket(resolve_reference_links(text, definitions))


def heading_ticket(text: str) -> TicketRef | None:
    """A ticket linked from a sub-heading (``Short-term (In Progress - [Issue #1](url))``).

    Only links count: a bare ``#2`` in a heading is more often a number than an issue.
    """
    return parse_ticket(text) if "://" in text else None


def link_definitions(doc: Document) -> dict[str, str]:
    """Reference-style link definitions (``[issue-294]: https://…``), keyed by folded label."""
    found: dict[str, str] = {}
    if "]:" not in doc.text:
        return found  # every definition holds "]:"; most documents have none
    texts = doc.texts
    hidden = doc.hidden
    for index in doc.indexes_starting(_MAY_BE_LINK_DEFINITION):
        if index + 1 in hidden:
            continue
        text = texts[index]
        if text.rstrip().endswith("]:") and index + 1 < len(texts) and index + 2 not in hidden:
            # The destination may be on the next line: "[task-12]:" then "    https://…".
            text = text.rstrip() + " " + texts[index + 1].strip()
        definition = _LINK_DEFINITION.match(text)
        if definition:
            found.setdefault(_fold(definition.group(1)), definition.group(2))
    return found


def resolve_reference_links(text: str, definitions: Mapping[str, str]) -> str:
    """``[text][ref]``, ``[ref][]`` and ``[ref]`` turned into inline links where ``ref`` is defined."""
    if not definitions:
        return text

    def full(found: re.Match[str]) -> str:
        label = found.group(2) or found.group(1)
        url = definitions.get(_fold(label))
        return f"[{found.group(1)}]({url})" if url else found.group(0)

    def shortcut(found: re.Match[str]) -> str:
        url = definitions.get(_fold(found.group(1)))
        return f"[{found.group(1)}]({url})" if url else found.group(0)

    return _SHORTCUT_REFERENCE.sub(shortcut, _FULL_REFERENCE.sub(full, text))


def _fold(label: str) -> str:
    return " ".join(label.split()).casefold()
