"""Command line: parse options, call one library function, render the result.

No rules live here. Library errors become exit codes: InputError → 1, usage/output problems → 2,
InfeasiblePlan → 3 (a diagnosis is written first).
"""
from __future__ import annotations

import contextlib
import errno
import functools
import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Optional

import typer
from rich.console import Console
from rich.markup import escape as esc
from rich.table import Table

from . import __version__
from .cli_zh import ZhCommand, ZhGroup
from .optimize.solve import KNOWN as SOLVERS
from .errors import ERROR, WARNING, InfeasiblePlan, InputError, Issues, OutputError, StaffplanError, UsageError

app = typer.Typer(
    name="staffplan",
    help="区县教师编制测算、交流轮岗与走教安排工具。先运行 `staffplan demo` 看示例。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=ZhGroup,
)

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)

DEFAULT_OUT_DIR = Path("staffplan-输出")

EXIT_INPUT, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_INTERNAL = 1, 2, 3, 4


# --------------------------------------------------------------------------- shared options
@dataclass
class Common:
    data: Path
    year: Optional[int]
    config: Optional[Path]
    json: bool
    quiet: bool
    force: bool

    def __post_init__(self) -> None:
        from .io.atomic import protect_inputs

        protect_inputs([self.data] + ([self.config] if self.config else []))

    def say(self, *args: Any, **kw: Any) -> None:
        if not (self.quiet or self.json):
            console.print(*(esc(a) if isinstance(a, str) else a for a in args), **kw)

    def status(self, text: str):
        if self.quiet or self.json or not console.is_terminal:
            return _NullStatus()
        return console.status(text)

    def progress(self):
        """A context giving the library's ``progress(task, done, total)`` callback (staffplan.progress), drawn
        as rich progress bars on stderr; ``None`` (nothing drawn) with --quiet, --json or no terminal."""
        if self.quiet or self.json or not err_console.is_terminal:
            return contextlib.nullcontext(None)
        return _Bars()


class _NullStatus:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class _Bars:
    """One rich progress bar per task label (done/total, elapsed, remaining), fed by the library callback."""

    def __init__(self):
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.bars = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                             TextColumn("已用"), TimeElapsedColumn(), TextColumn("剩余"), TimeRemainingColumn(),
                             console=err_console, transient=True)
        self.tasks: dict[str, Any] = {}

    def __call__(self, task: str, done: int, total: int) -> None:
        if task not in self.tasks:
            self.tasks[task] = self.bars.add_task(task, total=total)
        self.bars.update(self.tasks[task], completed=done, total=total)

    def __enter__(self):
        self.bars.start()
        return self

    def __exit__(self, *exc):
        self.bars.stop()
        return False


DataArg = typer.Argument(..., metavar="数据集", help="数据集：一个文件夹（学校、在校生、教师…各一个文件）或一个工作簿（每表一个工作表）。")
YearOpt = typer.Option(None, "--year", help="计划年（学年起始年份）；默认为数据中最后一年 + 1。")
ConfigOpt = typer.Option(None, "--config", help="参数文件 staffplan.toml；默认使用数据文件夹中的 staffplan.toml 或内置默认值。")
JsonOpt = typer.Option(False, "--json", help="在标准输出打印机器可读的 JSON 摘要，而非表格。")
QuietOpt = typer.Option(False, "--quiet", "-q", help="只输出错误。")
ForceOpt = typer.Option(False, "--force", help="允许覆盖已存在的输出文件。")
FORMATS = ("xlsx", "csv", "json")
Format = Literal[FORMATS]
FormatOpt = typer.Option("xlsx", "--format", help="输出格式：xlsx（默认）、csv 或 json。")
Solver = Literal[SOLVERS]
ShowIdOpt = typer.Option(False, "--show-id", help="在输出中显示完整身份证号（默认脱敏）；此选择记录在「说明」中。")


