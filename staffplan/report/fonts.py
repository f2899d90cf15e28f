"""Chinese fonts: names written into the Word memo, and a CJK font for matplotlib charts.

The memo follows GB/T 9704 (党政机关公文格式): 标题 方正小标宋简体, 正文 仿宋_GB2312, 一级标题 黑体,
二级标题 楷体_GB2312. Word uses the first name of each list; the others are written into the
document's font table as alternative names so that Word / WPS / LibreOffice can fall back.
"""
from __future__ import annotations

import functools
import shutil
import subprocess

TITLE_FONTS = ["方正小标宋简体", "方正小标宋_GBK", "华文中宋", "宋体"]
BODY_FONTS = ["仿宋_GB2312", "仿宋", "FangSong", "STFangsong"]
HEADING_FONTS = ["黑体", "SimHei", "STHeiti"]
KAI_FONTS = ["楷体_GB2312", "楷体", "KaiTi", "STKaiti"]
SONG_FONTS = ["宋体", "SimSun", "STSong"]
LATIN_FONT = "Times New Roman"

#: families tried for charts, best first (any installed one that covers Chinese will do)
CHART_FONT_CANDIDATES = [
    "Noto Sans CJK SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans SC",
    "Noto Serif CJK SC", "Source Han Serif SC", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
    "SimHei", "Microsoft YaHei", "SimSun", "FangSong", "PingFang SC", "Hiragino Sans GB",
    "Heiti SC", "STHeiti", "AR PL UMing CN", "AR PL UKai CN", "Droid Sans Fallback",
    "Noto Sans CJK JP", "Noto Sans CJK TC",
]

NO_CJK_FONT_WARNING = (
    "未找到中文字体，图表中文可能无法显示；请安装 fonts-noto-cjk（apt）"
    "或 Noto Sans CJK SC / 思源黑体 等中文字体后重新运行。"
)


@functools.lru_cache(maxsize=1)
def chart_font() -> tuple[str | None, str | None]:
    """(family name usable by matplotlib, warning). The family is None and a warning is given when
    no font covering Chinese is installed; charts are then drawn anyway."""
    try:
        from matplotlib import font_manager
    except Exception:  # pragma: no cover - matplotlib is a dependency
        return None, NO_CJK_FONT_WARNING
    names = {f.name for f in font_manager.fontManager.ttflist}
    for family in CHART_FONT_CANDIDATES:
        if family in names:
            return family, None
    # fontconfig may know a font matplotlib has not indexed yet (e.g. installed after its cache)
    path = _fc_match_zh()
    if path:
        try:
            font_manager.fontManager.addfont(path)
            return font_manager.FontProperties(fname=path).get_name(), None
        except Exception:
            pass
    return None, NO_CJK_FONT_WARNING


def _fc_match_zh() -> str | None:
    if not shutil.which("fc-list"):
        return None
    try:
        out = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True,
                             timeout=10, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    files = sorted(line.split(":")[0].strip() for line in out.splitlines() if line.strip())
    files = [f for f in files if f.lower().endswith((".ttf", ".otf", ".ttc"))]
    return files[0] if files else None
