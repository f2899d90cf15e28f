"""Curriculum tables, standard loads and subject demand (domain.md §3)."""
import pandas as pd
import pytest

from staffplan.config import default_config
from staffplan.rules.curriculum import load_curriculum, standard_load, subject_demand
from staffplan.schema import SUBJECTS

# 2022 compulsory-education plan: share ranges over the nine years
SHARES = {
    "道德与法治": (0.06, 0.08), "语文": (0.20, 0.22), "数学": (0.13, 0.15), "外语": (0.06, 0.08),
    "历史地理": (0.03, 0.04), "科学": (0.08, 0.10), "信息科技": (0.01, 0.03), "体育与健康": (0.10, 0.11),
    "艺术": (0.09, 0.11), "劳动综合地方": (0.14, 0.18),
}
GROUP = {"道德与法治": "道德与法治", "语文": "语文", "数学": "数学", "英语": "外语", "历史": "历史地理",
         "地理": "历史地理", "科学": "科学", "物理": "科学", "化学": "科学", "生物": "科学", "信息科技": "信息科技",
         "体育与健康": "体育与健康", "音乐": "艺术", "美术": "艺术", "劳动": "劳动综合地方",
         "综合实践活动": "劳动综合地方", "地方与校本课程": "劳动综合地方"}


def test_compulsory_totals_and_shares():
    cur = load_curriculum(default_config())
    comp = cur[cur["grade"].between(1, 9)]
    weekly = comp.groupby("grade")["periods"].sum()
    assert weekly.to_dict() == {1: 26, 2: 26, 3: 30, 4: 30, 5: 30, 6: 30, 7: 34, 8: 34, 9: 34}
    assert set(comp["course"]) <= set(GROUP)
    share = comp.groupby(comp["course"].map(GROUP))["periods"].sum() / comp["periods"].sum()
    for group, (lo, hi) in SHARES.items():
        assert lo <= share[group] <= hi, group
    assert comp.loc[comp["course"] == "英语", "grade"].min() == 3        # foreign language from grade 3
    assert set(cur["subject"]) - {""} <= set(SUBJECTS)


def test_senior_about_35():
    cur = load_curriculum(default_config())
    senior = cur[cur["grade"].between(10, 12)].groupby("grade")["periods"].sum()
    assert senior.to_dict() == {10: 35, 11: 35, 12: 35}


def test_standard_loads_from_config():
    cfg = default_config()
    assert standard_load("小学", "语文", cfg) == 12 and standard_load("小学", "音乐", cfg) == 14
    assert standard_load("初中", "英语", cfg) == 10 and standard_load("初中", "物理", cfg) == 14
    assert standard_load("高中", "数学", cfg) == 12
    assert pd.isna(standard_load("幼儿园", "学前教育", cfg))
    s = standard_load(pd.Series(["教学点", "初中"]), pd.Series(["数学", "语文"]), cfg)
    assert s.tolist() == [12.0, 10.0]


def test_subject_demand_hand_computed(tmp_path):
    table = tmp_path / "课表.csv"
    table.write_text("grade,course,subject,periods\n"
                     "1,音乐,音乐,2\n2,音乐,音乐,2\n1,语文,语文,8\n2,语文,语文,8\n"
                     "1,综合实践活动,,1\n7,语文,语文,5\n", encoding="utf-8")
    cfg = default_config().with_overrides({"curriculum.compulsory_file": str(table)})
    schools = pd.DataFrame({"school_id": ["A", "K"], "stage": ["九年一贯制", "幼儿园"], "boarders": [0, 0]})
    classes = pd.DataFrame({"school_id": ["A", "A", "A", "K", "K"], "grade": [1, 2, 7, -2, -1],
                            "classes": [3, 2, 4, 2, 1]})
    d = subject_demand(classes, schools, cfg).set_index(["school_id", "stage", "subject"])
    # music: 3 × 2 + 2 × 2 = 10 periods; 10 / 14 FTE
    assert d.loc[("A", "小学", "音乐"), "demand_periods"] == 10
    assert d.loc[("A", "小学", "音乐"), "demand_fte"] == pytest.approx(10 / 14)
    # primary Chinese: 5 classes × 8 = 40 periods / 12; junior Chinese 4 × 5 = 20 / 10
    assert d.loc[("A", "小学", "语文"), "demand_fte"] == pytest.approx(40 / 12)
    assert d.loc[("A", "初中", "语文"), "demand_fte"] == pytest.approx(2.0)
    # shared course (no subject) is not any subject's demand; kindergarten in teachers: 3 classes × 2
    assert "" not in d.index.get_level_values("subject")
    assert d.loc[("K", "幼儿园", "学前教育"), "demand_fte"] == 6
    assert pd.isna(d.loc[("K", "幼儿园", "学前教育"), "demand_periods"])
