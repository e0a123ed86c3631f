"""The vendors' own API descriptions (``../shared/api-specs``) as checks on the sandbox's answers.

:class:`OpenAPI` finds the operation a sandbox route stands for and validates an answer against
that operation's response schema with ``jsonschema``. OpenAPI 3.0 schemas are JSON Schema plus
``nullable``; :func:`json_schema` turns that into ``"type": [..., "null"]`` (also adding ``None``
to an ``enum``: GitHub answers ``state_reason: null`` on open issues although its enum lists no
null, see SOURCES.md). Formats are not asserted: Jira's ``+0000`` offsets are what Jira sends.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from graphql import GraphQLSchema, build_ast_schema, parse
from graphql.language import DefinitionNode, DocumentNode
from jsonschema import Draft7Validator

from tests.conftest import SHARED

SPECS = SHARED / "api-specs"
GITHUB_REST = SPECS / "github-rest.api.github.com.openapi.json"
GITHUB_GRAPHQL = SPECS / "github-graphql.schema.graphql"
JIRA_CLOUD = SPECS / "jira-cloud-platform.v3.openapi.json"
_PARAMETER = re.compile(r"\{[^}/]+\}")


def json_schema(node: Any) -> Any:
    """An OpenAPI 3.0 schema (or a whole description) with ``nullable`` as JSON Schema says it."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: json_schema(value) for key, value in node.items()}
    if out.get("nullable") is not True:
        return out
    del out["nullable"]
    if isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
        if isinstance(out.get("enum"), list) and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}


def route_key(path: str) -> str:
    """A path template with its parameter names dropped: ``/a/{x}/b`` → ``/a/{}/b``."""
    return _PARAMETER.sub("{}", path.rstrip("/"))


@dataclass(frozen=True)
class Operation:
    """One operation of a description."""

    method: str
    path: str
    operation_id: str
    responses: Mapping[str, Any]
    deprecated: bool


class OpenAPI:
    """One OpenAPI description, indexed by method and path template."""

    def __init__(self, path: Path, error_schema: str) -> None:
        """``error_schema``: the component every error answer has where an operation lists
        none for its status (GitHub's descriptions omit 401 almost everywhere)."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        self.error_schema = {"$ref": f"#/components/schemas/{error_schema}"}
        self.components = json_schema(raw.get("components") or {})
        self.operations: dict[tuple[str, str], Operation] = {}
        for template, item in raw["paths"].items():
            for method, op in item.items():
                if method in ("get", "post", "put", "patch", "delete"):
                    self.operations[(method.upper(), route_key(template))] = Operation(
                        method.upper(), template, op.get("operationId", ""),
                        op.get("responses") or {}, bool(op.get("deprecated")))

    def operation(self, method: str, template: str) -> Operation | None:
        """The operation at ``method`` ``template`` (parameter names need not match)."""
        return self.operations.get((method.upper(), route_key(template)))

    def schema(self, op: Operation, status: int) -> dict[str, Any] | None:
        """The JSON schema of ``op``'s answer with ``status``; None when it has no JSON body.

        Raises KeyError when the description lists no such status (nor a default)."""
        response = op.responses.get(str(status)) or op.responses.get("default")
        if response is None and status >= 400:
            return self.error_schema
        if response is None:
            raise KeyError(f"{op.operation_id} lists no {status} answer")
        while "$ref" in response:
            response = self._resolve(response["$ref"])
        content = response.get("content") or {}
        media = next((m for m in content if "json" in m), None)
        if media is None or "schema" not in content[media]:
            return None
        return json_schema(content[media]["schema"])  # type: ignore[no-any-return]

    def errors(self, op: Operation, status: int, body: Any) -> list[str]:
        """Every way ``body`` departs from the description (empty: it conforms)."""
        schema = self.schema(op, status)
        if schema is None:
            return []
        validator = Draft7Validator({**schema, "components": self.components})
        return sorted(f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:300]}"
                      for e in validator.iter_errors(body))

    def _resolve(self, ref: str) -> Any:
        node: Any = {"components": self.components}
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node


@cache
def github_rest() -> OpenAPI:
    """GitHub's REST description (loaded once per test session)."""
    return OpenAPI(GITHUB_REST, "basic-error")


@cache
def jira_cloud() -> OpenAPI:
    """Jira Cloud's platform REST description (loaded once per test session)."""
    return OpenAPI(JIRA_CLOUD, "ErrorCollection")


@cache
def github_graphql() -> GraphQLSchema:
    """GitHub's GraphQL schema, without the repeated fields graphql-core rejects (the published
    file defines two ``EnterpriseOwnerInfo`` fields twice; see SOURCES.md). Taken as valid:
    it breaks graphql-core 3.3's rule that an interface's field and its implementations agree
    on deprecation, which does not bear on validating queries."""
    document = parse(GITHUB_GRAPHQL.read_text(encoding="utf-8"), no_location=True)
    return build_ast_schema(
        DocumentNode(definitions=tuple(_first_fields(d) for d in document.definitions)),
        assume_valid=True,
        assume_valid_sdl=True,
    )


def _first_fields(definition: DefinitionNode) -> DefinitionNode:
    fields = getattr(definition, "fields", None)
    if not fields:
        return definition
    first = {field.name.value: field for field in reversed(fields)}
    return dataclasses.replace(  # type: ignore[type-var]
        definition, fields=tuple(f for f in fields if first[f.name.value] is f))
