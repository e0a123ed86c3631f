"""Local Jira- and GitHub-compatible HTTP servers that tests and users can safely write to.

Start one with :class:`Sandbox` (a context manager, in-process) or :func:`serve` (foreground,
behind ``pmsync sandbox``). Faults are described with :class:`FaultPlan` and :class:`FaultRule`.
"""

from connectors.sandbox.admin import RemoteAdmin, SandboxAdmin, SandboxControl
from connectors.sandbox.faults import FaultKind, FaultPlan, FaultRule
from connectors.sandbox.github_limits import PrimaryLimits, SecondaryLimit
from connectors.sandbox.sandbox import Sandbox, serve

__all__ = [
    "FaultKind",
    "FaultPlan",
    "FaultRule",
    "PrimaryLimits",
    "RemoteAdmin",
    "Sandbox",
    "SandboxAdmin",
    "SandboxControl",
    "SecondaryLimit",
    "serve",
]
