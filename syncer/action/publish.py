"""Step 5 of the Action: the step outputs (``$GITHUB_OUTPUT``) and the step summary
(``$GITHUB_STEP_SUMMARY``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from syncer.action.results import ActionResult, CommandRun, WriteBack, completed
from syncer.errors import is_internal


def outputs(result: ActionResult) -> dict[str, str]:
    """The step outputs: counts, the documents worked on, and where the write-back went."""
    run = result.run
    write_back = result.write_back
    return {
        **{name: str(run.total(name) if run else 0) for name in ("created", "updated", "failed")},
        "files": "\n".join(result.scope.files),
        "skipped": result.scope.skipped or "",
        "write-back": write_back.outcome if write_back else "none",
        "commit": (write_back.commit or "") if write_back else "",
        "pull-request": (write_back.pull_request or "") if write_back else "",
    }


def format_outputs(values: Mapping[str, str]) -> str:
    """``$GITHUB_OUTPUT`` lines; every value in the heredoc form, safe for several lines."""
    chunks = []
    for name, value in values.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        while delimiter in value:  # pragma: no cover - a uuid will not appear by chance
            delimiter = f"ghadelimiter_{uuid.uuid4()}"
        chunks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    return "".join(chunks)


def summary_markdown(result: ActionResult) -> str:
    """The step summary: what ran on which documents, the counts, and the write-back."""
    lines = [f"### pmsync {result.command}", ""]
    if result.scope.skipped:
        return "\n".join([*lines, f"Nothing to do: {result.scope.skipped}.", ""])
    if not result.scope.files:
        return "\n".join([*lines, f"No postmortem matched ({result.scope.reason}).", ""])
    lines.append(f"{len(result.scope.files)} document(s): {result.scope.reason}.")
    lines.append("")
    run = result.run
    if run and run.documents:
        lines += ["| document | created | updated | linked | failed |",
                  "| --- | --: | --: | --: | --: |"]
        lines += [f"| `{d.path}` | {d.count('created')} | {d.count('updated')} | "
                  f"{d.count('linked')} | {d.count('failed')} |" for d in run.documents]
        lines.append("")
    elif run and run.summary:
        lines += [run.summary, ""]
    if run and not completed(run):
        lines += [_stopped(run), ""]
    if result.review:
        lines += [result.review, ""]
    lines += _write_back_lines(result.write_back)
    return "\n".join(lines)


def _stopped(run: CommandRun) -> str:
    if run.error is not None and is_internal(run.error):
        return "pmsync stopped on an internal error, a bug (see the log; `--debug` shows more)."
    return "pmsync stopped on an input or configuration error (see the log)."


def _write_back_lines(write_back: WriteBack | None) -> list[str]:
    if write_back is None or write_back.outcome == "nothing":
        return []
    files = ", ".join(f"`{f}`" for f in write_back.files)
    text = {
        "none": f"Write-back is off; edited but not committed: {files}.",
        "pushed": f"Committed {files} to `{write_back.branch}` as {write_back.commit}.",
        "pull-request": f"Opened {write_back.pull_request} with {files} "
                        f"({write_back.message}).",
        "failed": f"**Write-back failed**: {write_back.message}.",
    }[write_back.outcome]
    return [text, ""]


def publish(result: ActionResult, env: Mapping[str, str]) -> None:
    """Append to ``$GITHUB_OUTPUT`` and ``$GITHUB_STEP_SUMMARY`` when the runner set them."""
    if env.get("GITHUB_OUTPUT"):
        with open(env["GITHUB_OUTPUT"], "a", encoding="utf-8") as handle:
            handle.write(format_outputs(outputs(result)))
    if env.get("GITHUB_STEP_SUMMARY"):
        with open(env["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as handle:
            handle.write(summary_markdown(result))
