"""The shape of a consistency check's answer, shared by the packages that keep books."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CheckResult:
    """What a verify function found: a one-line summary and every problem, each named."""

    summary: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems
