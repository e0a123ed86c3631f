"""GitHub's GraphQL API, as far as the sandbox needs it, on graphql-core.

The schema lives in ``github.graphql``; this module supplies the objects queries resolve against
and turns resolver failures into GitHub's error entries (``type`` at the top level, e.g.
``NOT_FOUND``), which PyGithub turns into exceptions even when other aliases resolved.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    build_schema,
    execute_sync,
    parse,
    validate,
)
from graphql.error import GraphQLSyntaxError

from connectors.sandbox.github_model import GitHubIssue, GitHubRepo, GitHubStore, GitHubUser
from connectors.sandbox.github_render import github_time

# Resolvers receive graphql-core's resolve info first; they never need it.
Info = GraphQLResolveInfo[Any]
CONNECTION_LIMIT = 100
NODE_IDS_LIMIT = 100
#: GitHub refuses, before running it, a query that may return more nodes than this.
NODE_LIMIT = 500_000


class GitHubGraphQLError(Exception):
    """A resolver failure that GitHub reports with a ``type``."""

    def __init__(self, message: str, error_type: str) -> None:
        super().__init__(message)
        self.error_type = error_type


@cache
def github_schema() -> GraphQLSchema:
    """The sandbox's slice of GitHub's schema (parsed once)."""
    return build_schema((Path(__file__).parent / "github.graphql").read_text())


@dataclass(frozen=True)
class GraphQLContext:
    """What resolvers may see: the store, who is asking, where the web UI lives."""

    store: GitHubStore
    viewer: GitHubUser
    web_root: str
    rate_limit: dict[str, Any]


def execute_query(
    context: GraphQLContext, query: Any, variables: Any, operation_name: Any
) -> dict[str, Any]:
    """Run one GraphQL request and shape the answer as GitHub does."""
    if not isinstance(query, str):
        return {
            "errors": [{"message": "A query attribute must be specified and must be a string."}]
        }
    try:
        document = parse(query)
    except GraphQLSyntaxError as error:
        return {"errors": [_format(error)]}
    invalid = validate(github_schema(), document)
    if invalid:
        return {"errors": [_format(e) for e in invalid]}
    nodes = possible_nodes(document, variables if isinstance(variables, dict) else {})
    if nodes > NODE_LIMIT:
        return {"errors": [{
            "type": "MAX_NODE_LIMIT_EXCEEDED",
            "message": f"This query requests up to {nodes:,} possible nodes which exceeds the "
                       f"maximum limit of {NODE_LIMIT:,}.",
        }]}
    result = execute_sync(
        github_schema(),
        document,
        root_value=_Query(context),
        context_value=context,
        variable_values=variables if isinstance(variables, dict) else None,
        operation_name=operation_name if isinstance(operation_name, str) else None,
        type_resolver=lambda value, info, abstract: value.graphql_type,
    )
    answer: dict[str, Any] = {"data": result.data}
    if result.errors:
        answer["errors"] = [_format(e) for e in result.errors]
    return answer


def possible_nodes(document: DocumentNode, variables: dict[str, Any]) -> int:
    """How many nodes a (valid) query may return, as GitHub counts them for its node limit: each
    connection counts its ``first`` or ``last``, times that of every connection around it."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}

    def count(selections: SelectionSetNode | None, around: int) -> int:
        total = 0
        for node in selections.selections if selections else ():
            if isinstance(node, FragmentSpreadNode):
                total += count(fragments[node.name.value].selection_set, around)
            elif isinstance(node, InlineFragmentNode):
                total += count(node.selection_set, around)
            elif isinstance(node, FieldNode):
                page = _page_size(node, variables)
                total += around * page
                total += count(node.selection_set, around * (page or 1))
        return total

    return sum(count(d.selection_set, 1) for d in document.definitions
               if isinstance(d, OperationDefinitionNode))


def _page_size(field: FieldNode, variables: dict[str, Any]) -> int:
    """The field's ``first`` or ``last`` (0 when it is not a connection)."""
    for argument in field.arguments or ():
        if argument.name.value in ("first", "last"):
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                found = variables.get(value.name.value)
                return found if isinstance(found, int) else 0
    return 0


