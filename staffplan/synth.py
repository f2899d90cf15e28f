"""Seeded synthetic districts: canonical frames and contract-format files.

``build_district`` makes a realistic county (or a city / province when ``n_counties`` > 1): every school
type, towns (镇街) around a county centre, 城区/镇区/乡村 schools, education groups, five years of enrollment
simulated cohort by cohort (intakes from births, feeders' grade 6 or the county's grade 9; a cohort's
deviation carries up the grades; survival drifts year to year around each school's level; a new school that
adds a grade a year and takes pupils from its nearest neighbours; a school that stops its intake), births per
town, feeder (对口) mappings, staffing a few per cent under the standard quota and a teacher roster
with an age pyramid, titles, degrees, arrival dates, appraisals, special situations and valid 18-digit
身份证号.  Everything is vectorised (numpy / pandas), so a province of a million teachers is possible.

``write_contract_format`` writes the frames in the folder layout of contract.md §1, either plain (the
contract's own header names, long layout) or messy (the wide bureau enrollment layout and a roster with
real-world header names and value spellings).

All randomness comes from one ``numpy.random.Generator`` seeded by ``seed``: the same arguments always give
the same frames and the same file contents.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Collection
from pathlib import Path

import numpy as np
import pandas as pd

from .schema import GRADE_NAMES, SUBJECTS

__all__ = ["build_district", "write_contract_format", "id_check_char", "FIXED_TIMESTAMP"]

FIXED_TIMESTAMP = dt.datetime(2025, 9, 1, 8, 0, 0)

# --- vocabularies and shares ----------------------------------------------------------------------------
_STAGE_MIX = {"幼儿园": 0.16, "小学": 0.36, "教学点": 0.12, "初中": 0.12, "九年一贯制": 0.09, "完全中学": 0.06,
              "高中": 0.09}
_STAGES = list(_STAGE_MIX)
_LOCS = ["城区", "镇区", "乡村"]
# P(城区, 镇区, 乡村) by school type
_LOC_PROB = {"幼儿园": (0.5, 0.35, 0.15), "小学": (0.35, 0.25, 0.40), "教学点": (0.0, 0.0, 1.0),
             "初中": (0.35, 0.5, 0.15), "九年一贯制": (0.1, 0.35, 0.55), "完全中学": (0.5, 0.5, 0.0),
             "高中": (0.8, 0.2, 0.0)}
# Parts (学部): 0 幼儿园, 1 小学, 2 初中, 3 高中
_PARTS = {"幼儿园": (0,), "小学": (1,), "教学点": (1,), "初中": (2,), "九年一贯制": (1, 2), "完全中学": (2, 3),
          "高中": (3,)}
_PART_ENTRY = np.array([-2, 1, 7, 10])
_PART_GRADES = {0: [-2, -1, 0], 1: [1, 2, 3, 4, 5, 6], 2: [7, 8, 9], 3: [10, 11, 12]}
# Class caps by grade (kindergarten 25/30/35, primary 45, secondary 50)
_CAP = {**{-2: 25, -1: 30, 0: 35}, **{g: 45 for g in range(1, 7)}, **{g: 50 for g in range(7, 13)}}

# Teachers' subject shares by part (approximately curriculum periods ÷ standard load).
_SUBJ_SHARE = {
    0: {"学前教育": 0.93, "音乐": 0.02, "美术": 0.02, "体育": 0.02, "其他": 0.01},
    1: {"语文": 0.27, "数学": 0.19, "英语": 0.07, "道德与法治": 0.05, "科学": 0.07, "信息科技": 0.02,
        "体育": 0.11, "音乐": 0.07, "美术": 0.07, "劳动": 0.02, "心理健康": 0.02, "其他": 0.04},
    2: {"语文": 0.15, "数学": 0.15, "英语": 0.14, "道德与法治": 0.06, "历史": 0.06, "地理": 0.05, "物理": 0.06,
        "化学": 0.04, "生物": 0.05, "信息科技": 0.03, "体育": 0.09, "音乐": 0.03, "美术": 0.03, "劳动": 0.02,
        "心理健康": 0.01, "其他": 0.03},
    3: {"语文": 0.13, "数学": 0.13, "英语": 0.13, "道德与法治": 0.07, "历史": 0.07, "地理": 0.07, "物理": 0.09,
        "化学": 0.07, "生物": 0.07, "信息科技": 0.03, "体育": 0.07, "音乐": 0.02, "美术": 0.02, "心理健康": 0.01,
        "其他": 0.02},
}
_ZOUJIAO_SUBJECTS = ["音乐", "美术", "体育", "科学"]
# Multiplier on the shares of 音乐/美术/体育/科学 teachers by locality (rural schools short, urban surplus).
_ART_FACTOR = {"城区": 1.35, "镇区": 0.8, "乡村": 0.3}

_TITLE_LEVELS = ["正高级", "副高级", "中级", "初级", "员级", "未定级"]
_TITLE_NEW = ["正高级教师", "高级教师", "一级教师", "二级教师", "三级教师", "未定级"]
_TITLE_OLD_SEC = ["正高级教师", "中学高级教师", "中学一级教师", "中学二级教师", "中学三级教师", "试用期"]
_TITLE_OLD_PRI = ["正高级教师", "高级教师", "小学高级教师", "小学一级教师", "小学二级教师", "试用期"]
_DEGREES = ["研究生", "本科", "专科", "高中及以下"]
_APPRAISALS = ["", "优秀", "合格", "基本合格", "不合格"]

_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
             "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔")
_GIVEN_F = ["芳", "娜", "敏", "静", "丽", "艳", "娟", "霞", "燕", "玲", "婷", "雪", "慧", "颖", "琳", "晶", "洁", "倩",
            "秀英", "桂英", "丽华", "淑珍", "美玲", "晓红", "海燕", "雅琴", "佳怡", "思琪", "欣怡", "梦瑶", "雨涵", "诗涵",
            "晓敏", "丽娟", "春梅", "秋菊", "月华", "凤仪", "婉婷", "嘉欣", "子涵", "若曦", "紫萱", "晓琳", "慧敏", "丹丹"]
_GIVEN_M = ["伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "平", "辉", "鹏", "斌", "波", "浩", "宇", "凯",
            "建国", "建华", "志强", "国平", "海波", "文杰", "俊杰", "子豪", "浩然", "宇航", "明辉", "志明", "永红", "振华",
            "晓东", "伟民", "家豪", "嘉诚", "俊宇", "天佑", "泽宇", "博文", "立新", "卫东", "红军", "德明", "锦涛", "国栋"]
_TOWN_A = list("河东西南北城新石龙凤白云金山水桥沙田平安和兴大小高长青黄华江湖林松梅竹")
_TOWN_B = list("东西南北湖岗塘坑岭洲头口湾坝埔围田溪浦山港桥源岩林丰")
_VILLAGES = ["东村", "西村", "南岭", "北坑", "上围", "下洋", "石桥", "新联", "大坪", "龙田", "凤岗", "沙坝", "竹园",
             "高岭", "莲塘", "黄泥", "清溪", "白石", "长岗", "三合", "团结", "和平", "光明", "前进", "红星", "联丰",
             "坪山", "柏林", "上洞", "下坑", "水口", "塘尾", "石门", "横江", "新田", "古楼", "桥头", "湾头", "大塘", "岭背"]
_OTHER_REGIONS = ["441502", "441581", "445221", "445281", "440111", "440604", "441302", "360702", "430104", "450103"]
_CN_NUM = "零一二三四五六七八九十"

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.array(list("10X98765432"), dtype=object)


# --- small helpers ------------------------------------------------------------------------------------------
def _cn(n: int) -> str:
    """Chinese numeral for 1 ≤ n ≤ 99 (一, 十二, 二十三)."""
    if n <= 10:
        return _CN_NUM[n] if n < 10 else "十"
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_NUM[tens]) + "十" + (_CN_NUM[ones] if ones else "")


def _choose(rng: np.random.Generator, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per-row categorical draw: row i uses the probability row ``probs[group[i]]``."""
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(group))
    return np.minimum((u[:, None] > cum[group]).sum(axis=1), probs.shape[1] - 1)


def _largest_remainder(weights: np.ndarray, total: np.ndarray | int, rng: np.random.Generator) -> np.ndarray:
    """Split ``total`` (per row) over the columns of ``weights`` in whole numbers (row sums equal total)."""
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    total = np.broadcast_to(np.asarray(total), (w.shape[0],)).astype(np.int64)
    share = w / np.where(w.sum(axis=1, keepdims=True) > 0, w.sum(axis=1, keepdims=True), 1.0)
    exact = share * total[:, None]
    base = np.floor(exact).astype(np.int64)
    rest = total - base.sum(axis=1)
    frac = exact - base + rng.random(w.shape) * 1e-6
    frac[w <= 0] = -1.0
    order = np.argsort(-frac, axis=1, kind="stable")
    rank = np.empty_like(order)
    rows = np.arange(w.shape[0])[:, None]
    rank[rows, order] = np.arange(w.shape[1])[None, :]
    base += (rank < rest[:, None]).astype(np.int64)
    return base