def _handle_errors(func: Callable) -> Callable:
    """Turn library errors into one clear message and an exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any):
        try:
            return func(*args, **kwargs)
        except typer.Exit:
            raise
        except InputError as exc:
            _render_issues(exc.issues, only_errors=True)
            raise typer.Exit(EXIT_INPUT)
        except (OutputError, UsageError) as exc:
            err_console.print(f"[red]错误[/red]：{esc(str(exc))}")
            raise typer.Exit(EXIT_USAGE)
        except OSError as exc:  # disk full, permission denied … while writing: nothing half-written is left
            err_console.print(f"[red]错误[/red]：读写文件失败（{esc(_os_reason(exc))}"
                              f"{'：' + esc(_shown_path(exc.filename)) if getattr(exc, 'filename', None) else ''}），"
                              "未写出任何文件。")
            raise typer.Exit(EXIT_USAGE)
        except KeyboardInterrupt:
            from .io.atomic import written_outputs
            done = written_outputs()
            if done:   # interrupted after an output was renamed into place: it is complete, say so
                err_console.print(f"已中断。中断前已完整写出：{'、'.join(esc(str(p)) for p in done)}"
                                  "（内容完整，可以使用；重新运行时加 --force 覆盖）；其余输出未写出。")
            else:
                err_console.print("已中断，未写出任何文件。")
            raise typer.Exit(130)
        except StaffplanError as exc:
            err_console.print(f"[red]错误[/red]：{esc(str(exc))}")
            raise typer.Exit(EXIT_INPUT)
        except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
            if os.environ.get("STAFFPLAN_DEBUG"):
                raise
            err_console.print(
                f"[red]内部错误[/red]：{type(exc).__name__}：{esc(str(exc))}。未写出任何文件；"
                "请设置环境变量 STAFFPLAN_DEBUG=1 重新运行以获得详细信息，并联系维护者。"
            )
            raise typer.Exit(EXIT_INTERNAL)

    return wrapper


_OS_REASONS = {errno.EACCES: "没有写入权限", errno.EPERM: "没有权限", errno.ENOSPC: "磁盘空间不足",
               errno.ENOENT: "路径不存在", errno.EROFS: "磁盘为只读", errno.EISDIR: "这是一个文件夹",
               errno.ENAMETOOLONG: "文件名太长", errno.EDQUOT: "超出磁盘配额"}


def _os_reason(exc: OSError) -> str:
    """The operating system's reason in Chinese (its own words only when it is not one of the common ones)."""
    return _OS_REASONS.get(exc.errno, exc.strerror or str(exc))


def _shown_path(name) -> str:
    """The output a temporary file stands for (io.atomic.output_for): the planner never named the former."""
    from .io.atomic import output_for

    return str(output_for(name))


def _once(items: list) -> list:
    """Issues in order, each sentence once (a knock-on repeated per sheet or per stage is said one time)."""
    return list({i.sentence(): i for i in items}.values())


def _render_issues(issues: Issues, only_errors: bool = False, limit: int = 50) -> None:
    items = [i for i in issues if i.severity == ERROR] if only_errors else [i for i in issues if i.severity in (ERROR, WARNING)]
    items = _once(items)
    for issue in items[:limit]:
        colour = "red" if issue.severity == ERROR else "yellow"
        err_console.print(f"[{colour}]{issue.severity}[/{colour}]：{esc(issue.sentence())}", soft_wrap=True)
    if len(items) > limit:
        err_console.print(f"…… 另有 {len(items) - limit} 条，请运行 `staffplan check` 查看全部。")


def _load(common: Common, needs_roster: str = ""):
    """Read and validate the data set; ``needs_roster`` (交流轮岗方案 …) refuses an empty roster, naming it."""
    from .config import load_config
    from .io.dataset import load_dataset
    from .io.validate import require_roster

    config = load_config(common.config) if common.config else None
    with common.status("正在读取并校验数据……"):
        ds = load_dataset(common.data, config)
    if needs_roster:
        require_roster(ds, needs_roster)
    if config is None:
        config = getattr(ds, "config", None) or load_config(None)
    config = _district_from_schools(config, ds)
    warnings = [i for i in ds.issues if i.severity == WARNING]
    if warnings and not common.quiet and not common.json:
        err_console.print(f"[yellow]数据有 {len(warnings)} 条警告[/yellow]（运行 `staffplan check` 查看全部），前几条：")
        for issue in warnings[:5]:
            err_console.print(f"  [yellow]警告[/yellow]：{esc(issue.sentence())}", soft_wrap=True)
    return ds, config


def _district_from_schools(config, ds):
    """No output.district set: take the 区县 column of the schools table when it names one district."""
    if config.get("output.district") or "county" not in getattr(ds, "schools", {}):
        return config
    names = {str(v).strip() for v in ds.schools["county"].dropna()} - {""}
    return config.with_overrides({"output.district": names.pop()}, "学校表「区县」列") if len(names) == 1 else config


def _id_config(config, show_id: bool):
    """--show-id turns ID masking off for this run (recorded in 说明 as a command-line override)."""
    return config.with_overrides({"output.mask_ids": False}, "命令行 --show-id") if show_id else config


def _meta(command: str, ds, config, plan_year: int, solver: dict | None = None, options: dict | None = None,
          notes: list[str] | None = None):
    from .report.meta import RunMeta

    notes = list(notes or [])
    defaults = [name for name, _value, source in config.table() if source == "默认"]
    if any(n.startswith("load.") for n in defaults):
        notes.append("标准周课时（load.*）为默认值，没有全国统一标准：请按本省、本区规定在 staffplan.toml 中替换。")
    if any(n.startswith("curriculum.") for n in defaults):
        notes.append("课程表为内置默认表（按 2022 年义务教育课程方案的总课时和比例编制）：请以本区实际课表替换"
                     "（配置项 curriculum.compulsory_file / senior_file）。")
    return RunMeta(
        command=command,
        plan_year=plan_year,
        parameters=config.table(),
        inputs=[{k: v for k, v in s.items() if k != "path"} for s in ds.sources],
        solver=solver,
        options=options or {},
        notes=notes,
    )


def _out_path(out: Optional[Path], default_name: str, fmt: str, force: bool = False) -> Path:
    """The final output path for the format, checked before any work is done (nothing overwritten)."""
    from .io.atomic import check_target
    from .report.tables import csv_dir_for, json_path_for

    if fmt not in FORMATS:
        raise OutputError(f"--format 只能是 xlsx、csv 或 json，收到「{fmt}」。")
    path = Path(out) if out else DEFAULT_OUT_DIR / default_name
    if fmt == "json":
        path = json_path_for(path)
    elif fmt == "csv":
        path = csv_dir_for(path)
        if path.exists() and not force:
            raise OutputError(f"输出文件夹「{path}」已存在；如需覆盖请加 --force，或用 --out 指定其他路径。")
        return path
    check_target(path, force)
    return path


def _write(path: Path, sheets: dict, meta, fmt: str, force: bool, charts=None, titles=None,
           number_formats=None, schools=None) -> list[Path]:
    """Write the sheets; a workbook also gets the per-school sheets a person prints (``schools``: names)."""
    from .report.privacy import mask_sheets

    sheets = mask_sheets(sheets, show_id=bool(meta.options.get("show_id")))
    if fmt == "xlsx":
        from .report.printviews import with_print_views
        from .report.workbook import write_workbook

        names = schools.set_index(schools["school_id"].astype(str))["school_name"] if schools is not None else None
        sheets = with_print_views(sheets, names)

        return [write_workbook(path, sheets, meta, charts=charts, titles=titles, force=force,
                               number_formats=number_formats)]
    from .report.tables import write_tables

    return list(write_tables(path, sheets, meta, fmt, force=force))


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n")


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return f"{v:,.1f}" if isinstance(v, float) else str(v)


def _table(title: str, df, max_rows: int = 15) -> Table:
    table = Table(title=title, show_lines=False, title_justify="left")
    for col in df.columns:
        table.add_column(str(col), overflow="fold")
    for _, row in df.head(max_rows).iterrows():
        table.add_row(*[esc(_cell(v)) for v in row])
    return table