def _format(error: GraphQLError) -> dict[str, Any]:
    formatted: dict[str, Any] = {}
    original = error.original_error
    if isinstance(original, GitHubGraphQLError):
        formatted["type"] = original.error_type
    if error.path:
        formatted["path"] = list(error.path)
    if error.locations:
        formatted["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    formatted["message"] = error.message
    return formatted


def _cursor(index: int) -> str:
    return base64.b64encode(f"cursor:v2:{index}".encode()).decode()


def _offset(cursor: str | None, connection: str) -> int | None:
    if cursor is None:
        return None
    try:
        return int(base64.b64decode(cursor).decode().rsplit(":", 1)[1])
    except (ValueError, IndexError) as exc:
        raise GitHubGraphQLError(
            f"`{cursor}` does not appear to be a valid cursor.", "INVALID_CURSOR_ARGUMENTS"
        ) from exc


def _connection(
    items: Sequence[Any],
    name: str,
    first: int | None,
    last: int | None,
    after: str | None,
    before: str | None,
) -> dict[str, Any]:
    if first is None and last is None:
        raise GitHubGraphQLError(
            f"You must provide a `first` or `last` value to properly "
            f"paginate the `{name}` connection.",
            "MISSING_PAGINATION_BOUNDARIES",
        )
    for argument, value in (("first", first), ("last", last)):
        if value is not None and value > CONNECTION_LIMIT:
            raise GitHubGraphQLError(
                f"Requesting {value} records on the `{name}` connection "
                f"exceeds the `{argument}` limit of {CONNECTION_LIMIT} "
                "records.",
                "EXCESSIVE_PAGINATION",
            )
    after_index = _offset(after, name)
    before_index = _offset(before, name)
    start = after_index + 1 if after_index is not None else 0
    end = before_index if before_index is not None else len(items)
    if first is not None:
        end = min(end, start + first)
    if last is not None:
        start = max(start, end - last)
    page = list(items[start:end])
    return {
        "nodes": page,
        "totalCount": len(items),
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(start) if page else None,
            "endCursor": _cursor(end - 1) if page else None,
        },
    }


class _User:
    graphql_type = "User"

    def __init__(self, context: GraphQLContext, user: GitHubUser) -> None:
        self.id = user.node_id
        self.databaseId = user.id
        self.login = user.login
        self.url = f"{context.web_root}/{user.login}"


class _Label:
    graphql_type = "Label"

    def __init__(self, node_id: str, name: str, color: str, description: str | None) -> None:
        self.id = node_id
        self.name = name
        self.color = color
        self.description = description


