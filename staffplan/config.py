"""Configuration: every *local parameter* of domain.md, with defaults shipped in data/staffplan.toml.

A bureau's staffplan.toml (in the data folder, or given with --config) overrides values key by key.
Unknown sections or keys are errors naming the key; types must match the default's type.
"""
from __future__ import annotations

import copy
import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError, Issue, ERROR
from staffplan.paths import data_file, data_table

DEFAULT_CONFIG = "staffplan.toml"


def _default_text() -> str:
    return data_file(DEFAULT_CONFIG).read_text(encoding="utf-8")


@dataclass
class Config:
    """Parameters with their source: ``values[section][key]`` and ``sources["section.key"]``."""

    values: dict[str, dict[str, Any]]
    sources: dict[str, str] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)

    def __getitem__(self, dotted: str) -> Any:
        section, key = dotted.split(".", 1)
        return self.values[section][key]

    def get(self, dotted: str, default: Any = None) -> Any:
        try:
            return self[dotted]
        except KeyError:
            return default

    def section(self, name: str) -> dict[str, Any]:
        return self.values[name]

    def with_overrides(self, overrides: dict[str, Any], source: str = "命令行") -> "Config":
        new = Config(copy.deepcopy(self.values), dict(self.sources), list(self.files))
        for dotted, value in overrides.items():
            section, key = dotted.split(".", 1)
            new.values[section][key] = value
            new.sources[dotted] = source
        return new

    def table(self) -> list[tuple[str, Any, str]]:
        """(parameter, value, source) rows for the 说明 sheet, in file order."""
        rows = []
        for section, items in self.values.items():
            for key, value in items.items():
                dotted = f"{section}.{key}"
                rows.append((dotted, value, self.sources.get(dotted, "默认")))
        return rows


def default_config() -> Config:
    return Config(tomllib.loads(_default_text()))


def _type_ok(default: Any, value: Any) -> bool:
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(default, str):
        return isinstance(value, str)
    if isinstance(default, list):
        return isinstance(value, list)
    if isinstance(default, dict):
        return isinstance(value, dict)
    return True


@functools.lru_cache(maxsize=1)
def _ranges() -> dict[str, tuple[float | None, float | None, bool, str]]:
    """key → (lower, upper, lower open, note) from data/parameter_ranges.csv."""
    rows = data_table("parameter_ranges.csv")
    num = lambda v: float(v) if v.strip() else None  # noqa: E731
    return {r.key.strip(): (num(r.lower), num(r.upper), r.lower_open.strip() == "yes", r.note.strip())
            for r in rows.itertuples(index=False)}


def _out_of_range(dotted: str, value: Any) -> str:
    """'' when ``value`` is inside the key's range (or the key has none), else what is allowed, in words."""
    if dotted not in _ranges() or not isinstance(value, (int, float)) or isinstance(value, bool):
        return ""
    lo, hi, open_lo, note = _ranges()[dotted]
    if (lo is None or value > lo or (value == lo and not open_lo)) and (hi is None or value <= hi):
        return ""
    allowed = ("大于" if open_lo else "不小于") + f" {lo:g}" if lo is not None else ""
    if hi is not None:
        allowed += ("、" if allowed else "") + f"不大于 {hi:g}"
    return f"应{allowed}" + (f"（{note}）" if note else "")


def load_config(path: Path | None = None) -> Config:
    """Defaults, overridden by ``path`` when given. Raises ConfigError on unknown keys or wrong types."""
    cfg = default_config()
    if path is None:
        return cfg
    path = Path(path)
    name = path.name
    try:
        user = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise ConfigError(Issue(ERROR, "找不到配置文件", file=name))
    except UnicodeDecodeError:
        raise ConfigError(Issue(ERROR, "配置文件不是 UTF-8 编码的文本，请用 UTF-8 保存", file=name))
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+), column (\d+)", str(exc))
        where = f"第 {m.group(1)} 行第 {m.group(2)} 列" if m else ""
        raise ConfigError(Issue(ERROR, f"配置文件{where}不是有效的 TOML 写法（常见原因：节名缺少方括号、文字值缺少引号、"
                                       "等号两边写错或同一项写了两次），请对照默认 staffplan.toml 修改", file=name))
    for section, items in user.items():
        if section not in cfg.values:
            known = "、".join(cfg.values)
            raise ConfigError(Issue(ERROR, f"未知的配置节 [{section}]，可用的节为：{known}", file=name, key=section))
        if not isinstance(items, dict):
            raise ConfigError(Issue(ERROR, f"「{section}」应为配置节 [{section}]", file=name, key=section))
        for key, value in items.items():
            dotted = f"{section}.{key}"
            if key not in cfg.values[section]:
                raise ConfigError(Issue(ERROR, f"未知的配置项 {dotted}（请对照默认 staffplan.toml 检查拼写）",
                                        file=name, key=dotted))
            default = cfg.values[section][key]
            if not _type_ok(default, value):
                raise ConfigError(Issue(ERROR, f"配置项 {dotted} 的值 {value!r} 类型不对，应与默认值 {default!r} 同类型",
                                        file=name, key=dotted))
            bad = _out_of_range(dotted, value)
            if bad:
                raise ConfigError(Issue(ERROR, f"配置项 {dotted} 的值 {value!r} 超出允许范围：{bad}", file=name, key=dotted))
            cfg.values[section][key] = float(value) if isinstance(default, float) else value
            cfg.sources[dotted] = f"配置文件 {name}"
    cfg.files.append(path)
    return cfg
