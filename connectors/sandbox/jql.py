"""The subset of JQL the fake Jira understands, with Jira's error messages for the rest.

Supported: ``project``, ``labels``, ``key``/``issuekey``/``id``, ``status``, ``statusCategory``,
``created``/``updated`` comparisons, ``AND``/``OR``/``NOT``, parentheses, ``ORDER BY``. Any other
field or operator is answered with a 400, so code that depends on more JQL fails loudly here
instead of silently matching nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Protocol


class JqlError(ValueError):
    """A query Jira would reject; ``messages`` go into ``errorMessages``."""

    def __init__(self, *messages: str) -> None:
        super().__init__("; ".join(messages))
        self.messages = list(messages)


# Fields real Jira knows but the sandbox does not evaluate: rejected with a sandbox-specific
# message rather than Jira's "does not exist", which would be a lie.
_KNOWN_UNSUPPORTED = {
    "assignee",
    "reporter",
    "creator",
    "resolution",
    "resolved",
    "priority",
    "type",
    "issuetype",
    "summary",
    "description",
    "text",
    "comment",
    "duedate",
    "due",
    "component",
    "fixversion",
    "affectedversion",
    "sprint",
    "parent",
    "epic link",
    "watcher",
    "votes",
    "environment",
    "resolutiondate",
    "lastviewed",
    "filter",
    "issue.property",
    "category",
    "level",
}
_FIELD_ALIASES = {
    "project": "project",
    "labels": "labels",
    "label": "labels",
    "key": "key",
    "issuekey": "key",
    "issue": "key",
    "id": "key",
    "status": "status",
    "statuscategory": "statuscategory",
    "created": "created",
    "createddate": "created",
    "updated": "updated",
    "updateddate": "updated",
}
_OPERATORS = {
    "project": {"=", "!=", "in", "not in"},
    "labels": {"=", "!=", "in", "not in", "is", "is not"},
    "key": {"=", "!=", "in", "not in"},
    "status": {"=", "!=", "in", "not in"},
    "statuscategory": {"=", "!=", "in", "not in"},
    "created": {"=", "!=", ">", ">=", "<", "<="},
    "updated": {"=", "!=", ">", ">=", "<", "<="},
}
_SORTABLE = {
    "key": "key",
    "issuekey": "key",
    "id": "key",
    "created": "created",
    "updated": "updated",
    "status": "status",
    "project": "project",
}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|>=|<=|!~|=|>|<|~|\(|\)|,)
      | (?P<word>[^\s"'()=!<>~,]+)
    )""",
    re.VERBOSE,
)
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")
_PERIOD = re.compile(r"^([+-]?)((?:\d+[wdhm]\s*)+)$")
_PERIOD_PART = re.compile(r"(\d+)([wdhm])")
_PERIOD_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60}


@dataclass(frozen=True)
class _Token:
    kind: str  # "string", "op", "word"
    text: str
    position: int

    @property
    def lower(self) -> str:
        return self.text.lower()