class _Issue:
    graphql_type = "Issue"

    def __init__(self, context: GraphQLContext, repo: GitHubRepo, issue: GitHubIssue) -> None:
        self._context = context
        self._repo = repo
        self._issue = issue
        self.id = issue.node_id
        self.databaseId = issue.id
        self.number = issue.number
        self.title = issue.title
        self.body = issue.body or ""
        self.url = f"{context.web_root}/{repo.full_name}/issues/{issue.number}"
        self.state = issue.state.upper()
        self.closed = issue.state == "closed"
        self.closedAt = github_time(issue.closed_at)
        self.createdAt = github_time(issue.created_at)
        self.updatedAt = github_time(issue.updated_at)

    def stateReason(self, info: Info, enableDuplicate: bool = False) -> str | None:
        """GitHub answers DUPLICATE only to those who ask for it; others read NOT_PLANNED."""
        reason = self._issue.state_reason.upper() if self._issue.state_reason else None
        return "NOT_PLANNED" if reason == "DUPLICATE" and not enableDuplicate else reason

    @property
    def author(self) -> _User | None:
        user = self._context.store.users.get(self._issue.user)
        return _User(self._context, user) if user else None

    @property
    def repository(self) -> _Repository:
        return _Repository(self._context, self._repo)

    @property
    def milestone(self) -> dict[str, Any] | None:
        found = self._repo.milestones.get(self._issue.milestone or 0)
        if found is None:
            return None
        return {"id": found.node_id, "number": found.number, "title": found.title,
                "dueOn": github_time(found.due_on)}

    def labels(
        self,
        info: Info,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        found = [label for name in self._issue.labels if (label := self._repo.label(name))]
        nodes = [_Label(lab.node_id, lab.name, lab.color, lab.description) for lab in found]
        return _connection(nodes, "labels", first, last, after, before)

    def assignees(
        self,
        info: Info,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
    ) -> dict[str, Any]:
        users = [
            self._context.store.users[login]
            for login in self._issue.assignees
            if login in self._context.store.users
        ]
        nodes = [_User(self._context, user) for user in users]
        return _connection(nodes, "assignees", first, last, after, before)


class _PullRequest:
    graphql_type = "PullRequest"

    def __init__(self, context: GraphQLContext, repo: GitHubRepo, issue: GitHubIssue) -> None:
        self.id = issue.node_id
        self.databaseId = issue.id
        self.number = issue.number
        self.title = issue.title
        self.url = f"{context.web_root}/{repo.full_name}/pull/{issue.number}"
        self.state = issue.state.upper()
        self.closed = issue.state == "closed"


class _Repository:
    graphql_type = "Repository"

    def __init__(self, context: GraphQLContext, repo: GitHubRepo) -> None:
        self._context = context
        self._repo = repo
        self.id = repo.node_id
        self.databaseId = repo.id
        self.name = repo.name
        self.nameWithOwner = repo.full_name
        self.url = f"{context.web_root}/{repo.full_name}"

    @property
    def owner(self) -> _User:
        store = self._context.store
        return _User(self._context, store.users[self._repo.owner])

    def issue(self, info: Info, number: int) -> _Issue:
        found = self._repo.issues.get(number)
        if found is None or found.is_pull_request:
            raise GitHubGraphQLError(
                f"Could not resolve to an Issue with the number of {number}.", "NOT_FOUND"
            )
        return _Issue(self._context, self._repo, found)

    def pullRequest(self, info: Info, number: int) -> _PullRequest:
        found = self._repo.issues.get(number)
        if found is None or not found.is_pull_request:
            raise GitHubGraphQLError(
                f"Could not resolve to a PullRequest with the number of {number}.", "NOT_FOUND"
            )
        return _PullRequest(self._context, self._repo, found)

    def issueOrPullRequest(self, info: Info, number: int) -> _Issue | _PullRequest:
        found = self._repo.issues.get(number)
        if found is None:
            raise GitHubGraphQLError(
                f"Could not resolve to an issue or pull request with the number of {number}.",
                "NOT_FOUND",
            )
        if found.is_pull_request:
            return _PullRequest(self._context, self._repo, found)
        return _Issue(self._context, self._repo, found)

    def issues(
        self,
        info: Info,
        first: int | None = None,
        last: int | None = None,
        after: str | None = None,
        before: str | None = None,
        labels: list[str] | None = None,
        states: list[str] | None = None,
    ) -> dict[str, Any]:
        wanted_labels = {name.lower() for name in labels or []}
        selected = [
            issue
            for issue in sorted(self._repo.issues.values(), key=lambda i: i.number)
            if not issue.is_pull_request
            and (not states or issue.state.upper() in states)
            and (not wanted_labels or wanted_labels & {name.lower() for name in issue.labels})
        ]
        nodes = [_Issue(self._context, self._repo, issue) for issue in selected]
        return _connection(nodes, "issues", first, last, after, before)


class _Query:
    graphql_type = "Query"

    def __init__(self, context: GraphQLContext) -> None:
        self._context = context

    def repository(self, info: Info, owner: str, name: str) -> _Repository:
        repo = self._context.store.find_repo(owner, name)
        if repo is None or not repo.sees(self._context.viewer.login):
            raise GitHubGraphQLError(
                f"Could not resolve to a Repository with the name '{owner}/{name}'.", "NOT_FOUND"
            )
        return _Repository(self._context, repo)

    @property
    def viewer(self) -> _User:
        return _User(self._context, self._context.viewer)

    @property
    def rateLimit(self) -> dict[str, Any]:
        return self._context.rate_limit

    def node(self, info: Info, id: str) -> Any:
        found = self._lookup(id)
        if found is None:
            raise GitHubGraphQLError(
                f"Could not resolve to a node with the global id of '{id}'", "NOT_FOUND"
            )
        return found

    def nodes(self, info: Info, ids: list[str]) -> list[Any]:
        if len(ids) > NODE_IDS_LIMIT:
            raise GitHubGraphQLError(
                f"You may not provide more than {NODE_IDS_LIMIT} node ids; "
                f"you provided {len(ids)}.",
                "ARGUMENT_LIMIT",
            )
        return [self._lookup(node_id) for node_id in ids]

    def _lookup(self, node_id: str) -> Any:
        context = self._context
        for repo in context.store.repos.values():
            if not repo.sees(context.viewer.login):
                continue
            if repo.node_id == node_id:
                return _Repository(context, repo)
            for issue in repo.issues.values():
                if issue.node_id == node_id:
                    return (
                        _PullRequest(context, repo, issue)
                        if issue.is_pull_request
                        else _Issue(context, repo, issue)
                    )
        user = next((u for u in context.store.users.values() if u.node_id == node_id), None)
        return _User(context, user) if user else None