# --------------------------------------------------------------------------- commands
@app.command(cls=ZhCommand)
@_handle_errors
def template(
    directory: Path = typer.Argument(..., help="写出空白模板的文件夹。"),
    force: bool = ForceOpt,
    json_out: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """写出带表头、下拉选项和填表说明的空白输入模板。"""
    from .io.template import write_template

    paths = write_template(directory, force=force)
    if json_out:
        _print_json({"outputs": [str(p) for p in paths]})
    elif not quiet:
        console.print(f"已写出 {len(paths)} 个模板文件到「{esc(str(directory))}」：")
        for p in paths:
            console.print(f"  {esc(p.name)}")


@app.command(cls=ZhCommand)
@_handle_errors
def check(
    data: Path = DataArg,
    config: Optional[Path] = ConfigOpt,
    json_out: bool = JsonOpt,
    quiet: bool = QuietOpt,
    all_rows: bool = typer.Option(False, "--all", help="列出全部问题（默认每类问题最多 20 条）。"),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="逐条列出读取说明（取自哪个文件、跳过了哪些合计行等）；默认只打印一行汇总。"),
) -> None:
    """读取并校验数据集，列出错误和警告（文件、工作表、行、列）。"""
    from .io.dataset import check_dataset

    ds, issues, _cfg = check_dataset(data, config, all_cells=all_rows or json_out)
    errors = [i for i in issues if i.severity == ERROR]
    warnings = [i for i in issues if i.severity == WARNING]
    infos = [i for i in issues if i.severity not in (ERROR, WARNING)]
    if json_out:
        counts = ({"schools": len(ds.schools), "enrollment": len(ds.enrollment), "teachers": len(ds.teachers)}
                  if ds is not None else None)
        _print_json({"ok": not errors, "errors": len(errors), "warnings": len(warnings), "counts": counts,
                     "issues": [i.to_dict() for i in issues]})
    elif not quiet:
        if verbose:
            for i in infos:
                console.print(f"[dim]{esc(i.sentence())}[/dim]", soft_wrap=True)
        elif ds is not None:
            console.print(f"[dim]{esc(_sources_line(ds.sources, len(infos)))}[/dim]", soft_wrap=True)
        if ds is not None:
            console.print(
                f"学校 {len(ds.schools)} 所，在校生记录 {len(ds.enrollment)} 行"
                f"（{ds.enrollment['year'].min() if len(ds.enrollment) else '-'}—{ds.enrollment['year'].max() if len(ds.enrollment) else '-'} 学年），"
                f"教师 {len(ds.teachers)} 人。"
            )
        shown = _once(errors + warnings)
        if shown:
            table = Table(title="校验发现的问题", title_justify="left")
            for col in ("级别", "位置", "问题"):
                table.add_column(col, overflow="fold")
            per_message: dict[str, int] = {}
            hidden = 0
            for i in shown:
                key = (i.severity, i.column, i.code or i.message[:12])
                per_message[key] = per_message.get(key, 0) + 1
                if not all_rows and per_message[key] > 20:
                    hidden += 1
                    continue
                table.add_row(i.severity, esc(i.location()), esc(i.message))
            console.print(table)
            if hidden:
                console.print(f"（另有 {hidden} 条同类问题未列出；加 --all 查看全部。）")
    elif errors:      # --quiet: the errors only, one sentence each
        _render_issues(Issues(errors), only_errors=True, limit=len(errors) if all_rows else 50)
    verdict = (f"[red]未通过[/red]：{len(errors)} 个错误，{len(warnings)} 个警告。请按上述问题修改后重新检查。" if errors
               else f"[green]通过[/green]：没有错误，{len(warnings)} 个警告。")
    if not json_out:
        (err_console if errors else console).print(verdict)
    if errors:
        raise typer.Exit(EXIT_INPUT)


def _sources_line(sources: list[dict], n_notes: int) -> str:
    """One line: which file each table came from (sheets counted), and how many reading notes --verbose shows."""
    from .io.dataset import TABLE_NAMES

    files: dict[tuple[str, str], set] = {}
    for src in sources:
        files.setdefault((src.get("table", ""), src.get("file", "")), set()).add(src.get("sheet") or "")
    parts = []
    by_table: dict[str, list[str]] = {}
    for (table, file) in files:
        by_table.setdefault(table, []).append(file)
    for table, names in by_table.items():
        if len(names) > 3:   # a folder of statistics workbooks: one per school and year
            parts.append(f"{TABLE_NAMES.get(table, table)}（{len(names)} 个文件，如「{names[0]}」）")
            continue
        for file in names:
            n = len(files[(table, file)] - {""})
            parts.append(f"{TABLE_NAMES.get(table, table)}（{file}{f'，{n} 个工作表' if n > 1 else ''}）")
    line = f"已读取 {len({t for t, _f in files})} 张表：" + "、".join(parts) + "。"
    return line + (f"另有 {n_notes} 条读取说明，加 --verbose 查看。" if n_notes else "")