def id_check_char(first17: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11-2 check characters for an array of 17-digit integers (GB 11643 身份证号)."""
    v = np.asarray(first17, dtype=np.int64)
    total = np.zeros(len(v), dtype=np.int64)
    for k in range(17):
        digit = (v // 10 ** (16 - k)) % 10
        total += digit * _ID_WEIGHTS[k]
    return _ID_CHECK[total % 11]


def _dates(years: np.ndarray, months: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Vectorised date construction (days clipped to 28 so every month is valid)."""
    ym = (np.asarray(years, dtype=np.int64) - 1970) * 12 + (np.asarray(months, dtype=np.int64) - 1)
    d = ym.astype("datetime64[M]").astype("datetime64[D]") + (np.minimum(np.asarray(days), 28) - 1)
    return d.astype("datetime64[ns]")


# --- schools ---------------------------------------------------------------------------------------------
def _stage_counts(m: int) -> dict[str, int]:
    shares = np.array([_STAGE_MIX[s] for s in _STAGES])
    counts = _largest_remainder(shares[None, :], m, np.random.default_rng(0))[0]
    if m >= len(_STAGES):  # every type present
        for i in range(len(_STAGES)):
            while counts[i] == 0:
                j = int(np.argmax(counts))
                counts[j] -= 1
                counts[i] += 1
    return dict(zip(_STAGES, counts.tolist()))


def _region_code(c: int, n_counties: int) -> str:
    if n_counties == 1:
        return "441521"
    return f"44{15 + c // 10:02d}{21 + c % 10:02d}"


def _build_schools(rng: np.random.Generator, n_schools: int, n_counties: int):
    per = _largest_remainder(np.ones((1, n_counties)), n_schools, rng)[0]
    town_pool = [a + b for a in _TOWN_A for b in _TOWN_B if a != b]
    town_pool = [town_pool[i] for i in rng.permutation(len(town_pool))]
    county_pool = [a + b for a in _TOWN_A for b in "安平阳城江山川宁丰华明远德兴化源" if a != b]
    county_pool = [county_pool[i] for i in rng.permutation(len(county_pool))]
    frames, towns = [], []
    town_i = 0
    base_lon, base_lat = 113.0, 23.0
    grid = int(np.ceil(np.sqrt(n_counties)))
    for c in range(n_counties):
        m = int(per[c])
        counts = _stage_counts(m)
        stage = np.repeat(np.array(_STAGES, dtype=object), [counts[s] for s in _STAGES])
        loc_p = np.array([_LOC_PROB[s] for s in stage])
        loc = _choose(rng, np.arange(len(stage)), loc_p) if len(stage) else np.zeros(0, int)
        # guarantee an urban primary (for groups / the new school) and a rural primary (closing intake)
        prim = np.flatnonzero(stage == "小学")
        if len(prim) >= 3:
            loc[prim[0]], loc[prim[1]], loc[prim[-1]] = 0, 0, 2
        n_towns = int(np.clip(round(m / 8), 4, 8))
        n_urban = 1 if n_towns < 5 else 2
        if n_counties == 1:
            cname, county = "示例区", ""
        else:
            cname = county_pool[c % len(county_pool)] + ("区" if c % 3 == 0 else "县")
            county = cname
        # town centres: urban sub-districts near the centre, towns 8–30 km around
        ccol, crow = c % grid, c // grid
        clon, clat = base_lon + 0.7 * ccol, base_lat + 0.6 * crow
        t_names, t_lon, t_lat = [], [], []
        for t in range(n_towns):
            short = town_pool[town_i % len(town_pool)] + ("" if town_i < len(town_pool) else str(town_i))
            town_i += 1
            urban = t < n_urban
            t_names.append((short, short + ("街道" if urban else "镇"), urban))
            r = rng.uniform(0.5, 3.0) if urban else rng.uniform(8, 30)
            ang = rng.uniform(0, 2 * np.pi) if urban else 2 * np.pi * (t - n_urban) / (n_towns - n_urban) + rng.uniform(-0.3, 0.3)
            t_lon.append(clon + r * np.cos(ang) / (111.0 * np.cos(np.radians(clat))))
            t_lat.append(clat + r * np.sin(ang) / 111.0)
        urban_t = np.arange(n_urban)
        rural_t = np.arange(n_urban, n_towns)
        df = pd.DataFrame({"stage": stage, "loc": loc})
        df["k"] = df.groupby(["stage", "loc"]).cumcount()
        off = rng.integers(0, len(rural_t), size=len(df))
        town = np.where(df["loc"].to_numpy() == 0, urban_t[df["k"].to_numpy() % n_urban],
                        rural_t[(df["k"].to_numpy() + off * (df["loc"].to_numpy() == 2)) % len(rural_t)])
        df["town_idx"] = town
        df["county_idx"] = c
        df["county"] = county
        df["county_name"] = cname
        df["region"] = _region_code(c, n_counties)
        df["town"] = [t_names[i][1] for i in town]
        df["town_short"] = [t_names[i][0] for i in town]
        tl = np.array(t_lon)[town]
        tb = np.array(t_lat)[town]
        rad = np.where(df["loc"] == 0, rng.uniform(0.2, 3.0, len(df)),
                       np.where(df["loc"] == 1, rng.uniform(0.1, 1.5, len(df)), rng.uniform(2.0, 8.0, len(df))))
        ang = rng.uniform(0, 2 * np.pi, len(df))
        df["lon"] = np.round(tl + rad * np.cos(ang) / (111.0 * np.cos(np.radians(tb))), 6)
        df["lat"] = np.round(tb + rad * np.sin(ang) / 111.0, 6)
        df["seq"] = np.arange(1, len(df) + 1)
        frames.append(df)
        towns.extend((n[1], c) for n in t_names)
    s = pd.concat(frames, ignore_index=True)
    s["locality"] = np.array(_LOCS, dtype=object)[s["loc"].to_numpy()]
    s["school_id"] = s["region"] + s["seq"].map("{:04d}".format)
    return s, pd.DataFrame(towns, columns=["town", "county_idx"])


def _school_names(s: pd.DataFrame) -> pd.Series:
    family = s["stage"].map({"幼儿园": "幼儿园", "小学": "小学", "教学点": "教学点", "初中": "中学", "完全中学": "中学",
                             "九年一贯制": "学校", "高中": "高级中学"})
    rural = s["loc"] == 2
    k_fam = s.groupby([s["town"], family, rural]).cumcount().to_numpy()
    k_vil = s.groupby([s["town"], rural]).cumcount().to_numpy()
    names = []
    for short, town, loc, fam, kf, kv in zip(s["town_short"], s["town"], s["loc"], family, k_fam, k_vil):
        prefix = short if town.endswith("街道") else short + "镇"
        if loc == 2:
            vil = _VILLAGES[kv % len(_VILLAGES)] + ("" if kv < len(_VILLAGES) else _cn(kv // len(_VILLAGES) + 1))
            names.append(prefix + vil + fam)
        elif fam in ("中学", "高级中学"):
            names.append(prefix + "第" + _cn(kf + 1) + fam)
        elif kf == 0:
            names.append(prefix + ("实验" if loc == 0 else "中心") + fam)
        else:
            names.append(prefix + "第" + _cn(kf + 1) + fam)
    return pd.Series(names, index=s.index, dtype=object)


# --- enrollment ------------------------------------------------------------------------------------------
def _base_sizes(rng: np.random.Generator, s: pd.DataFrame):
    """Per school × part (4 columns): intake at the last year, survival per grade, class cap, grade count."""
    n = len(s)
    stage = s["stage"].to_numpy()
    loc = s["loc"].to_numpy()
    b0 = np.zeros((n, 4))
    has = np.zeros((n, 4), dtype=bool)
    for st, parts in _PARTS.items():
        for p in parts:
            has[stage == st, p] = True

    def cls(lo_hi, size):
        lo = np.array([lo_hi[l][0] for l in loc])
        hi = np.array([lo_hi[l][1] for l in loc])
        c = rng.integers(lo, hi + 1)
        return c * size

    kg = cls({0: (3, 6), 1: (2, 4), 2: (1, 2)}, rng.uniform(20, 25, n))
    pri = cls({0: (4, 9), 1: (2, 4), 2: (1, 1)}, np.where(loc == 2, rng.uniform(20, 36, n), rng.uniform(38, 45, n)))
    pri9 = cls({0: (3, 5), 1: (2, 3), 2: (1, 2)}, np.where(loc == 2, rng.uniform(25, 38, n), rng.uniform(38, 45, n)))
    jun = cls({0: (6, 12), 1: (3, 6), 2: (2, 3)}, rng.uniform(42, 49, n))
    sen = cls({0: (10, 16), 1: (6, 10), 2: (4, 6)}, rng.uniform(46, 50, n))
    sen_full = cls({0: (4, 8), 1: (3, 6), 2: (2, 4)}, rng.uniform(46, 50, n))
    b0[:, 0] = kg
    b0[:, 1] = np.where(stage == "九年一贯制", pri9, np.where(stage == "教学点", rng.integers(5, 18, n), pri))
    b0[:, 2] = jun
    b0[:, 3] = np.where(stage == "完全中学", sen_full, sen)
    b0[~has] = 0.0
    # survival per grade: urban inflow +1–3 %, town ±, rural outflow 2–5 %
    surv = np.where(loc == 0, rng.uniform(1.01, 1.03, n),
                    np.where(loc == 1, rng.uniform(0.985, 1.005, n), rng.uniform(0.95, 0.98, n)))
    surv = np.repeat(surv[:, None], 4, axis=1)
    surv[:, 0] = np.where(loc == 0, 1.03, 1.0) * rng.uniform(0.99, 1.01, n)
    surv[:, 3] = rng.uniform(0.985, 0.998, n)
    # 教学点: only grades 1..k (pupils move to the central school afterwards)
    top = np.where(stage == "教学点", rng.integers(3, 7, n), 6)
    # 大班额 schools: a few urban primary / junior schools with caps of 56–62
    cand = (loc == 0) & np.isin(stage, ["小学", "初中"])
    big = cand & (rng.random(n) < 0.1)
    # at least one per county (its first urban primary or junior school)
    first = pd.Series(np.flatnonzero(cand)).groupby(s["county_idx"].to_numpy()[cand]).nth(0)
    big[first.to_numpy(dtype=np.int64)] = True
    return b0, surv, top, big


def _feeders(rng: np.random.Generator, s: pd.DataFrame) -> pd.DataFrame:
    recv = s[s["stage"].isin(["初中", "完全中学", "九年一贯制"])]
    prim = s[s["stage"] == "小学"]
    rows = []
    for c, pc in prim.groupby("county_idx", sort=True):
        rc = recv[recv["county_idx"] == c]
        if rc.empty:
            continue
        fallback = rc[rc["loc"] == 0]
        fallback = fallback if not fallback.empty else rc
        by_town = {t: g["school_id"].tolist() for t, g in rc.groupby("town", sort=True)}
        k = pc.groupby("town").cumcount().to_numpy()
        for (sid, town), kk in zip(zip(pc["school_id"], pc["town"]), k):
            cands = by_town.get(town) or fallback["school_id"].tolist()
            rows.append((cands[kk % len(cands)], sid))
    f = pd.DataFrame(rows, columns=["school_id", "feeder_id"])
    f["share"] = np.nan
    return f.sort_values(["school_id", "feeder_id"], kind="stable").reset_index(drop=True)


def _births_curve(birth_years: np.ndarray, decline: np.ndarray, peak: int) -> np.ndarray:
    d = birth_years - peak
    return np.where(d >= 0, np.exp(-decline * d), np.exp(0.01 * d))


# --- enrollment panel ----------------------------------------------------------------------------------
# Standard quota (编制标准, last year's pupils) per teacher on the roster: with ~8 % 临聘 and falling intakes
# this leaves the plan year's 在编 (net of retirements) a few per cent under the quota.
_QUOTA_PER_TEACHER = 0.94
_EXT = 12            # years simulated before the first output year (cohorts of grade 12 start in primary)
_AR_PHI, _AR_SD = 0.7, 0.012      # survival drift per school × part: AR(1) coefficient and innovation sd (log)
_COUNTY_SD = 0.006                # common county-year shock to survival (log)


def _share_in_county(v: np.ndarray, county: np.ndarray) -> np.ndarray:
    tot = np.bincount(county, weights=v)
    return np.where(tot[county] > 0, v / np.where(tot[county] > 0, tot[county], 1), 0.0)


def _enrollment(rng: np.random.Generator, s: pd.DataFrame, b0: np.ndarray, surv: np.ndarray, top: np.ndarray,
                big: np.ndarray, new_open: np.ndarray, close_from: np.ndarray, feed, senior_share: np.ndarray,
                births_m: np.ndarray, birth_years: np.ndarray, st_town: np.ndarray, neigh, first_year: int,
                last_year: int) -> pd.DataFrame:
    """School × grade × year students, cohort by cohort (all arrays; a loop over ≤ 6 grades and the years).

    A cohort enters a part (学部) with an intake that follows births (kindergarten, grade 1), the feeder
    schools' grade 6 a year earlier (junior schools with 对口 feeders / a 九年一贯制's own grade 6) or the
    county's grade 9 (senior schools), times a noise per school × cohort. It then moves up with the school's
    survival ratio of each year — the school's own level × an AR(1) drift × a county-year shock — and a
    per-transition noise that stays with the cohort (sd grows for small cohorts), plus a small per-cell noise.
    A new school's nearest neighbours lose 10–25 % of their intake from its opening and 2 % / 1 % of the
    continuing pupils in its first two years; the new school adds a grade a year; a closing school's cohorts from ``close_from`` are 0.
    """
    n = len(b0)
    Yg = np.arange(first_year - _EXT, last_year + 1)
    NY = len(Yg)
    stage = s["stage"].to_numpy()
    county = s["county_idx"].to_numpy()
    # all random draws up front (shapes independent of sizes: the same seed gives the same noise)
    z_drift = rng.normal(size=(n, 4, NY))
    z_cty = rng.normal(size=(int(county.max()) + 1, NY))
    z_u = rng.normal(size=(n, 4, NY))
    z_e = rng.normal(size=(n, 4, NY, 6))
    z_c = rng.normal(size=(n, 4, NY, 6))
    drift = np.empty((n, 4, NY))
    drift[:, :, 0] = z_drift[:, :, 0] * _AR_SD / np.sqrt(1 - _AR_PHI ** 2)
    for y in range(1, NY):
        drift[:, :, y] = _AR_PHI * drift[:, :, y - 1] + _AR_SD * z_drift[:, :, y]
    logr = np.log(surv)[:, :, None] + drift + _COUNTY_SD * z_cty[county][:, None, :]
    intake_mult = np.ones((n, NY))
    for j, nb, delta in neigh:
        io = int(new_open[j] - Yg[0])
        intake_mult[nb, io:] *= (1 - delta)[:, None]
        logr[nb, 1, io] += np.log(0.98)
        if io + 1 < NY:
            logr[nb, 1, io + 1] += np.log(0.99)
    A = np.cumsum(logr, axis=2)

    yi_all = np.arange(NY)

    def births_ratio(entry: int) -> np.ndarray:
        by = np.clip(Yg - 5 - entry - birth_years[0], 0, len(birth_years) - 1)
        ref = last_year - 5 - entry - birth_years[0]
        return births_m[st_town][:, by] / np.maximum(births_m[st_town, ref], 1)[:, None]

    def noisy(base: np.ndarray, p: int) -> np.ndarray:
        sd = np.sqrt(0.04 ** 2 + 0.3 / np.maximum(base, 1.0))
        return base * np.exp(sd * z_u[:, p, :])

    def exists(K: int):
        k = np.arange(K)[None, :, None]
        y = Yg[None, None, :]
        o = new_open[:, None, None]
        ok = (o < 0) | ((y >= o) & (k <= y - o))
        closed = Yg[np.maximum(yi_all[None, None, :] - k, 0)] >= close_from[:, None, None]
        return ok, closed

    def carry(intake: np.ndarray, p: int, K: int) -> np.ndarray:
        sd_e = np.sqrt(0.008 ** 2 + 0.1 / np.maximum(intake, 1.0))                 # (n, cohorts)
        E = np.zeros((n, NY, K))
        E[:, :, 1:] = np.cumsum(z_e[:, p, :, 1:K] * sd_e[:, :, None], axis=2)
        X = np.zeros((n, K, NY))
        for k in range(K):
            yi = yi_all[k:]
            ci = yi - k
            X[:, k, k:] = intake[:, ci] * np.exp(A[:, p, yi] - A[:, p, ci] + E[:, ci, k] + 0.005 * z_c[:, p, yi, k])
        ok, closed = exists(K)
        return np.where(ok & ~closed, X, 0.0)

    X = {}
    X[0] = carry(noisy(b0[:, 0][:, None] * births_ratio(-2), 0), 0, 3)
    X[1] = carry(noisy(b0[:, 1][:, None] * births_ratio(1) * intake_mult, 1), 1, 6)
    fi, ri, f_rate, own_rate, fed_mask = feed
    g6_prev = np.zeros((n, NY))
    g6_prev[:, 1:] = X[1][:, 5, :-1]
    fed_in = np.zeros((n, NY))
    np.add.at(fed_in, ri, f_rate[:, None] * g6_prev[fi])
    fed_in += own_rate[:, None] * g6_prev
    base2 = np.where(fed_mask[:, None], fed_in, b0[:, 2][:, None] * births_ratio(7))
    X[2] = carry(noisy(base2, 2), 2, 3)
    g9_prev = np.zeros((n, NY))
    g9_prev[:, 1:] = X[2][:, 2, :-1]
    t9 = np.zeros((int(county.max()) + 1, NY))
    np.add.at(t9, county, g9_prev)
    base3 = np.where((t9[county] > 0) & (senior_share[:, None] > 0), 0.6 * senior_share[:, None] * t9[county],
                     b0[:, 3][:, None] * births_ratio(10))
    X[3] = carry(noisy(base3, 3), 3, 3)

    out_s, out_g, out_y, out_v, out_c = [], [], [], [], []
    for p, gl in _PART_GRADES.items():
        K = len(gl)
        ok, closed = exists(K)
        keep = ok & (b0[:, p] > 0)[:, None, None] & (yi_all >= _EXT)[None, None, :]
        if p == 1:
            keep &= ~((stage == "教学点")[:, None, None] & (np.array(gl)[None, :, None] > top[:, None, None]))
        si, ki, yi = np.nonzero(keep)
        out_s.append(si)
        out_g.append(np.array(gl)[ki])
        out_y.append(Yg[yi])
        out_v.append(X[p][si, ki, yi])
        out_c.append(closed[si, ki, yi] if closed.shape[0] == n else np.zeros(len(si), bool))
    es, eg, ey = np.concatenate(out_s), np.concatenate(out_g), np.concatenate(out_y)
    val, shut = np.concatenate(out_v), np.concatenate(out_c)
    students = np.maximum(np.round(val), 1).astype(np.int64)
    tp = stage[es] == "教学点"
    students = np.where(tp, np.clip(students, 4, 25), students)
    part = np.select([eg <= 0, eg <= 6, eg <= 9], [0, 1, 2], 3)
    cap = np.array([_CAP[g] for g in range(-2, 13)])[eg + 2]
    classes = np.ceil(students / cap).astype(np.int64)
    # 大班额 schools: classes of 56+ (whole classes of at least 56 pupils)
    k56 = students // 56
    fits = big[es] & (eg >= 1) & (k56 >= 1) & (students <= 66 * k56)
    classes = np.where(fits, k56, classes)
    classes = np.where(tp, 1, classes)
    students = np.where(shut, 0, students)
    classes = np.where(shut, 0, classes)
    del part
    enrollment = pd.DataFrame({"school_id": s["school_id"].to_numpy()[es], "year": ey.astype(np.int64),
                               "grade": eg.astype(np.int64), "students": students,
                               "classes": classes.astype(float)})
    return enrollment.sort_values(["school_id", "year", "grade"], kind="stable").reset_index(drop=True)


def _last_parts(enrollment: pd.DataFrame, idx_of: pd.Series, n: int, last_year: int):
    """Last-year students and classes per school × part (n, 4)."""
    last = enrollment[enrollment["year"] == last_year]
    li = idx_of[last["school_id"]].to_numpy()
    lp = np.select([last["grade"] <= 0, last["grade"] <= 6, last["grade"] <= 9], [0, 1, 2], 3)
    stu = np.zeros((n, 4))
    cla = np.zeros((n, 4))
    np.add.at(stu, (li, lp), last["students"].to_numpy())
    np.add.at(cla, (li, lp), last["classes"].to_numpy())
    return stu, cla


def _std_quota_parts(stu: np.ndarray, cla: np.ndarray, stage: np.ndarray, loc: np.ndarray, cfg) -> np.ndarray:
    """Standard quota (编制标准, domain.md §2; numbers from config [quota]) per school × part, unrounded."""
    q = np.zeros_like(stu)
    q[:, 0] = cla[:, 0] * float(cfg["quota.kg_teachers_per_class"])
    prim = stu[:, 1] / float(cfg["quota.ratio_primary"])
    floor_ok = ((loc == 2) & (stage == "小学")) | (stage == "教学点")
    small = floor_ok & (cla[:, 1] > 0) & (stu[:, 1] < float(cfg["quota.small_school_max_avg_class"]) * cla[:, 1])
    q[:, 1] = np.where(small, np.maximum(prim, cla[:, 1] * float(cfg["quota.small_school_class_ratio"])), prim)
    q[:, 2] = stu[:, 2] / float(cfg["quota.ratio_junior"])
    q[:, 3] = stu[:, 3] / float(cfg["quota.ratio_senior"])
    return q


# --- main entry ------------------------------------------------------------------------------------------
def build_district(seed: int = 2026, n_schools: int = 50, n_teachers: int = 2500, n_counties: int = 1,
                   years: int = 5, last_year: int = 2025) -> dict[str, pd.DataFrame]:
    """A synthetic district as canonical frames (schools, enrollment, teachers, births, feeders, distances).

    ``n_schools`` and ``n_teachers`` are totals over all ``n_counties``; ``years`` school years of enrollment
    ending with ``last_year`` (so the plan year is ``last_year + 1``).  Deterministic for a given seed.
    """
    if n_schools < 1 or n_teachers < 1 or n_counties < 1 or years < 1:
        raise ValueError("n_schools, n_teachers, n_counties and years must be positive")
    rng = np.random.default_rng(seed)
    first_year = last_year - years + 1
    s, towns = _build_schools(rng, n_schools, n_counties)
    s["school_name"] = _school_names(s)
    n = len(s)
    loc = s["loc"].to_numpy()
    stage = s["stage"].to_numpy()
    b0, surv, top, big = _base_sizes(rng, s)

    # tier: urban mostly 优质/一般, rural mostly 一般/薄弱
    tier_p = np.array([[0.45, 0.5, 0.05], [0.15, 0.65, 0.2], [0.03, 0.52, 0.45]])
    s["tier"] = np.array(["优质", "一般", "薄弱"], dtype=object)[_choose(rng, loc, tier_p)]

    # new school (opens in year 3, adds a grade a year) and closing intake, one each per county
    new_open = np.full(n, -1)
    close_from = np.full(n, 10_000)
    for c, g in s.groupby("county_idx", sort=True):
        up = g.index[(g["stage"] == "小学") & (g["loc"] == 0)]
        rp = g.index[(g["stage"] == "小学") & (g["loc"] == 2)]
        if len(up) >= 2 and years >= 3:
            new_open[up[-1]] = first_year + 2
            b0[up[-1], 1] *= 0.6
            s.loc[up[-1], "school_name"] = s.loc[up[-1], "town_short"] + "新城小学"
        if len(rp) >= 1 and years >= 2:
            close_from[rp[-1]] = last_year - 1
    s.loc[(new_open >= 0) | ((stage == "教学点") & (s["tier"] == "优质").to_numpy()), "tier"] = "一般"

    # feeders → junior intakes follow the feeders' grade 6 (a year earlier, cohort by cohort)
    feeders = _feeders(rng, s)
    idx_of = pd.Series(np.arange(n), index=s["school_id"])
    g6 = b0[:, 1] * surv[:, 1] ** 5
    fi = idx_of[feeders["feeder_id"]].to_numpy()
    ri = idx_of[feeders["school_id"]].to_numpy()
    f_rate = rng.uniform(0.9, 1.0, len(fi))
    g6_open = np.where(new_open >= 0, 0.0, g6)      # a new primary has no grade 6 yet: it feeds nobody
    fed = np.bincount(ri, weights=g6_open[fi] * f_rate, minlength=n)
    own_rate = np.where(stage == "九年一贯制", 0.97, 0.0)
    jun_from = fed + g6 * own_rate
    fed_mask = (jun_from > 0) & (b0[:, 2] > 0)
    b0[:, 2] = np.where(fed_mask, np.maximum(jun_from, 20), b0[:, 2])
    # senior intake ≈ 60 % of the county's grade 9
    g9 = b0[:, 2] * surv[:, 2] ** 2
    county = s["county_idx"].to_numpy()
    tot9 = np.bincount(county, weights=g9)
    tot10 = np.bincount(county, weights=b0[:, 3])
    scale = np.where(tot10 > 0, 0.6 * tot9 / np.where(tot10 > 0, tot10, 1), 1.0)
    b0[:, 3] *= scale[county]

    # first guess of the size scale (students per teacher by part); refined below against the standard quota
    ratio = np.array([8.5, 15.0, 12.0, 11.0])  # students per teacher (kindergarten ≈ classes × 2.3)
    grades_n = np.array([3, 6, 3, 3])
    natural = (b0 * grades_n / ratio).sum(axis=1)
    k1 = n_teachers / max(natural.sum(), 1.0)
    tiny = stage == "教学点"
    b0[~tiny] *= k1

    # births per town (birth years first_year-17 … last_year)
    birth_years = np.arange(first_year - 17, last_year + 1)
    peak = last_year - 12
    town_names = towns["town"].to_numpy()
    t_index = pd.Series(np.arange(len(town_names)), index=town_names)
    st_town = t_index[s["town"]].to_numpy()
    decline = rng.uniform(0.03, 0.05, len(town_names))
    g1_ref = np.bincount(st_town, weights=b0[:, 1], minlength=len(town_names))
    kg_ref = np.bincount(st_town, weights=b0[:, 0], minlength=len(town_names))
    ref_curve = _births_curve(np.full(len(town_names), last_year - 6), decline, peak)
    base_b = np.maximum(g1_ref / 0.9, kg_ref * 1.1) / ref_curve
    base_b = np.where(base_b > 0, base_b, np.maximum(np.median(base_b[base_b > 0]) * 0.5 if (base_b > 0).any() else 100, 30))
    curve = _births_curve(birth_years[None, :], decline[:, None], peak)
    births_m = np.round(base_b[:, None] * curve * rng.normal(1.0, 0.02, curve.shape)).astype(np.int64)
    births = pd.DataFrame({"town": np.repeat(town_names, len(birth_years)),
                           "birth_year": np.tile(birth_years, len(town_names)),
                           "births": births_m.ravel()})

    # competition: the new school draws pupils from its nearest neighbours with a primary part
    neigh = []
    lon, lat = s["lon"].to_numpy(), s["lat"].to_numpy()
    for j in np.flatnonzero(new_open >= 0):
        cand = np.flatnonzero((county == county[j]) & (b0[:, 1] > 0) & np.isin(stage, ["小学", "九年一贯制"])
                              & (np.arange(n) != j) & (close_from > last_year))
        if len(cand) == 0:
            continue
        km = np.hypot((lon[cand] - lon[j]) * 111.0 * np.cos(np.radians(lat[j])), (lat[cand] - lat[j]) * 111.0)
        nb = cand[np.argsort(km, kind="stable")[:3]]
        neigh.append((j, nb, rng.uniform(0.10, 0.25, len(nb))))
    # the new school fills up with transfers: survival above its neighbours'
    surv[new_open >= 0, 1] = rng.uniform(1.04, 1.08, int((new_open >= 0).sum()))

    # enrollment panel; the size scale is refined so that the standard quota (编制标准) sits a few per cent
    # above the staff in post (在编): most real districts are slightly short of their quota
    from .config import default_config
    cfg = default_config()
    sub_seed = int(rng.integers(2 ** 32))
    q_target = _QUOTA_PER_TEACHER * n_teachers
    senior_share = _share_in_county(b0[:, 3], county)
    for _ in range(4):
        enrollment = _enrollment(np.random.default_rng(sub_seed), s, b0, surv, top, big, new_open, close_from,
                                 (fi, ri, f_rate, own_rate, fed_mask), senior_share, births_m, birth_years, st_town,
                                 neigh, first_year, last_year)
        stu, cla = _last_parts(enrollment, idx_of, n, last_year)
        qpart = _std_quota_parts(stu, cla, stage, loc, cfg)
        q_now = float(np.floor(qpart.sum(axis=1) + 0.5).sum())
        adj = q_target / q_now if q_now > 0 else 1.0
        if abs(adj - 1) < 0.004:
            break
        b0[~tiny] *= adj

    # staffing: each school near its standard quota — urban schools a little under, rural a little over
    # (small classes), a spread of ±5 %; the total is n_teachers (all posts, 在编 and 临聘)
    f_staff = np.array([0.96, 1.0, 1.04])[loc] * np.exp(rng.normal(0.0, 0.05, n))
    need = qpart * f_staff[:, None]
    need = np.where((need.sum(axis=1, keepdims=True) == 0) & (b0 > 0), 1.0, need)  # new school before opening
    std_quota = qpart[:, 1:].sum(axis=1)
    quota = np.round(std_quota * rng.uniform(0.92, 1.08, n))
    quota = np.where((stage == "幼儿园") | (rng.random(n) < 0.1) | (quota == 0), np.nan, quota)
    boarders = np.where(np.isin(stage, ["初中", "九年一贯制"]) & (loc >= 1),
                        np.round(stu[:, 2] * rng.uniform(0.3, 0.6, n)), 0.0)

    # education groups: urban 优质 leader + rural members, one primary and one junior group per county
    group = np.full(n, "", dtype=object)
    for c, g in s.groupby("county_idx", sort=True):
        cname = g["county_name"].iloc[0]
        for fam, lead_st, mem_st, label in (("p", ["小学"], ["小学", "教学点"], "实验小学教育集团"),
                                            ("j", ["初中", "完全中学", "九年一贯制"], ["初中", "九年一贯制"],
                                             "第一中学教育集团")):
            cand = g["stage"].isin(lead_st) & (new_open[g.index] < 0)
            leads = g.index[cand & (g["loc"] == 0)]
            if len(leads) == 0:
                leads = g.index[cand & (g["loc"] == 1)]
            mems = g.index[g["stage"].isin(mem_st) & (g["loc"] == 2) & (close_from[g.index] > last_year)]
            if len(leads) == 0 or len(mems) == 0:
                continue
            lead = leads[np.argmax(stu[leads].sum(axis=1))]
            pick = mems[rng.permutation(len(mems))[: min(3, len(mems))]]
            name = cname + label
            group[lead] = name
            group[pick] = name
            s.loc[lead, "tier"] = "优质"
    s["group"] = group

    schools = pd.DataFrame({
        "school_id": s["school_id"].to_numpy(), "school_name": s["school_name"].to_numpy(),
        "stage": stage, "town": s["town"].to_numpy(), "locality": s["locality"].to_numpy(),
        "tier": s["tier"].to_numpy(), "group": s["group"].to_numpy(), "quota_approved": quota,
        "boarders": boarders, "lon": s["lon"].to_numpy(), "lat": s["lat"].to_numpy(),
        "county": s["county"].to_numpy(), "zone": s["town"].to_numpy(),
        "intake_plan": np.nan, "capacity": np.nan,
    })

    teachers = _build_teachers(rng, s, need, n_teachers, last_year, new_open)
    distances = pd.DataFrame({"a": pd.Series(dtype=object), "b": pd.Series(dtype=object),
                              "km": pd.Series(dtype=float)})
    return {"schools": schools, "enrollment": enrollment, "teachers": teachers, "births": births,
            "feeders": feeders, "distances": distances}


# --- teachers --------------------------------------------------------------------------------------------
def _build_teachers(rng: np.random.Generator, s: pd.DataFrame, need: np.ndarray, n_teachers: int,
                    last_year: int, new_open: np.ndarray) -> pd.DataFrame:
    n = len(s)
    loc = s["loc"].to_numpy()
    tot_need = need.sum(axis=1)
    per_school = _largest_remainder(tot_need[None, :], n_teachers, rng)[0] if n_teachers >= 2 * n else None
    if per_school is None:
        per_school = _largest_remainder(tot_need[None, :], n_teachers, rng)[0]
    else:  # at least two teachers at every school
        per_school = 2 + _largest_remainder(np.maximum(tot_need - 2, 0.01)[None, :], n_teachers - 2 * n, rng)[0]
    per_part = _largest_remainder(need + 1e-9 * (need.sum(axis=1, keepdims=True) == 0), per_school, rng)
    # subjects: (school, part) rows × subjects, whole numbers by largest remainder
    subj_idx = {j: i for i, j in enumerate(SUBJECTS)}
    share = np.zeros((4, len(SUBJECTS)))
    for p, d in _SUBJ_SHARE.items():
        for j, v in d.items():
            share[p, subj_idx[j]] = v
    art = np.array([subj_idx[j] for j in _ZOUJIAO_SUBJECTS])
    rows_s = np.repeat(np.arange(n), 4)
    rows_p = np.tile(np.arange(4), n)
    cnt = per_part.ravel()
    keep = cnt > 0
    rows_s, rows_p, cnt = rows_s[keep], rows_p[keep], cnt[keep]
    w = share[rows_p].copy()
    fac = np.array([_ART_FACTOR[l] for l in _LOCS])[loc[rows_s]]
    w[:, art] *= fac[:, None]
    w[rows_p == 0] = share[0]  # kindergartens: no rural adjustment
    sub_cnt = _largest_remainder(w, cnt, rng)
    flat = sub_cnt.ravel()
    t_row = np.repeat(np.repeat(np.arange(len(cnt)), len(SUBJECTS)), flat)
    t_subj = np.repeat(np.tile(np.arange(len(SUBJECTS)), len(cnt)), flat)
    si = rows_s[t_row]
    pt = rows_p[t_row]
    N = len(si)
    tloc = loc[si]
    subj_names = np.array(SUBJECTS, dtype=object)
    subject = subj_names[t_subj]

    # sex
    pf = np.array([0.97, 0.72, 0.58, 0.5])[pt]
    pf = np.where(subject == "体育", pf * 0.45, pf)
    female = rng.random(N) < pf
    # age pyramid (ages 23–60; women ≤ 55)
    comp = rng.random(N)
    age = np.where(comp < 0.25, rng.uniform(23, 31, N),
                   np.where(comp < 0.65, rng.normal(38, 5, N), rng.normal(47, 5, N)))
    too_old = age >= np.where(female, 56.0, 61.0)
    age = np.where(too_old, rng.uniform(35, 52, N), np.maximum(age, 23.0))
    near = rng.random(N) < 0.012
    age = np.where(near, np.where(female, rng.uniform(53, 55.99, N), rng.uniform(58, 60.99, N)), age)
    b_year = last_year - np.floor(age).astype(np.int64)
    b_month = rng.integers(1, 13, N)
    b_day = rng.integers(1, 29, N)
    birth = _dates(b_year, b_month, b_day)
    age_i = last_year - b_year

    # degree by part and age band
    old = age_i >= 45
    grp = pt * 2 + old
    deg_p = np.array([
        [0.0, 0.55, 0.42, 0.03], [0.0, 0.25, 0.65, 0.10],   # kindergarten young / old
        [0.04, 0.78, 0.18, 0.0], [0.01, 0.45, 0.50, 0.04],  # primary
        [0.07, 0.90, 0.03, 0.0], [0.02, 0.86, 0.12, 0.0],   # junior
        [0.25, 0.75, 0.0, 0.0], [0.10, 0.88, 0.02, 0.0],    # senior
    ])
    deg = _choose(rng, grp, deg_p)
    degree = np.array(_DEGREES, dtype=object)[deg]
    # work start
    start_age = np.array([25, 22, 20, 19])[deg] + rng.integers(0, 3, N)
    ws_year = np.minimum(b_year + start_age, last_year)
    career = last_year - ws_year
    work_start = _dates(ws_year, np.where(rng.random(N) < 0.8, 9, 8), np.ones(N, dtype=np.int64))
    # employment: 临聘 ~8 %, more among the young and in rural schools / kindergartens
    p_temp = 0.05 + 0.06 * (age_i < 30) + 0.03 * (tloc == 2) + 0.05 * (pt == 0)
    temp = rng.random(N) < p_temp * (0.08 / max(p_temp.mean(), 1e-9))
    employment = np.where(temp, "临聘", "在编").astype(object)
    # arrival at this school
    stay_all = rng.random(N) < 0.3
    yrs = np.minimum(career, np.floor(rng.exponential(8.0, N)).astype(np.int64))
    arr_year = np.where(stay_all, ws_year, last_year - yrs)
    arr_year = np.where(temp, np.maximum(arr_year, last_year - np.minimum(career, rng.integers(0, 5, N))), arr_year)
    opened = new_open[si]
    arr_year = np.where(opened >= 0, np.maximum(arr_year, opened), arr_year)
    arr_first_job = (arr_year == ws_year) & stay_all
    arr_month = np.where(rng.random(N) < 0.75, 9, np.where(rng.random(N) < 0.5, 8, 2))
    arrival = np.where(arr_first_job, work_start,
                       _dates(arr_year, arr_month, np.where(arr_month == 9, 1, rng.integers(1, 29, N))))
    arrival = np.maximum(arrival, work_start)
    # title level by career length
    band = np.digitize(career, [1, 6, 13, 21])  # 0: <1, 1: 1–5, 2: 6–12, 3: 13–20, 4: 21+
    band = np.where(temp, 5, band)
    tl_p = np.array([  # 正高 副高 中级 初级 员级 未定级
        [0.0, 0.0, 0.0, 0.05, 0.0, 0.95],
        [0.0, 0.0, 0.05, 0.75, 0.02, 0.18],
        [0.0, 0.04, 0.60, 0.34, 0.01, 0.01],
        [0.002, 0.20, 0.70, 0.08, 0.0, 0.0],
        [0.012, 0.42, 0.48, 0.05, 0.03, 0.0],
        [0.0, 0.0, 0.08, 0.30, 0.02, 0.60],   # 临聘
    ])
    tl = _choose(rng, band, tl_p)
    title_level = np.array(_TITLE_LEVELS, dtype=object)[tl]
    old_name = rng.random(N) < np.where(age_i >= 45, 0.45, 0.15)
    secondary = pt >= 2
    title = np.where(old_name, np.where(secondary, np.array(_TITLE_OLD_SEC, dtype=object)[tl],
                                        np.array(_TITLE_OLD_PRI, dtype=object)[tl]),
                     np.array(_TITLE_NEW, dtype=object)[tl])
    # post
    post = np.array(["专任教师", "行政", "教辅", "工勤"], dtype=object)[
        _choose(rng, np.zeros(N, dtype=np.int64), np.array([[0.90, 0.05, 0.03, 0.02]]))]
    post = np.where(temp & (post == "行政"), "专任教师", post)
    subject = np.where(np.isin(post, ["教辅", "工勤"]), "其他", subject)
    teaching = post == "专任教师"
    # backbone ~12 %
    pb = np.array([0.45, 0.35, 0.15, 0.03, 0.0, 0.0])[tl] * np.array([1.3, 1.0, 0.6])[tloc]
    backbone = (rng.random(N) < pb * 0.8) & ~temp & teaching
    # appraisals
    ap_p = np.array([[0.02, 0.09, 0.855, 0.03, 0.005]])
    appraisal = np.array(_APPRAISALS, dtype=object)[_choose(rng, np.zeros(N, dtype=np.int64), ap_p)]
    appraisal_prev = np.array(_APPRAISALS, dtype=object)[_choose(rng, np.zeros(N, dtype=np.int64), ap_p)]
    appraisal_prev = np.where(ws_year >= last_year, "", appraisal_prev)
    twice = rng.choice(N, size=min(N, max(3, N // 800)), replace=False)
    appraisal[twice] = "不合格"
    appraisal_prev[twice] = "不合格"
    # special situations (a few %), half approved
    u = rng.random(N)
    young_f = female & (age_i <= 40)
    special = np.where(young_f & (u < 0.03), "孕期", np.where(young_f & (u < 0.07), "哺乳期",
                                                             np.where(u > 0.99, "重大疾病", ""))).astype(object)
    special_approved = (special != "") & (rng.random(N) < 0.5)
    # willingness
    will_v = np.array(["", "愿意交流", "不愿交流", "愿意走教", "愿意交流、愿意走教"], dtype=object)
    is_art = np.isin(subject, _ZOUJIAO_SUBJECTS).astype(np.int64)
    will_p = np.array([[0.52, 0.15, 0.2, 0.08, 0.05], [0.40, 0.12, 0.15, 0.2, 0.13]])
    willingness = will_v[_choose(rng, is_art, will_p)]
    # periods for ~70 % of teaching staff
    core = np.isin(subject, ["语文", "数学"]) | ((pt == 2) & (subject == "英语"))
    base_load = np.select([pt == 1, pt == 2, pt == 3], [np.where(core, 13, 15), np.where(core, 11, 14), 12], 0)
    periods = base_load + rng.integers(-2, 3, N) + 2 * (tloc == 2)
    periods = np.where(teaching & (pt > 0) & (rng.random(N) < 0.8), periods, np.nan).astype(float)
    # second subject: mostly primary teachers (rural more often) covering arts/PE/science
    sec_pool = np.array(["道德与法治", "音乐", "美术", "体育", "科学", "信息科技", "劳动", "心理健康"], dtype=object)
    p2 = np.where(pt == 1, np.where(tloc == 2, 0.3, 0.15), np.where(pt >= 2, 0.05, 0.0)) * teaching
    s2 = sec_pool[rng.integers(0, len(sec_pool), N)]
    subject2 = np.where((rng.random(N) < p2) & (s2 != subject), s2, "").astype(object)
    # retirement: a few agreed dates and group overrides
    orig_age = np.where(female, 55, 60)
    agreed_mask = (age_i >= orig_age - 3) & (rng.random(N) < 0.12)
    agreed = _dates(b_year + orig_age + rng.integers(0, 3, N), b_month, 1)
    agreed_retirement = np.where(agreed_mask, agreed, np.datetime64("NaT", "ns"))
    retirement_group = np.where(female & (tl <= 1) & (rng.random(N) < 0.1), 60.0, np.nan)
    # names
    surn = np.array(list(_SURNAMES), dtype=object)
    gf = np.array(_GIVEN_F, dtype=object)
    gm = np.array(_GIVEN_M, dtype=object)
    full_f = (surn[:, None] + gf[None, :]).ravel()
    full_m = (surn[:, None] + gm[None, :]).ravel()
    sw = 1.0 / np.arange(1, len(surn) + 1) ** 0.7
    si_name = rng.choice(len(surn), size=N, p=sw / sw.sum())
    name = np.where(female, full_f[si_name * len(gf) + rng.integers(0, len(gf), N)],
                    full_m[si_name * len(gm) + rng.integers(0, len(gm), N)])
    # 身份证号: region + birth date + sequence (sex parity) + check character, unique
    region = np.where(rng.random(N) < 0.8, s["region"].to_numpy()[si],
                      np.array(_OTHER_REGIONS, dtype=object)[rng.integers(0, len(_OTHER_REGIONS), N)])
    region_i = region.astype(np.int64)
    date_i = b_year * 10000 + b_month * 100 + b_day
    seq2 = rng.integers(0, 100, N)
    sexd = np.where(female, 2 * rng.integers(0, 5, N), 2 * rng.integers(0, 5, N) + 1)
    for _ in range(50):
        key = pd.DataFrame({"r": region_i, "d": date_i, "q": seq2, "x": sexd})
        dup = key.duplicated(keep="first").to_numpy()
        if not dup.any():
            break
        seq2 = np.where(dup, (seq2 + 1 + key.groupby(["r", "d", "q", "x"]).cumcount().to_numpy()) % 100, seq2)
        sexd = np.where(dup & (seq2 == 0), (sexd + 2) % 10, sexd)
    first17 = region_i * 10 ** 11 + date_i * 1000 + seq2 * 10 + sexd
    id_number = pd.Series(first17.astype(str), dtype=object) + pd.Series(id_check_char(first17), dtype=object)
    width = max(6, len(str(N)))
    teacher_id = pd.Series(np.arange(1, N + 1).astype(str), dtype=object).str.zfill(width).radd("T")

    t = pd.DataFrame({
        "teacher_id": teacher_id.to_numpy(), "id_number": id_number.to_numpy(), "name": name,
        "sex": np.where(female, "女", "男").astype(object), "birth_date": birth,
        "school_id": s["school_id"].to_numpy()[si], "subject": subject, "subject2": subject2,
        "periods": periods, "periods2": np.full(N, np.nan), "title": title, "title_level": title_level, "degree": degree,
        "employment": employment, "post": post, "arrival_date": arrival, "work_start": work_start,
        "backbone": backbone, "appraisal": appraisal, "appraisal_prev": appraisal_prev, "special": special,
        "special_approved": special_approved, "willingness": willingness,
        "agreed_retirement": agreed_retirement.astype("datetime64[ns]"), "retirement_group": retirement_group,
        "status": np.full(N, "在本单位任职", dtype=object), "teach_stage": np.full(N, "", dtype=object),
    })
    return t


# --- writing ---------------------------------------------------------------------------------------------
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _normalise_xlsx(path: Path) -> None:
    """Make an openpyxl file byte-stable: fixed core-property times and zip entry times."""
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as zin:
        items = [(i, zin.read(i.filename)) for i in zin.infolist()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "docProps/core.xml":
                text = data.decode("utf-8")
                text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", rf"\g<1>{stamp}\g<3>", text)
                data = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            zout.writestr(zi, data)
    path.write_bytes(buf.getvalue())


def _new_workbook():
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    wb.properties.created = FIXED_TIMESTAMP
    wb.properties.modified = FIXED_TIMESTAMP
    wb.properties.creator = "staffplan synth"
    return wb


def _cell(v):
    if v is None:
        return None
    if isinstance(v, float) and np.isnan(v):
        return None
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, pd.Timestamp):
        return None if pd.isna(v) else v.to_pydatetime().date()
    if v is pd.NaT:
        return None
    return v


def _write_table(path: Path, sheet: str, header: list[str], columns: list[np.ndarray | list],
                 as_csv: bool, encoding: str = "utf-8-sig") -> Path:
    if as_csv:
        path = path.with_suffix(".csv")
        with open(path, "w", newline="", encoding=encoding) as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            cols = [_csv_col(c) for c in columns]
            w.writerows(zip(*cols))
        return path
    path = path.with_suffix(".xlsx")
    wb = _new_workbook()
    ws = wb.create_sheet(sheet)
    ws.append(header)
    cols = [_xl_col(c) for c in columns]
    for row in zip(*cols):
        ws.append(list(row))
    wb.save(path)
    _normalise_xlsx(path)
    return path


def _xl_col(c) -> list:
    s = pd.Series(c)
    if pd.api.types.is_datetime64_any_dtype(s):
        out = s.dt.date.astype(object)
        return out.where(s.notna(), None).tolist()
    if pd.api.types.is_float_dtype(s):
        return s.astype(object).where(s.notna(), None).tolist()
    if pd.api.types.is_integer_dtype(s) or pd.api.types.is_bool_dtype(s):
        return s.tolist()
    return [_cell(v) for v in s.tolist()]


def _csv_col(c) -> list:
    s = pd.Series(c)
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").fillna("").tolist()
    if pd.api.types.is_float_dtype(s):
        out = s.map(lambda v: "" if pd.isna(v) else (str(int(v)) if float(v).is_integer() else str(v)))
        return out.tolist()
    return s.fillna("").astype(str).tolist()


def _yes(b) -> np.ndarray:
    return np.where(np.asarray(b, dtype=bool), "是", "否").astype(object)


def write_contract_format(frames: dict[str, pd.DataFrame], out_dir: Path, messy: bool = True,
                          csv_tables: Collection[str] = (), seed: int = 7) -> list[Path]:
    """Write ``frames`` as a contract-format data folder; return the files written.

    Tables: 学校, 在校生, 教师, 出生人口, 对口 (and 距离 when not empty).  ``messy`` writes the wide bureau
    enrollment layout and a roster with real-world header names and spellings; otherwise the long layout
    with the contract's header names.  Tables named in ``csv_tables`` (e.g. ``{"教师", "在校生"}``) are
    written as CSV instead of xlsx (UTF-8 with BOM; the messy roster in GB18030, as bureaus' exports are;
    the messy enrollment is always the wide workbook).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    written: list[Path] = []
    sc = frames["schools"]
    written.append(_write_schools(sc, out_dir, messy, "学校" in csv_tables))
    if messy and "在校生" not in csv_tables:
        written.append(_write_enrollment_wide(frames["enrollment"], sc, out_dir / "在校生.xlsx", rng))
    else:
        e = frames["enrollment"]
        written.append(_write_table(out_dir / "在校生", "在校生", ["学校代码", "学年", "年级", "学生数", "班数"],
                                    [e["school_id"].to_numpy(), e["year"].to_numpy(),
                                     e["grade"].map(GRADE_NAMES).to_numpy(), e["students"].to_numpy(),
                                     e["classes"].to_numpy()], "在校生" in csv_tables))
    written.append(_write_teachers(frames["teachers"], sc, out_dir, messy, "教师" in csv_tables, rng))
    b = frames.get("births")
    if b is not None and not b.empty:
        written.append(_write_table(out_dir / "出生人口", "出生人口", ["镇街", "出生年份", "出生人数"],
                                    [b["town"].to_numpy(), b["birth_year"].to_numpy(), b["births"].to_numpy()],
                                    "出生人口" in csv_tables))
    f = frames.get("feeders")
    if f is not None and not f.empty:
        written.append(_write_table(out_dir / "对口", "对口", ["学校代码", "生源学校代码", "比例"],
                                    [f["school_id"].to_numpy(), f["feeder_id"].to_numpy(), f["share"].to_numpy()],
                                    "对口" in csv_tables))
    d = frames.get("distances")
    if d is not None and not d.empty:
        written.append(_write_table(out_dir / "距离", "距离", ["学校代码A", "学校代码B", "距离公里"],
                                    [d["a"].to_numpy(), d["b"].to_numpy(), d["km"].to_numpy()], "距离" in csv_tables))
    return written


_STAT_STAGE = {"幼儿园": "幼儿园", "小学": "小学", "教学点": "小学教学点", "初中": "初级中学", "九年一贯制": "九年一贯制学校",
               "完全中学": "完全中学", "高中": "高级中学", "十二年一贯制": "十二年一贯制学校", "中职": "中等职业学校",
               "特殊教育": "特殊教育学校"}


def _write_schools(sc: pd.DataFrame, out_dir: Path, messy: bool, as_csv: bool) -> Path:
    has_county = (sc["county"] != "").any()
    if messy:
        header = ["学校标识码", "学校名称", "办学类型", "镇街", "城乡", "办学水平", "教育集团", "核定编制", "寄宿生数",
                  "经度", "纬度"]
        cols = [sc["school_id"], sc["school_name"], sc["stage"].map(_STAT_STAGE), sc["town"], sc["locality"],
                sc["tier"], sc["group"].replace("", None), sc["quota_approved"], sc["boarders"].replace(0.0, None),
                sc["lon"], sc["lat"]]
    else:
        header = ["学校代码", "学校名称", "学段", "镇街", "城乡", "办学水平", "教育集团", "核定编制", "寄宿生数",
                  "经度", "纬度"]
        cols = [sc["school_id"], sc["school_name"], sc["stage"], sc["town"], sc["locality"], sc["tier"],
                sc["group"], sc["quota_approved"], sc["boarders"], sc["lon"], sc["lat"]]
    if has_county:
        header.insert(2, "区县")
        cols.insert(2, sc["county"])
    return _write_table(out_dir / "学校", "学校", header, [np.asarray(c.to_numpy(), dtype=object) for c in cols], as_csv)


def _grade_label(g: int, year: int) -> str:
    if 7 <= g <= 9 and year % 2 == 1:
        return "初" + "一二三"[g - 7]
    return GRADE_NAMES[g]


def _write_enrollment_wide(e: pd.DataFrame, sc: pd.DataFrame, path: Path, rng: np.random.Generator) -> Path:
    from openpyxl.worksheet.cell_range import CellRange
    from openpyxl.utils import get_column_letter

    wb = _new_workbook()
    names = sc.set_index("school_id")["school_name"]
    title_place = "示例区" if (sc["county"] == "").all() else "示例市"
    for year in sorted(e["year"].unique()):
        ey = e[e["year"] == year]
        grades = sorted(ey["grade"].unique())
        students = ey.pivot(index="school_id", columns="grade", values="students")
        classes = ey.pivot(index="school_id", columns="grade", values="classes")
        ws = wb.create_sheet(f"{year}学年")
        ncol = 2 + 2 * (len(grades) + 1)
        ws.merged_cells.add(CellRange(f"A1:{get_column_letter(ncol)}1"))
        ws.merged_cells.add(CellRange("A2:A3"))
        ws.merged_cells.add(CellRange("B2:B3"))
        for k in range(len(grades) + 1):
            c0 = 3 + 2 * k
            ws.merged_cells.add(CellRange(f"{get_column_letter(c0)}2:{get_column_letter(c0 + 1)}2"))
        sub = "在校生数" if year % 3 == 0 else ("人数" if year % 3 == 1 else "学生数")
        ws.append([f"{title_place}{year}—{year + 1}学年中小学、幼儿园在校生统计表"] + [None] * (ncol - 1))
        top = ["学校标识码", "学校名称"]
        for g in grades:
            top += [_grade_label(int(g), int(year)), None]
        top += ["总计", None]
        ws.append(top)
        ws.append([None, None] + ["班数", sub] * (len(grades) + 1))
        st = students.to_numpy(dtype=float)
        cl = classes.to_numpy(dtype=float)
        mode = rng.random(st.shape)
        for i, sid in enumerate(students.index):
            row = [sid, names.get(sid, "")]
            for j in range(len(grades)):
                if np.isnan(st[i, j]):
                    row += [None, None]
                    continue
                c, v = int(cl[i, j]), int(st[i, j])
                if mode[i, j] < 0.01:
                    row += [str(c).translate(_FULLWIDTH), str(v).translate(_FULLWIDTH)]
                elif mode[i, j] < 0.06:
                    row += [str(c), str(v)]
                else:
                    row += [c, v]
            row += [int(np.nansum(cl[i])), int(np.nansum(st[i]))]
            ws.append(row)
        tot = ["", "总计"]
        for j in range(len(grades)):
            tot += [int(np.nansum(cl[:, j])), int(np.nansum(st[:, j]))]
        tot += [int(np.nansum(cl)), int(np.nansum(st))]
        ws.append(tot)
        ws.append([])
        ws.append(["说明：1. 本表据教育事业统计报表整理，九年一贯制学校、完全中学按全校填报；2. 班数含复式班；"
                   "3. 空白表示该校无此年级。"])
        ws.append(["填表人：张某某　　审核人：李某某"])
    wb.save(path)
    _normalise_xlsx(path)
    return path


_SUBJ_ALIAS = {"道德与法治": ["思想品德", "政治"], "信息科技": ["信息技术"], "体育": ["体育与健康"]}
_DEGREE_ALIAS = {"研究生": ["硕士研究生", "研究生", "硕士"], "本科": ["本科", "大学本科"], "专科": ["大专", "专科"],
                 "高中及以下": ["中专", "高中"]}


def _alias(values: np.ndarray, table: dict[str, list[str]], rng: np.random.Generator, p: float) -> np.ndarray:
    out = values.copy()
    u = rng.random(len(values))
    k = rng.integers(0, 1000, len(values))
    for canon, alts in table.items():
        m = (values == canon) & (u < p)
        if m.any():
            alt = np.array(alts, dtype=object)
            out[m] = alt[k[m] % len(alt)]
    return out


def _month_forms(d: pd.Series, rng: np.random.Generator, month_only: bool) -> np.ndarray:
    """Dates as text in mixed common forms (1979.05, 2019年9月, 2021/9/1, 19850312, 1985-03-12)."""
    y = d.dt.year.to_numpy()
    m = d.dt.month.to_numpy()
    dd = d.dt.day.to_numpy()
    na = d.isna().to_numpy()
    form = rng.integers(0, 4, len(d))
    if not month_only:  # month-only text only where it loses nothing (the 1st of the month)
        form = np.where(dd != 1, 2 + form % 2, form)
    ys = pd.Series(np.where(na, 0, y)).astype(int).astype(str).to_numpy(dtype=object)
    ms = pd.Series(np.where(na, 1, m)).astype(int).astype(str).to_numpy(dtype=object)
    m2 = pd.Series(ms).str.zfill(2).to_numpy(dtype=object)
    ds = pd.Series(np.where(na, 1, dd)).astype(int).astype(str).to_numpy(dtype=object)
    d2 = pd.Series(ds).str.zfill(2).to_numpy(dtype=object)
    if month_only:
        out = np.select([form == 0, form == 1, form == 2], [ys + "." + m2, ys + "年" + ms + "月", ys + "-" + m2],
                        ys + "." + m2)
    else:
        out = np.select([form == 0, form == 1, form == 2], [ys + "." + m2, ys + "年" + ms + "月", ys + "/" + ms + "/" + ds],
                        ys + "-" + m2 + "-" + d2)
    return np.where(na, None, out).astype(object)


def _write_teachers(t: pd.DataFrame, sc: pd.DataFrame, out_dir: Path, messy: bool, as_csv: bool,
                    rng: np.random.Generator) -> Path:
    N = len(t)
    if not messy:
        header = ["教师编号", "身份证号", "姓名", "性别", "出生日期", "学校代码", "任教学科", "兼任学科", "周课时", "职称",
                  "最高学历", "用工类型", "岗位类型", "到本校时间", "参加工作时间", "骨干教师", "考核", "上年考核",
                  "特殊情况", "特殊情况已批准", "本人意愿", "约定退休日期", "退休年龄组"]
        cols = [t["teacher_id"], t["id_number"], t["name"], t["sex"], t["birth_date"], t["school_id"], t["subject"],
                t["subject2"], t["periods"], t["title"], t["degree"], t["employment"], t["post"], t["arrival_date"],
                t["work_start"], _yes(t["backbone"]), t["appraisal"], t["appraisal_prev"], t["special"],
                np.where(t["special"] != "", _yes(t["special_approved"]), ""), t["willingness"],
                t["agreed_retirement"], t["retirement_group"]]
        cols = [c.to_numpy() if isinstance(c, pd.Series) else np.asarray(c) for c in cols]
        return _write_table(out_dir / "教师", "教师", header, cols, as_csv)
    names = sc.set_index("school_id")["school_name"]
    last_year = int(pd.Timestamp(t["arrival_date"].max()).year) if N else 2025
    code = t["school_id"].to_numpy(dtype=object).copy()
    code[rng.random(N) < 0.04] = None  # a few rows give only the school name
    emp = t["employment"].to_numpy(dtype=object)
    u = rng.random(N)
    emp_txt = np.where(emp == "在编", np.where(u < 0.5, "在编", "编制内"),
                       np.where(u < 0.4, "合同制", np.where(u < 0.7, "临聘", "代课"))).astype(object)
    bb = t["backbone"].to_numpy()
    lvl = np.array(["区级骨干", "市级骨干", "省级骨干", "是"], dtype=object)[
        _choose(rng, np.zeros(N, dtype=np.int64), np.array([[0.5, 0.25, 0.05, 0.2]]))]
    backbone = np.where(bb, lvl, np.where(rng.random(N) < 0.5, "否", None)).astype(object)
    special = t["special"].to_numpy(dtype=object)
    approved = np.where(special != "", _yes(t["special_approved"]), None).astype(object)
    header = ["序号", "工号", "姓名", "性别", "身份证号码", "出生年月", "学校代码", "单位名称", "主教学科", "兼任学科",
              "周课时", "专业技术职务", "学历", "编制情况", "岗位类型", "调入本校时间", "参加工作时间", "骨干教师",
              f"{last_year}年考核", f"{last_year - 1}年考核", "特殊情况", "特殊情况已批准", "本人意愿", "约定退休日期",
              "退休年龄组", "备注"]
    blank = lambda a: np.where(np.asarray(a, dtype=object) == "", None, np.asarray(a, dtype=object)).astype(object)
    rg = t["retirement_group"].to_numpy(dtype=float)
    cols = [np.arange(1, N + 1), t["teacher_id"].to_numpy(), t["name"].to_numpy(), t["sex"].to_numpy(),
            t["id_number"].to_numpy(), _month_forms(t["birth_date"], rng, True), code,
            names.reindex(t["school_id"]).to_numpy(), _alias(t["subject"].to_numpy(dtype=object), _SUBJ_ALIAS, rng, 0.4),
            blank(_alias(t["subject2"].to_numpy(dtype=object), _SUBJ_ALIAS, rng, 0.4)), t["periods"].to_numpy(),
            t["title"].to_numpy(), _alias(t["degree"].to_numpy(dtype=object), _DEGREE_ALIAS, rng, 0.6), emp_txt,
            t["post"].to_numpy(), _month_forms(t["arrival_date"], rng, False), _month_forms(t["work_start"], rng, True),
            backbone, blank(t["appraisal"].to_numpy()), blank(t["appraisal_prev"].to_numpy()), blank(special), approved,
            blank(t["willingness"].to_numpy()), t["agreed_retirement"].to_numpy(),
            np.where(np.isnan(rg), None, rg), np.full(N, None, dtype=object)]
    return _write_table(out_dir / "教师", "教职工花名册", header, cols, as_csv, encoding="gb18030")