@dataclass(frozen=True)
class Clause:
    """``field op value(s)`` with the field already normalised (e.g. ``issuekey`` → ``key``)."""

    field: str
    operator: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class And:
    """All parts must match."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    """Any part must match."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """The part must not match."""

    part: Node


Node = Clause | And | Or | Not


@dataclass(frozen=True)
class OrderBy:
    """One ``ORDER BY`` term."""

    field: str
    ascending: bool


@dataclass(frozen=True)
class Query:
    """A parsed query: an optional restriction and the requested order."""

    where: Node | None
    order: tuple[OrderBy, ...]


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        found = _TOKEN.match(text, position)
        if not found or found.end() == position:
            raise JqlError(
                f"Error in the JQL Query: The character '{text[position]}' is a "
                f"reserved JQL character. (line 1, character {position + 1})"
            )
        kind = found.lastgroup or "word"
        tokens.append(_Token(kind, found.group(kind), found.start(kind)))
        position = found.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def parse(self) -> Query:
        where = None if self._at_keyword("order") or self._done() else self._or()
        order: tuple[OrderBy, ...] = ()
        if self._at_keyword("order"):
            self.i += 1
            self._expect_keyword("by")
            order = self._order_list()
        if not self._done():
            token = self.tokens[self.i]
            raise JqlError(
                f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got "
                f"'{token.text}'. (line 1, character {token.position + 1})"
            )
        return Query(where, order)

    def _done(self) -> bool:
        return self.i >= len(self.tokens)

    def _peek(self) -> _Token | None:
        return None if self._done() else self.tokens[self.i]

    def _at_keyword(self, word: str) -> bool:
        token = self._peek()
        return token is not None and token.kind == "word" and token.lower == word

    def _expect_keyword(self, word: str) -> None:
        if not self._at_keyword(word):
            self._unexpected(f"'{word.upper()}'")
        self.i += 1

    def _unexpected(self, wanted: str) -> None:
        token = self._peek()
        if token is None:
            raise JqlError(
                f"Error in the JQL Query: Expecting {wanted} but got the end of the query."
            )
        raise JqlError(
            f"Error in the JQL Query: Expecting {wanted} but got '{token.text}'. "
            f"(line 1, character {token.position + 1})"
        )

    def _or(self) -> Node:
        parts = [self._and()]
        while self._at_keyword("or"):
            self.i += 1
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def _and(self) -> Node:
        parts = [self._unary()]
        while self._at_keyword("and"):
            self.i += 1
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def _unary(self) -> Node:
        token = self._peek()
        if token is None:
            self._unexpected("a field name")
            raise AssertionError("unreachable")
        if token.kind == "word" and token.lower == "not":
            self.i += 1
            return Not(self._unary())
        if token.kind == "op" and token.text == "(":
            self.i += 1
            inner = self._or()
            self._expect_op(")")
            return inner
        return self._clause()

    def _expect_op(self, op: str) -> None:
        token = self._peek()
        if token is None or token.kind != "op" or token.text != op:
            self._unexpected(f"'{op}'")
        self.i += 1

    def _clause(self) -> Clause:
        token = self.tokens[self.i]
        if token.kind == "op":
            self._unexpected("a field name")
        self.i += 1
        name = _unquote(token) if token.kind == "string" else token.text
        field = _field(name)
        operator = self._operator()
        if operator not in _OPERATORS[field]:
            raise JqlError(
                f"The operator '{operator.upper()}' is not supported by the '{name}' field."
            )
        if operator in ("in", "not in"):
            values = self._value_list()
        elif operator in ("is", "is not"):
            value = self._peek()
            if value is None or value.lower not in ("empty", "null"):
                self._unexpected("EMPTY or NULL")
            self.i += 1
            values = ()
        else:
            values = (self._value(),)
        return Clause(field, operator, values)

    def _operator(self) -> str:
        token = self._peek()
        if token is None:
            self._unexpected("an operator")
            raise AssertionError("unreachable")
        self.i += 1
        if token.kind == "op" and token.text in ("=", "!=", ">", ">=", "<", "<="):
            return token.text
        if token.kind == "word" and token.lower == "in":
            return "in"
        if token.kind == "word" and token.lower in ("not", "is"):
            if token.lower == "not":
                self._expect_keyword("in")
                return "not in"
            if self._at_keyword("not"):
                self.i += 1
                return "is not"
            return "is"
        if token.kind == "op" and token.text in ("~", "!~"):
            raise JqlError(f"The pmsync sandbox does not support the JQL operator '{token.text}'.")
        if token.kind == "word" and token.lower in ("was", "changed"):
            raise JqlError(
                f"The pmsync sandbox does not support the JQL operator '{token.text.upper()}'."
            )
        raise JqlError(
            f"Error in the JQL Query: Expecting operator but got '{token.text}'. The valid "
            "operators are '=', '!=', '<', '>', '<=', '>=', '~', '!~', 'IN', 'NOT IN', 'IS' and "
            f"'IS NOT'. (line 1, character {token.position + 1})"
        )

    def _value_list(self) -> tuple[str, ...]:
        self._expect_op("(")
        values = [self._value()]
        while (token := self._peek()) is not None and token.kind == "op" and token.text == ",":
            self.i += 1
            values.append(self._value())
        self._expect_op(")")
        return tuple(values)

    def _value(self) -> str:
        token = self._peek()
        if token is None or token.kind == "op":
            self._unexpected("either a value, list or function")
            raise AssertionError("unreachable")
        self.i += 1
        if token.kind == "string":
            return _unquote(token)
        following = self._peek()
        if following is not None and following.kind == "op" and following.text == "(":
            raise JqlError(
                f"The pmsync sandbox does not support the JQL function '{token.text}()'."
            )
        return token.text

    def _order_list(self) -> tuple[OrderBy, ...]:
        terms: list[OrderBy] = []
        while True:
            token = self._peek()
            if token is None or token.kind == "op":
                self._unexpected("a field name")
                raise AssertionError("unreachable")
            self.i += 1
            name = _unquote(token) if token.kind == "string" else token.text
            field = _SORTABLE.get(name.lower())
            if field is None:
                _field(name)  # unknown fields get Jira's message
                raise JqlError(f"The pmsync sandbox does not support ordering by '{name}'.")
            ascending = True
            if self._at_keyword("asc") or self._at_keyword("desc"):
                ascending = self.tokens[self.i].lower == "asc"
                self.i += 1
            terms.append(OrderBy(field, ascending))
            following = self._peek()
            if following is None or following.kind != "op" or following.text != ",":
                return tuple(terms)
            self.i += 1


def _unquote(token: _Token) -> str:
    return re.sub(r"\\(.)", r"\1", token.text[1:-1])


def _field(name: str) -> str:
    normalised = _FIELD_ALIASES.get(name.lower())
    if normalised is not None:
        return normalised
    if name.lower() in _KNOWN_UNSUPPORTED or name.lower().startswith("cf["):
        raise JqlError(f"The pmsync sandbox does not support the JQL field '{name}'.")
    raise JqlError(f"Field '{name}' does not exist or you do not have permission to view it.")


def parse_jql(text: str) -> Query:
    """Parse ``text``; raise :class:`JqlError` with Jira's wording when it is not valid."""
    return _Parser(text).parse()