@app.command(cls=ZhCommand)
@_handle_errors
def forecast(
    data: Path = DataArg,
    year: Optional[int] = YearOpt,
    config: Optional[Path] = ConfigOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="输出工作簿（默认 staffplan-输出/预测.xlsx）。"),
    fmt: Format = FormatOpt,
    horizon: int = typer.Option(1, "--horizon", min=1, max=5, help="预测年数（1–5）。"),
    json_out: bool = JsonOpt,
    quiet: bool = QuietOpt,
    force: bool = ForceOpt,
    show_id: bool = ShowIdOpt,
) -> None:
    """预测下一年学生数和班数，测算编制、学科缺口、退休、招聘计划和指标。"""
    from .forecast.pipeline import run_forecast

    common = Common(data, year, config, json_out, quiet, force)
    path = _out_path(out, "预测.xlsx", fmt, force)
    ds, cfg = _load(common)
    cfg = _id_config(cfg, show_id)
    with common.progress() as progress:
        result = run_forecast(ds, cfg, year=year, horizon=horizon, progress=progress)
    meta = _meta("forecast", ds, cfg, result.plan_year, options={"horizon": horizon, "show_id": show_id},
                 notes=result.notes)
    written = _write(path, result.sheets(), meta, fmt, force, charts=_forecast_charts(result), titles=None)
    summary = result.summary()
    from .report.console import forecast_tables

    _emit(common, written, summary, lambda: forecast_tables(result, summary))


def _emit(common: Common, written: list[Path], summary: dict, tables: Callable[[], list]) -> None:
    """The end of every writing command: JSON on stdout, or the console tables and where the files went."""
    if common.json:
        _print_json({"outputs": [str(p) for p in written], "summary": summary})
        return
    if common.quiet:          # nothing is shown: do not build the tables (nor import what they need)
        return
    for table in tables():
        common.say(table)
    common.say(f"已写出：{', '.join(str(p) for p in written)}")


def _forecast_charts(result):
    try:
        from .report.workbook import forecast_charts
    except ImportError:
        return None
    return forecast_charts(result.sheets())


@app.command(cls=ZhCommand)
@_handle_errors
def backtest(
    data: Path = DataArg,
    years: int = typer.Option(2, "--years", min=1, max=10, help="隐藏最后几年做回测。"),
    config: Optional[Path] = ConfigOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="输出工作簿（默认 staffplan-输出/回测.xlsx）。"),
    fmt: Format = FormatOpt,
    json_out: bool = JsonOpt,
    quiet: bool = QuietOpt,
    force: bool = ForceOpt,
) -> None:
    """隐藏最后 K 年，用之前的数据预测它们，报告误差（按学段、按学校规模）。"""
    from .forecast.backtest import run_backtest

    common = Common(data, None, config, json_out, quiet, force)
    path = _out_path(out, "回测.xlsx", fmt, force)
    ds, cfg = _load(common)
    with common.progress() as progress:
        result = run_backtest(ds, cfg, years=years, progress=progress)
    meta = _meta("backtest", ds, cfg, ds.last_year,
                 options={"years": years, "tested_years": [int(y) for y in result.years]})
    written = _write(path, result.sheets(), meta, fmt, force, number_formats=result.number_formats())
    from .report.console import backtest_tables

    _emit(common, written, result.summary(), lambda: backtest_tables(result))


