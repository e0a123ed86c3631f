"""Turn the text people write in postmortems into values: statuses, dates, owners, tickets.

Every function here is pure and keeps nothing but its arguments; the raw text always travels
beside the value it produced (see :class:`syncer.model.ActionItem`).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from typing import Literal

from syncer.markdown.inline import strip_markdown
from syncer.model import Status, TicketRef

DateOrder = Literal["MDY", "DMY"]


DEFAULT_STATUS_WORDS: dict[Status, tuple[str, ...]] = {
    Status.DONE: (
        "done", "complete", "completed", "closed", "fixed", "resolved", "finished", "verified",
        "shipped", "merged", "deployed", "implemented", "delivered", "landed", "yes",
    ),
    Status.IN_PROGRESS: (
        "in progress", "in-progress", "inprogress", "wip", "ongoing", "started", "doing",
        "in review", "under review", "in development", "active", "partially done", "partial",
    ),
    Status.OPEN: (
        "open", "todo", "to do", "to-do", "not started", "planned", "pending", "new", "backlog",
        "scheduled", "not done", "blocked", "on hold", "proposed", "unassigned", "tbd",
    ),
    Status.WONT_DO: (
        "won't do", "wont do", "won’t do", "won't fix", "wontfix", "wont fix", "won’t fix",
        "cancelled", "canceled", "dropped", "rejected", "not planned", "obsolete", "abandoned",
        "declined", "duplicate", "out of scope",
    ),
}

DEFAULT_STATUS_EMOJI: dict[Status, tuple[str, ...]] = {
    Status.DONE: ("✅", "✔", "☑", "🟢", "✓", "💚"),
    Status.IN_PROGRESS: ("🟡", "⏳", "🔄", "🚧", "🟠", "🔶", "⌛", "🏗"),
    Status.OPEN: ("⚪", "📅", "⬜", "🔴", "🔲", "🆕", "⭕"),
    Status.WONT_DO: ("❌", "🚫", "✖", "⛔"),
}


@dataclass(frozen=True)
class StatusVocabulary:
    """Words and emoji that name each status; matched case-insensitively, longest first."""

    words: Mapping[Status, Sequence[str]]
    emoji: Mapping[Status, Sequence[str]]

    @classmethod
    def default(cls) -> StatusVocabulary:
        """The shipped vocabulary (one shared instance, so its regex is compiled once)."""
        return _DEFAULT_VOCABULARY

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """One regex that finds any status word, longest phrases tried first."""
        phrases = sorted(
            {w.casefold() for words in self.words.values() for w in words}, key=len, reverse=True
        )
        alternatives = "|".join(re.escape(p) for p in phrases)
        return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)

    @cached_property
    def _status_by_word(self) -> dict[str, Status]:
        # A word listed under two statuses belongs to the first, as in the vocabulary's order.
        found: dict[str, Status] = {}
        for status, words in self.words.items():
            for word in words:
                found.setdefault(word.casefold(), status)
        return found

    def status_of_word(self, word: str) -> Status | None:
        """The status a matched word stands for."""
        return self._status_by_word.get(word.casefold())

    @cached_property
    def mark_starts(self) -> frozenset[str]:
        """The first character of every status emoji (a cheap test before trying each mark)."""
        return frozenset(mark[:1] for marks in self.emoji.values() for mark in marks)

    @cached_property
    def marks(self) -> tuple[str, ...]:
        """Every status emoji (one ``str.endswith`` test before trying each mark)."""
        return tuple(mark for marks in self.emoji.values() for mark in marks)

    @cached_property
    def _parsed(self) -> dict[str, StatusMatch | None]:
        # parse_status(text, self) by text: status cells repeat the same few words.
        return {}


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as cp1252 (``âœ…`` → ``✅``); other text is returned as is."""
    if not any(ch in text for ch in "âðÃ"):
        return text
    repaired = []
    for chunk in re.split(r"(\s+)", text):
        try:
            repaired.append(chunk.encode("cp1252").decode("utf-8"))
        except (UnicodeEncodeError, UnicodeDecodeError):
            repaired.append(_repair_lossy(chunk))
    return "".join(repaired)


