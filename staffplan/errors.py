"""Problems found in input data, and the exceptions the library raises.

Library code never prints or exits: it records :class:`Issue` objects and raises
:class:`InputError` (CLI exit 1) or :class:`InfeasiblePlan` (CLI exit 3).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

ERROR = "错误"
WARNING = "警告"
INFO = "提示"


@dataclass(frozen=True)
class Issue:
    """One finding about the input, located as precisely as possible.

    ``row`` is the 1-based Excel row number (or CSV line number) as the planner sees it.
    Never put personal data (ID numbers, birth dates, health) into ``value`` or ``message``.
    """

    severity: str
    message: str
    file: str = ""
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    code: str = ""
    key: str = ""  # a setting in a parameter file (staffplan.toml), e.g. quota.ratio_primary

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(f"文件「{self.file}」")
        if self.sheet:
            parts.append(f"工作表「{self.sheet}」")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"「{self.column}」列")
        if self.key:
            parts.append(f"参数「{self.key}」")
        return "".join(parts)

    def sentence(self) -> str:
        """One clear Chinese sentence: where, what was found, what was expected."""
        loc = self.location()
        text = self.message.rstrip("。")
        return f"{loc}：{text}。" if loc else f"{text}。"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Issues:
    """An ordered collection of findings."""

    items: list[Issue] = field(default_factory=list)

    def add(self, severity: str, message: str, **where: Any) -> Issue:
        issue = Issue(severity=severity, message=message, **where)
        self.items.append(issue)
        return issue

    def error(self, message: str, **where: Any) -> Issue:
        return self.add(ERROR, message, **where)

    def warning(self, message: str, **where: Any) -> Issue:
        return self.add(WARNING, message, **where)

    def info(self, message: str, **where: Any) -> Issue:
        return self.add(INFO, message, **where)

    def extend(self, other: "Issues | list[Issue]") -> None:
        self.items.extend(other.items if isinstance(other, Issues) else other)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.items if i.severity == ERROR]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.items if i.severity == WARNING]

    def has_errors(self) -> bool:
        return any(i.severity == ERROR for i in self.items)

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class StaffplanError(Exception):
    """Base class of the errors the CLI turns into clean messages."""


class InputError(StaffplanError):
    """The input cannot be used. Carries the issues that say why (CLI exit code 1)."""

    def __init__(self, issues: Issues | list[Issue] | Issue | str, **where: Any):
        if isinstance(issues, str):
            issues = [Issue(ERROR, issues, **where)]
        elif isinstance(issues, Issue):
            issues = [issues]
        self.issues = Issues(list(issues.items if isinstance(issues, Issues) else issues))
        first = self.issues.errors[0] if self.issues.errors else (self.issues.items[0] if self.issues.items else None)
        super().__init__(first.sentence() if first else "输入数据有误。")


class ConfigError(InputError):
    """staffplan.toml is invalid (unknown key, wrong type)."""


class UsageError(StaffplanError):
    """An option the data cannot honour (e.g. a plan year outside the data's years); CLI exit code 2."""


class OutputError(StaffplanError):
    """An output cannot be written (exists without --force, would overwrite an input, …)."""


class InfeasiblePlan(StaffplanError):
    """No plan satisfies the hard rules; ``diagnosis`` says which rule, where, by how much (exit 3)."""

    def __init__(self, message: str, diagnosis=None, result=None):
        super().__init__(message)
        self.diagnosis = diagnosis
        self.result = result