@app.command(cls=ZhCommand)
@_handle_errors
def rotate(
    data: Path = DataArg,
    year: Optional[int] = YearOpt,
    config: Optional[Path] = ConfigOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="输出工作簿（默认 staffplan-输出/交流.xlsx）。"),
    fmt: Format = FormatOpt,
    solver: Optional[Solver] = typer.Option(None, "--solver", help="求解器：highs（默认）或 cbc（随 pulp 安装）。"),
    scheduler: Optional[str] = typer.Option(
        None, "--scheduler", help="Dask 集群调度器地址（如 tcp://10.0.0.5:8786）：各区县的求解任务发往该集群；"
        "默认在本机求解（配置项 solver.scheduler）。需 pip install \"staffplan[distributed]\"。"),
    json_out: bool = JsonOpt,
    quiet: bool = QuietOpt,
    force: bool = ForceOpt,
    show_id: bool = ShowIdOpt,
) -> None:
    """确定应交流教师，求解交流轮岗与走教安排（混合整数规划）。"""
    from .optimize.pipeline import run_rotate

    common = Common(data, year, config, json_out, quiet, force)
    path = _out_path(out, "交流.xlsx", fmt, force)
    ds, cfg = _load(common, needs_roster="交流轮岗方案")
    cfg = _id_config(cfg, show_id)
    if scheduler:
        cfg = cfg.with_overrides({"solver.scheduler": scheduler}, "命令行 --scheduler")
    try:
        with common.progress() as progress:
            result = run_rotate(ds, cfg, year=year, solver=solver, progress=progress)
    except InfeasiblePlan as exc:
        res = exc.result
        if res is not None:
            meta = _meta("rotate", ds, cfg, res.plan_year, solver=_solver_info(res), options={"show_id": show_id})
            written = _write(path, res.sheets(), meta, fmt, force, schools=ds.schools)
            err_console.print(f"已写出诊断：{esc(', '.join(str(p) for p in written))}")
        if exc.diagnosis is not None and len(exc.diagnosis):
            err_console.print(_table("无法满足的硬性规则（诊断）", exc.diagnosis, max_rows=30))
        err_console.print(f"[red]没有满足全部硬性规则的方案[/red]：{esc(str(exc))}")
        raise typer.Exit(EXIT_INFEASIBLE)
    meta = _meta("rotate", ds, cfg, result.plan_year, solver=_solver_info(result), options={"show_id": show_id})
    written = _write(path, result.sheets(), meta, fmt, force, schools=ds.schools)
    summary = result.summary()
    from .report.console import rotate_tables

    _emit(common, written, summary, lambda: rotate_tables(result, summary))


def _solver_info(result) -> dict | None:
    res = getattr(result, "result", None)
    if res is None:
        return None
    # the keys the 说明 sheet names in Chinese (求解器, 求解状态 …); numbers rounded as a reader wants them
    info = {"name": getattr(res, "version", "") or getattr(res, "solver", ""), "status": getattr(res, "status", ""),
            "objective": getattr(res, "objective", None), "gap": getattr(res, "gap", None),
            "runtime": getattr(res, "runtime_s", None)}
    if getattr(res, "message", ""):
        info["message"] = res.message       # a time limit reached, or counties CBC left to HiGHS
    for key, digits in (("objective", 1), ("gap", 4), ("runtime", 1)):
        if isinstance(info[key], (int, float)):
            info[key] = round(float(info[key]), digits)
    if getattr(result, "tie_break", ""):
        info["人选与去向的确定规则"] = result.tie_break
        from .optimize.explain import share_lines

        info.update(share_lines(result))
    return info