class JqlIssue(Protocol):
    """What a query needs to know about an issue."""

    @property
    def id(self) -> int: ...
    @property
    def key(self) -> str: ...
    @property
    def project_key(self) -> str: ...
    @property
    def labels(self) -> list[str]: ...
    @property
    def status_id(self) -> str: ...
    @property
    def created(self) -> float: ...
    @property
    def updated(self) -> float: ...


class JqlCatalog(Protocol):
    """Lookups a query needs to resolve names; each returns ``None`` for an unknown value."""

    def project_key(self, ref: str) -> str | None:
        """The key of the project named by key, id or name."""

    def status_ids(self, ref: str) -> set[str] | None:
        """The ids of the statuses named by name or id."""

    def category_status_ids(self, ref: str) -> set[str] | None:
        """The ids of the statuses in the category named by key, name or id."""

    def issue_ref(self, ref: str) -> tuple[str, int] | None:
        """``(key, id)`` of the issue named by key or id."""


Predicate = Callable[[JqlIssue], bool]


@dataclass(frozen=True)
class CompiledQuery:
    """A query bound to the tracker's names; :meth:`matches` filters, :meth:`sort` orders."""

    predicate: Predicate
    order: tuple[OrderBy, ...]
    restricted: bool
    status_names: dict[str, str]

    def matches(self, issue: JqlIssue) -> bool:
        """Whether ``issue`` satisfies the query's restriction."""
        return self.predicate(issue)

    def sort(self, issues: Sequence[JqlIssue]) -> list[JqlIssue]:
        """Order issues as ``ORDER BY`` asks; newest first when it does not say."""
        ordered = sorted(issues, key=lambda issue: issue.id, reverse=True)
        for term in reversed(self.order):
            ordered.sort(key=self._sort_key(term.field), reverse=not term.ascending)
        return ordered

    def _sort_key(self, field: str) -> Callable[[JqlIssue], tuple[str, int] | float | str]:
        if field == "key":
            return lambda issue: (issue.project_key, int(issue.key.rsplit("-", 1)[1]))
        if field == "created":
            return lambda issue: issue.created
        if field == "updated":
            return lambda issue: issue.updated
        if field == "project":
            return lambda issue: issue.project_key
        return lambda issue: self.status_names.get(issue.status_id, "")