def _repair_lossy(chunk: str) -> str:
    # cp1252 leaves five bytes undefined; browsers map them to C1 controls, so map them back.
    try:
        data = bytes(ord(c) if ord(c) < 256 else c.encode("cp1252")[0] for c in chunk)
        return data.decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError, ValueError):
        return chunk


_DEFAULT_VOCABULARY = StatusVocabulary(DEFAULT_STATUS_WORDS, DEFAULT_STATUS_EMOJI)


@dataclass(frozen=True, slots=True)
class StatusMatch:
    """A status found in text, and the part of the text that said it."""

    status: Status
    raw: str


_CACHE_SIZE = 8192  # entries per memo of a pure parse function; plenty for one large run


def parse_status(text: str, vocabulary: StatusVocabulary | None = None) -> StatusMatch | None:
    """Find the status a cell or annotation states: words first, then emoji, then checkboxes."""
    vocabulary = vocabulary or StatusVocabulary.default()
    memo = vocabulary._parsed
    try:
        return memo[text]
    except KeyError:
        pass
    found = _parse_status(text, vocabulary)
    if len(memo) >= _CACHE_SIZE:
        memo.clear()
    memo[text] = found
    return found


_CHECKBOX_START = re.compile(r"^\s*\[([ xX])\]")


def _parse_status(text: str, vocabulary: StatusVocabulary) -> StatusMatch | None:
    cleaned = repair_mojibake(strip_markdown(text))
    found = vocabulary.pattern.search(cleaned.replace("’", "'"))
    if found:
        status = vocabulary.status_of_word(found.group(0))
        if status is not None:
            return StatusMatch(status, found.group(0))
    for status, marks in vocabulary.emoji.items():
        if any(mark in cleaned for mark in marks):
            return StatusMatch(status, text.strip())
    box = _CHECKBOX_START.match(cleaned)
    if box:
        return StatusMatch(Status.OPEN if box.group(1) == " " else Status.DONE, box.group(0).strip())
    return None