@app.command(cls=ZhCommand)
@_handle_errors
def explain(
    data: Path = DataArg,
    teacher: str = typer.Option(..., "--teacher", help="教师编号、身份证号或姓名（姓名须唯一）。"),
    year: Optional[int] = YearOpt,
    config: Optional[Path] = ConfigOpt,
    json_out: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """说明某位教师是否应交流、是否被选中、去向及原因。"""
    from .optimize.explain import explain_teacher

    common = Common(data, year, config, json_out, quiet, False)
    ds, cfg = _load(common, needs_roster="教师交流说明")
    with common.status("正在求解以说明该教师的情况……"):
        lines = explain_teacher(ds, cfg, teacher, year=year)
    if json_out:
        _print_json({"teacher": teacher, "lines": lines})
        return
    for line in lines:
        console.print(line, soft_wrap=True, markup=False)


@app.command(cls=ZhCommand)
@_handle_errors
def report(
    data: Path = DataArg,
    year: Optional[int] = YearOpt,
    config: Optional[Path] = ConfigOpt,
    out: Optional[Path] = typer.Option(None, "--out", help="输出 Word 附件（默认 staffplan-输出/附件.docx）。"),
    tables: Optional[Path] = typer.Option(None, "--tables", help="随附件报送的汇总表工作簿（不含姓名；默认与附件同一文件夹的 附表.xlsx）。"),
    notice: Optional[Path] = typer.Option(None, "--notice", help="公示名单工作簿（按学校列出交流、走教教师，供在有关学校公示；默认与附件同一文件夹的 公示名单.xlsx）。"),
    solver: Optional[Solver] = typer.Option(None, "--solver", help="求解器：cbc（默认）或 highs。"),
    district: str = typer.Option("", "--district", help="区县名称，用于标题；默认取参数 output.district。"),
    json_out: bool = JsonOpt,
    quiet: bool = QuietOpt,
    force: bool = ForceOpt,
    show_id: bool = typer.Option(False, "--show-id", help="公示名单显示完整教师编号（默认脱敏）；附件和附表从不含姓名、编号。"),
) -> None:
    """生成报送区政府的请示/报告附件（A4 Word 文档），以及随附的汇总表（附表.xlsx）和公示名单。"""
    common = Common(data, year, config, json_out, quiet, force)
    targets = _report_targets(out or DEFAULT_OUT_DIR / "附件.docx", tables, notice, force)
    ds, cfg = _load(common, needs_roster="报告附件（交流轮岗方案）")
    if district:
        cfg = cfg.with_overrides({"output.district": district}, "命令行 --district")
    written, warnings = _make_report(common, ds, cfg, year, solver, targets, str(cfg.get("output.district") or ""),
                                     show_id=show_id)
    if json_out:
        _print_json({"outputs": [str(p) for p in written], "warnings": warnings})
        return
    for w in warnings:
        err_console.print(f"[yellow]警告[/yellow]：{esc(str(w))}")
    common.say(f"已写出：{', '.join(str(p) for p in written)}")


def _report_targets(docx: Path, tables: Optional[Path], notice: Optional[Path], force: bool) -> list[Path]:
    """附件.docx, 附表.xlsx, 公示名单.xlsx (the last two beside the docx unless given), checked before any work."""
    from .io.atomic import check_target

    docx = Path(docx)
    paths = [docx, Path(tables) if tables else docx.with_name("附表.xlsx"),
             Path(notice) if notice else docx.with_name("公示名单.xlsx")]
    if len({p.resolve() for p in paths}) < len(paths):
        raise OutputError("--out、--tables、--notice 指向了同一个文件，请给出三个不同的文件名。")
    for p in paths:
        check_target(p, force)
    return paths


def _make_report(common: Common, ds, cfg, year, solver, targets: list[Path], district: str, forecast=None,
                 rotation=None, show_id: bool = False):
    """Write 附件.docx, 附表.xlsx and 公示名单.xlsx (``targets`` in that order) all or none: each is written to a
    temporary file first and all three are moved into place only when every one was written."""
    import contextlib
    import tempfile

    from .forecast.pipeline import run_forecast
    from .io.atomic import atomic_path
    from .optimize.pipeline import run_rotate
    from .report.charts import make_charts
    from .report.docx import write_report
    from .report.privacy import mask_sheets
    from .report.sendable import notice_sheets, write_attachment_workbook, write_notice_workbook

    with common.status("正在测算……"):
        forecast = forecast or run_forecast(ds, cfg, year=year)
        if rotation is None:
            try:
                rotation = run_rotate(ds, cfg, year=year, forecast=forecast, solver=solver)
            except InfeasiblePlan as exc:
                rotation = exc.result
    raw = dict(forecast.sheets())
    if rotation is not None:
        raw.update(rotation.sheets())
    sheets = mask_sheets(raw, show_id=False)
    meta = _meta("report", ds, cfg, forecast.plan_year, solver=_solver_info(rotation) if rotation else None,
                 options={"show_id": show_id})
    notice = notice_sheets(raw, show_id=show_id)
    warnings: list = []
    docx_path, tables_path, notice_path = targets
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        charts, chart_warnings = make_charts(sheets, Path(tmp), history=ds.enrollment, schools=ds.schools)
        warnings += list(chart_warnings or [])
        staged = [stack.enter_context(atomic_path(docx_path, common.force)),
                  stack.enter_context(atomic_path(tables_path, common.force))]
        write_report(staged[0], sheets, meta, charts=charts, force=True, district_name=district,
                     rotation_summary=rotation.summary() if rotation is not None else None)
        write_attachment_workbook(staged[1], sheets, meta, force=True)
        written = [docx_path, tables_path]
        if notice:
            write_notice_workbook(stack.enter_context(atomic_path(notice_path, common.force)), notice, meta,
                                  force=True)
            written.append(notice_path)
        else:
            warnings.append("方案中没有交流或走教教师，未写出公示名单。")
    return written, warnings


@app.command(cls=ZhCommand)
@_handle_errors
def redact(
    data: Path = DataArg,
    out: Path = typer.Argument(..., help="写出脱敏数据集的新文件夹。"),
    config: Optional[Path] = ConfigOpt,
    force: bool = ForceOpt,
    json_out: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """写出脱敏的数据集副本（姓名、身份证号、健康情况替换），便于发给技术支持排查问题。"""
    from .config import load_config
    from .io.redact import redact_dataset

    cfg = load_config(config) if config else None
    paths = redact_dataset(data, out, force=force, config=cfg)
    if json_out:
        _print_json({"outputs": [str(p) for p in paths]})
    elif not quiet:
        console.print(f"已写出脱敏数据集（{len(paths)} 个文件）到「{esc(str(out))}」：姓名、身份证号已替换，出生日期只保留年月，"
                      "特殊情况已脱敏。发送前请再打开检查一遍。")


@app.command(cls=ZhCommand)
@_handle_errors
def demo(
    directory: Path = typer.Argument(Path("staffplan-示例"), help="复制示例区数据并写出结果的文件夹。"),
    force: bool = ForceOpt,
    json_out: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """复制内置示例区，运行 forecast、rotate 和 report，并告诉你结果在哪里。"""
    from .forecast.pipeline import run_forecast
    from .optimize.pipeline import run_rotate
    from .report.console import forecast_tables, rotate_tables

    source = example_path()
    data_dir = directory / "数据"
    out_dir = directory / "输出"
    if directory.exists() and any(directory.iterdir()) and not force:
        raise OutputError(f"文件夹「{directory}」已存在且不为空；请换一个文件夹，或加 --force 覆盖其中的示例文件。")
    if data_dir.exists():
        shutil.rmtree(data_dir)
    shutil.copytree(source, data_dir)
    common = Common(data_dir, None, None, json_out, quiet, True)
    common.say(f"已复制示例区数据到「{data_dir}」。")
    ds, cfg = _load(common)
    if not cfg.get("output.district"):
        cfg = cfg.with_overrides({"output.district": "示例区"}, "示例")
    with common.status("正在预测……"):
        fc = run_forecast(ds, cfg)
    meta = _meta("forecast", ds, cfg, fc.plan_year, options={"show_id": False}, notes=fc.notes)
    written = _write(out_dir / "预测.xlsx", fc.sheets(), meta, "xlsx", True, charts=_forecast_charts(fc))
    for table in forecast_tables(fc, fc.summary()):
        common.say(table)
    with common.status("正在求解交流轮岗与走教……"):
        try:
            rot = run_rotate(ds, cfg, forecast=fc)
            infeasible = None
        except InfeasiblePlan as exc:
            rot, infeasible = exc.result, exc
    meta = _meta("rotate", ds, cfg, fc.plan_year, solver=_solver_info(rot), options={"show_id": False})
    written += _write(out_dir / "交流.xlsx", rot.sheets(), meta, "xlsx", True, schools=ds.schools)
    for table in rotate_tables(rot, rot.summary()):
        common.say(table)
    if infeasible is not None:
        err_console.print(f"[yellow]注意[/yellow]：{esc(str(infeasible))}")
    common.force = True
    docs, warnings = _make_report(common, ds, cfg, None, None, _report_targets(out_dir / "附件.docx", None, None, True),
                                  "示例区", forecast=fc, rotation=rot)
    written += docs
    for w in warnings:
        err_console.print(f"[yellow]警告[/yellow]：{esc(str(w))}")
    if json_out:
        _print_json({"outputs": [str(p) for p in written]})
    common.say("已写出：")
    for p in written:
        common.say(f"  {p}")


def example_path() -> Path:
    """The bundled example district (examples/示例区 in the source tree)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "examples" / "示例区", here / "data" / "示例区"):
        if candidate.is_dir():
            return candidate
    raise OutputError("找不到内置示例区数据（examples/示例区）；请从源码目录安装：pip install -e .")


@app.callback(invoke_without_command=True)
def main(
    version: bool = typer.Option(False, "--version", help="显示版本号。"),
) -> None:
    if version:
        console.print(f"staffplan {__version__}")
        raise typer.Exit(0)


if __name__ == "__main__":  # pragma: no cover
    app()