def compile_query(
    query: Query,
    catalog: JqlCatalog,
    now: float,
    *,
    validate: bool = True,
    status_names: dict[str, str] | None = None,
) -> CompiledQuery:
    """Bind ``query`` to ``catalog``; unknown values raise :class:`JqlError` as in Jira.

    With ``validate`` false (Jira's ``validateQuery=false``), unknown issue keys simply match
    nothing instead of failing the query.
    """
    compiler = _Compiler(catalog, now, validate)
    predicate = compiler.node(query.where) if query.where is not None else (lambda issue: True)
    if compiler.errors:
        raise JqlError(*compiler.errors)
    return CompiledQuery(predicate, query.order, query.where is not None, status_names or {})


class _Compiler:
    def __init__(self, catalog: JqlCatalog, now: float, validate: bool) -> None:
        self.catalog = catalog
        self.now = now
        self.validate = validate
        self.errors: list[str] = []

    def node(self, node: Node) -> Predicate:
        if isinstance(node, And):
            parts = [self.node(p) for p in node.parts]
            return lambda issue: all(p(issue) for p in parts)
        if isinstance(node, Or):
            parts = [self.node(p) for p in node.parts]
            return lambda issue: any(p(issue) for p in parts)
        if isinstance(node, Not):
            inner = self.node(node.part)
            return lambda issue: not inner(issue)
        return self.clause(node)

    def clause(self, clause: Clause) -> Predicate:
        negated = clause.operator in ("!=", "not in", "is not")
        if clause.field in ("created", "updated"):
            return self._date(clause)
        if clause.field == "labels":
            positive = self._labels(clause)
        elif clause.field == "project":
            keys = {k for v in clause.values if (k := self._resolve_project(v))}
            def positive(issue: JqlIssue) -> bool:
                return issue.project_key in keys
        elif clause.field == "key":
            ids = {i for v in clause.values if (i := self._resolve_issue(v)) is not None}
            def positive(issue: JqlIssue) -> bool:
                return issue.id in ids
        else:
            statuses = set().union(*(self._resolve_status(clause.field, v) for v in clause.values))
            def positive(issue: JqlIssue) -> bool:
                return issue.status_id in statuses
        return (lambda issue: not positive(issue)) if negated else positive

    def _labels(self, clause: Clause) -> Predicate:
        if clause.operator in ("is", "is not"):
            return lambda issue: not issue.labels
        wanted = {v.lower() for v in clause.values}
        return lambda issue: any(label.lower() in wanted for label in issue.labels)

    def _resolve_project(self, value: str) -> str | None:
        key = self.catalog.project_key(value)
        if key is None:
            self.errors.append(f"The value '{value}' does not exist for the field 'project'.")
        return key

    def _resolve_issue(self, value: str) -> int | None:
        found = self.catalog.issue_ref(value)
        if found is None:
            if self.validate:
                self.errors.append(f"An issue with key '{value}' does not exist for field 'key'.")
            return None
        return found[1]

    def _resolve_status(self, field: str, value: str) -> set[str]:
        if field == "status":
            ids = self.catalog.status_ids(value)
        else:
            ids = self.catalog.category_status_ids(value)
        if ids is None:
            name = "status" if field == "status" else "statusCategory"
            self.errors.append(f"The value '{value}' does not exist for the field '{name}'.")
            return set()
        return ids

    def _date(self, clause: Clause) -> Predicate:
        moment = self._moment(clause.field, clause.values[0])
        attribute = clause.field
        compare: dict[str, Callable[[float, float], bool]] = {
            "=": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
        }
        test = compare[clause.operator]
        # JQL compares at minute precision: truncate the issue's timestamp the same way.
        return lambda issue: test(float(int(getattr(issue, attribute)) // 60 * 60), moment)

    def _moment(self, field: str, value: str) -> float:
        period = _PERIOD.match(value.strip())
        if period:
            seconds = sum(int(n) * _PERIOD_UNITS[u] for n, u in _PERIOD_PART.findall(period[2]))
            sign = -1 if period[1] == "-" else 1
            return float(int(self.now + sign * seconds) // 60 * 60)
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(value, fmt).replace(tzinfo=timezone.utc)
            except ValueError:
                continue
            return parsed.timestamp()
        self.errors.append(
            f"Date value '{value}' for field '{field}' is invalid. Valid formats include: "
            "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
            "format e.g. '-5d', '4w 2d'."
        )
        return 0.0