_MONTHS = {name.casefold(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.casefold(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
# Month names and abbreviations as one regex alternation (longest first); match it IGNORECASE.
MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"

_ISO = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_NUMERIC = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b")
_NUMERIC_NO_YEAR = re.compile(r"\b(\d{1,2})/(\d{1,2})\b")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}}){_ORD}(?:\s+of)?[\s-]+({MONTH_NAMES})\.?(?:,?[\s-]+(\d{{4}}))?\b", re.IGNORECASE
)
_MONTH_DAY = re.compile(
    rf"\b({MONTH_NAMES})\.?\s+(\d{{1,2}}){_ORD}(?:,?\s+(\d{{4}}))?\b(?!:)", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class DueDate:
    """A parsed date; ``year_inferred`` when the text gave no year."""

    value: date
    year_inferred: bool


def parse_date(
    text: str, incident_date: date | None = None, order: DateOrder = "MDY"
) -> DueDate | None:
    """Parse a due date as people write it; None when the text holds no recognisable date.

    A date without a year takes the first year in which it falls on or after the incident date;
    with no incident date there is nothing to infer it from and None is returned.
    """
    written = _written_date(text, order)
    if written is None or isinstance(written, DueDate):
        return written
    if incident_date is None:
        return None
    month, day = written
    return _with_inferred_year(month, day, incident_date)


@lru_cache(maxsize=_CACHE_SIZE)
def _written_date(text: str, order: DateOrder) -> DueDate | tuple[int, int] | None:
    """The date written in ``text``; its month and day when it has no year; None when no date.

    Cached by text alone: the same date texts recur across documents, whose incident dates
    (needed only for a date without a year) differ.
    """
    cleaned = strip_markdown(text)
    for parse in (_parse_iso, _parse_numeric, _parse_month_names):
        found = parse(cleaned, order)
        if found is not None:
            year, month, day = found
            return (month, day) if year is None else _make(year, month, day, inferred=False)
    return None


@lru_cache(maxsize=_CACHE_SIZE)
def _with_inferred_year(month: int, day: int, incident_date: date) -> DueDate | None:
    for candidate_year in (incident_date.year, incident_date.year + 1):
        candidate = _make(candidate_year, month, day, inferred=True)
        if candidate and candidate.value >= incident_date:
            return candidate
    return None


def _make(year: int, month: int, day: int, inferred: bool) -> DueDate | None:
    try:
        return DueDate(date(year, month, day), inferred)
    except ValueError:
        return None


def _parse_iso(text: str, order: DateOrder) -> tuple[int | None, int, int] | None:
    found = _ISO.search(text)
    return (int(found.group(1)), int(found.group(2)), int(found.group(3))) if found else None


def _parse_numeric(text: str, order: DateOrder) -> tuple[int | None, int, int] | None:
    found = _NUMERIC.search(text)
    year: int | None
    if found:
        first, second, year_text = int(found.group(1)), int(found.group(2)), found.group(3)
        year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    else:
        found = _NUMERIC_NO_YEAR.search(text)
        if not found:
            return None
        first, second, year = int(found.group(1)), int(found.group(2)), None
    month, day = _order(first, second, order)
    return year, month, day


def _order(first: int, second: int, order: DateOrder) -> tuple[int, int]:
    """Month and day from two numbers; a number above 12 can only be the day."""
    if first > 12 >= second:
        return second, first
    if second > 12 >= first:
        return first, second
    return (first, second) if order == "MDY" else (second, first)


def _parse_month_names(text: str, order: DateOrder) -> tuple[int | None, int, int] | None:
    found = _DAY_MONTH.search(text)
    if found:
        day, month, year = found.group(1), found.group(2), found.group(3)
    else:
        found = _MONTH_DAY.search(text)
        if not found:
            return None
        month, day, year = found.group(1), found.group(2), found.group(3)
    return (int(year) if year else None), _MONTHS[month.casefold()], int(day)


_PLACEHOLDER = re.compile(r"^\[[^\]]+\]$")
_PLACEHOLDER_STARTS = frozenset("[<YMDX.…")  # how every placeholder below begins
# How every trimmed text is_placeholder accepts begins (``match`` it; it accepts more): after any
# emphasis or code marks, the start of one of the placeholders below. A "[" whose first "]" is
# followed by "(" opens a link ("[text](url)"), which _PLACEHOLDER cannot match. (The first "]"
# is looked for no further than the line: texts of one line, such as cells, are what it is for.)
_PLACEHOLDER_START = r"[`*_]*(?:\[(?![^\]\n]*\]\()|[<X…]|\.\.\.|YYYY|MM/|DD/)"
MAY_BE_PLACEHOLDER = re.compile(_PLACEHOLDER_START)
# "<owner>" is a slot, but "<https://…/issues/62>" (an autolink: a scheme and a colon) is a link.
_PLACEHOLDER_WORDS = re.compile(
    r"^(?:YYYY-MM-DD|YYYY/MM/DD|MM/DD/YYYY|DD/MM/YYYY|X+|\.\.\.|…|<(?![A-Za-z][\w+.-]{1,31}:)[^>]+>)$"
)


def is_placeholder(text: str) -> bool:
    """A template's fill-in slot: ``[Name]``, ``[YYYY-MM-DD]``, ``<owner>``, ``YYYY-MM-DD``…"""
    stripped = text.strip().strip("`*_")
    if stripped[:1] not in _PLACEHOLDER_STARTS:
        return False
    if stripped.lower() in ("[x]", "[ ]"):
        return False
    return bool(_PLACEHOLDER.match(stripped) or _PLACEHOLDER_WORDS.match(stripped))


# A template's instruction to whoever fills it in, standing where the value goes, in at most
# five words that end with "here": a filling-in verb ("describe here", "Add the action here") or
# the name of what goes there ("Owner name here"). "Move the runbook here" is work.
_INSTRUCTION = re.compile(
    r"(?=(?:\S+\s+){0,4}here\W*$)"
    r"(?:(?:describe|enter|insert|fill\s+in|write|type|add|put|list|explain|summari[sz]e|paste)\b.*"
    r"|(?:\w+\s+){0,2}(?:description|action|owner|name|date|details?|text|title|summary|task"
    r"|item|link|notes?|ticket|value)s?\s+here\W*)",
    re.IGNORECASE,
)
# What a template writes where nobody has decided anything yet: "?", "??", "TBD", "TODO".
_UNDECIDED = re.compile(r"\?+|tb[dac]|to[\s-]?do", re.IGNORECASE)


def is_fill_in(text: str) -> bool:
    """A text that stands where a template's user is to write something: a placeholder (see
    :func:`is_placeholder`), an instruction (``describe here``) or an undecided mark (``?``,
    ``TBD``). As a row's or an item's *action*, it makes the row a template: there is no work
    named yet. (As an owner or due date, ``TBD`` is a real answer; see :func:`is_empty_value`.)"""
    if is_placeholder(text):
        return True
    plain = strip_markdown(text).strip()
    return bool(_UNDECIDED.fullmatch(plain) or _INSTRUCTION.fullmatch(plain))


_EMPTY_VALUES = {"", "-", "--", "—", "–", "n/a", "na", "none", "tbd", "tba", "unknown", "unassigned", "nobody", "todo"}


def is_empty_value(text: str) -> bool:
    """A cell that says nothing: blank, a dash, ``n/a``, ``TBD``, ``?`` or ``??``…"""
    value = strip_markdown(text).strip().casefold().rstrip(".")
    return value in _EMPTY_VALUES or not value.strip("?")


_JIRA_KEY = re.compile(r"(?<![\w/-])([A-Z][A-Z0-9_]{1,15}-[1-9]\d{0,7})(?![\w-])")
_NOT_JIRA_PREFIXES = {
    "CVE", "CWE", "UTF", "SEV", "ISO", "RFC", "SHA", "TLS", "SSL", "AES", "GMT", "UTC", "COVID",
    "HTTP", "HTTPS",
}
# An owner's name has at most 39 characters and a repository's 100 on GitHub: bounded runs keep
# a search through a long run of "-" or "." linear.
_GH_REF = re.compile(r"(?<![\w/&])(?:([\w.-]{1,39}/[\w.-]{1,100}))?#(\d{1,7})\b")
_BUG_REF = re.compile(r"(?<![\w/.])b/(\d{3,12})\b")  # Google-style bug ids, e.g. b/343765967
_URL = re.compile(r"https?://[^\s)>\]]+")
_GH_URL = re.compile(r"https?://[^/\s]+/([\w.-]+/[\w.-]+)/(?:issues|pull|pulls)/(\d+)")
_JIRA_URL = re.compile(r"https?://[^\s]+?/browse/([A-Z][A-Z0-9_]+-\d+)")
_TICKET_URL = re.compile(
    r"https?://[^\s]+?/(?:issues|pull|pulls|merge_requests|commit|commits|browse|tickets?|bugs?)/[\w.-]+",
)


def jira_keys(text: str) -> list[str]:
    """Jira-style keys in text, leaving out look-alikes such as CVE ids and ``UTF-8``."""
    return [k for k in _JIRA_KEY.findall(text) if k.split("-")[0] not in _NOT_JIRA_PREFIXES]


@lru_cache(maxsize=_CACHE_SIZE)
def parse_ticket(text: str) -> TicketRef | None:
    """:func:`read_ticket`, cached by text."""
    return read_ticket(text)


def read_ticket(text: str) -> TicketRef | None:
    """The first ticket reference in text: a URL to an issue/PR/Jira, a Jira key, ``#12`` or
    ``b/123``, each kind searched for in turn. (:func:`parse_ticket` is this with a cache; this
    is for callers that read each distinct text once anyway: ticket texts are mostly unique, so
    the cache would mostly miss.)"""
    # Each pattern below needs a literal the text may not hold ("://", "-", "#", "b/"): testing
    # for it is much cheaper than a regex search, and ticket cells are mostly unique (no cache hit).
    for url in _URL.findall(text) if "://" in text else ():
        url = url.rstrip(".,;:")
        jira = _JIRA_URL.match(url)
        if jira:
            return TicketRef("jira", jira.group(1), url)
        github = _GH_URL.match(url)
        if github:  # the issue's own URL, without a tab or anchor after it ("/files#diff-…")
            return TicketRef("github", f"#{github.group(2)}", github.group(0), github.group(1))
        if _TICKET_URL.match(url):
            return TicketRef("url", url, url)
    keys = jira_keys(text) if "-" in text else None
    if keys:
        return TicketRef("jira", keys[0])
    ref = _GH_REF.search(text) if "#" in text else None
    if ref:
        return TicketRef("github", f"#{ref.group(2)}", None, ref.group(1))
    bug = _BUG_REF.search(text) if "b/" in text else None
    if bug:
        return TicketRef("bug", bug.group(0))
    return None
