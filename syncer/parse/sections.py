"""Sections of a document: which heading contains which line, and which headings name a
section of action items (work still to be done) or of something that never holds items (a
timeline, lessons). The list and table readers both place what they read by these rules.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from syncer.markdown.inline import PARENTHESES_OR_SKIP, strip_markdown, sub_kept
from syncer.markdown.outline import PSEUDO_LEVEL, Heading

# A section of action items holds work still to be done, and its name says so in one of three
# ways (see is_action_heading). Some names say it alone ("Action items", "Follow-ups", "Next
# steps", "Remediation", "Improvements", "Looking forward").
ACTION_HEADING = re.compile(
    r"""
    \baction[\s-]*(?:items?|points?|plan)\b
    | \b(?:immediate|(?:short|medium|mid|long)(?:er)?[\s-]*term)
         \s+(?:actions?|measures?|steps|items|tasks|work)\b
    | \bwork\s+items\b
    | \bfollow[\s-]*ups?\b
    | \bremediations?\b
    | \bnext\s+steps\b
    | \bto[\s-]?dos?\b
    | \bimprovements\b
    | ^improving\b
    | \b(?:looking|going|moving)\s+(?:forward|ahead)\b
    | \bwhat(?:'s|\s+is)?\s+next\b
    | ^(?:actions?|tasks)$
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Others name work ("tasks", "changes", "work") and say that it lies ahead ("planned", "agreed",
# "corrective"), in either order: "Planned changes", "Work agreed in the review", "Preventive
# and corrective work".
_WORK = re.compile(
    r"""\b(?:actions?|items|tasks?|work|steps|measures|changes|fixes|mitigations
    |countermeasures|safeguards|commitments|deliverables|plans?)\b""",
    re.IGNORECASE | re.VERBOSE,
)
_AHEAD = re.compile(
    r"""\b(?:agreed|planned|proposed|suggested|recommended|future|next|upcoming|pending
    |outstanding|open|remaining|corrective|preventive|preventative|remedial|repair
    |post[\s-]*(?:incident|mortem))\b""",
    re.IGNORECASE | re.VERBOSE,
)
# Others again say what "we" will do: "What we will change", "How we'll prevent this", "What
# will we do differently". Never at the start of the name (that is a sentence), nor what we
# should *have* done.
_WE_WILL = re.compile(
    r"""(?<=\w\s)(?:we(?:['’]ll|\s+will|\s+(?:are|['’]re)\s+going\s+to|\s+plan\s+to
    |\s+intend\s+to|\s+need\s+to|\s+must|\s+should)|(?:will|should|must)\s+we)\b
    (?!\s+have\b)""",
    re.IGNORECASE | re.VERBOSE,
)
# A name that says the work was done, or when, is about the incident, however it names the
# work: "Actions taken", "Fixes applied", "Follow-up timeline", "Changes made during recovery".
_NOT_ACTION = re.compile(
    r"\b(?:timeline|chronology|taken|performed|undertaken|executed|applied|made|during)\b",
    re.IGNORECASE,
)
# Sub-headings whose lists are never action items, even inside an action section.
NON_ITEM_HEADING = re.compile(
    r"""
    \btimeline\b | \bchronology\b | \blessons?\b | \blearn(?:ed|t|ings)\b | \bwhat\s+went\b
    | \bwent\s+(?:well|wrong|poorly|badly)\b | \bwhat\s+(?:worked|didn'?t\s+work|could)\b
    | \blucky\b | \bwhys\b | \broot\s+causes?\b | \breferences?\b | \blinks\b | \bresources\b
    | \bappendix\b | \battendees\b | \bresponders\b | \bfaq\b
    """,
    re.IGNORECASE | re.VERBOSE,
)
# Bold and plain headings that read like sub-headings of an action section (see Sections.of).
_SUBHEADING = re.compile(
    r"""
    ^(?:done|completed?|finished|in[\s-]progress|ongoing|open|pending|planned|not\s+started
       |to[\s-]?do|backlog)\b
    | \b(?:immediate|short[\s-]*term|mid[\s-]*term|medium[\s-]*term|long[\s-]*term
         |this\s+(?:week|month|quarter|sprint)|next\s+(?:week|month|quarter|sprint))\b
    | ^(?:prevention|detection|mitigation|process|fixes|monitoring|alerting|testing|tooling
       |documentation|communication)\b
    """,
    re.IGNORECASE | re.VERBOSE,
)


def is_action_heading(text: str) -> bool:
    """Whether a heading names a section of action items: work still to be done.

    The name says so alone (:data:`ACTION_HEADING`: "Action items", "Next steps"), or names
    work and says it lies ahead ("Planned changes", "Work agreed in the review"), or says what
    we will do ("What we will change"). A name that says the work was done or when ("Actions
    taken", "Fixes applied", "Follow-up timeline") is about the incident: never.

    A section name is short: a longer heading that happens to contain "follow-up" is a title or
    a sentence ("Follow-up on the payment outage of May 3 and its impact"). Parentheses do not
    count towards the length: "Short-term improvements (in progress, see #12)". Nor is a section
    name ever longer than :data:`LONGEST_SECTION_NAME` characters, even in few long words.
    """
    return _is_action_heading(text)


# Beyond any section name; it also bounds the time that patterns of many alternatives
# (ACTION_HEADING, NON_ITEM_HEADING) spend on a hostile line: a megabyte of "a:" is one word.
LONGEST_SECTION_NAME = 500


@lru_cache(maxsize=4096)
def _is_action_heading(text: str) -> bool:
    plain = strip_markdown(text).strip().rstrip(":").strip()
    if len(plain) > LONGEST_SECTION_NAME:
        return False
    if len(sub_kept(PARENTHESES_OR_SKIP, " ", plain).split()) > 6:
        return False
    if _NOT_ACTION.search(plain):
        return False
    return bool(
        ACTION_HEADING.search(plain)
        or (_WORK.search(plain) and _AHEAD.search(plain))
        or _WE_WILL.search(plain)
    )


def action_place(chain: Sequence[Heading]) -> list[Heading] | None:
    """The headings from a line up to the outermost action heading that contains it, or None.

    None when no heading in the chain names action items, or when a sub-heading between the
    line and the action heading names something that is never an item (a timeline, lessons).
    """
    names_actions = [h.kind != "title" and is_action_heading(h.text) for h in chain]
    if not any(names_actions):
        return None
    innermost = names_actions.index(True)
    if any(NON_ITEM_HEADING.search(h.text) for h in chain[:innermost]):
        return None
    outermost = len(names_actions) - 1 - names_actions[::-1].index(True)
    return list(chain[: outermost + 1])


@dataclass(frozen=True)
class Sections:
    """A document's headings (sorted by line) and which heading contains which."""

    headings: tuple[Heading, ...]
    parents: tuple[int | None, ...]  # index of the heading that contains each heading
    lines: tuple[int, ...]

    @classmethod
    def of(cls, headings: Sequence[Heading]) -> Sections:
        """Link every heading to the one that contains it, in one pass."""
        parents: list[int | None] = []
        stack: list[int] = []  # open headings, levels strictly increasing
        for index, heading in enumerate(headings):
            while stack and headings[stack[-1]].level >= heading.level:
                stack.pop()
            if heading.level == PSEUDO_LEVEL and index and reads_like_subheading(heading.text):
                # Bold and plain headings have no level of their own: one that reads like a
                # sub-heading ("Completed", "Short-term") sits under the heading just before it.
                parents.append(index - 1)
            else:
                parents.append(stack[-1] if stack else None)
            stack.append(index)
        return cls(tuple(headings), tuple(parents), tuple(h.line for h in headings))

    def enclosing(self, line: int) -> list[Heading]:
        """The headings that contain ``line``, innermost first."""
        chain: list[Heading] = []
        index: int | None = bisect_left(self.lines, line) - 1
        while index is not None and index >= 0:
            chain.append(self.headings[index])
            index = self.parents[index]
        return chain

    def root_line(self, line: int) -> int | None:
        """The line of the outermost action heading that contains ``line``, if any."""
        place = action_place(self.enclosing(line))
        return place[-1].line if place else None


@lru_cache(maxsize=4096)
def reads_like_subheading(text: str) -> bool:
    """Whether a name reads like a sub-heading of an action section: a status ("Completed",
    "In progress"), a term ("Short-term", "This quarter") or a kind of work ("Detection")."""
    # Cached: templates repeat their headings in every document made from them.
    return _SUBHEADING.search(text) is not None
