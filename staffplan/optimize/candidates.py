"""Candidate pairs for the rotation model — pre-filtered, never the full teacher × school product.

Three frames feed :func:`staffplan.optimize.build.build_model`:

* ``cells``    — one row per (school, stage, subject) of the forecast gaps: ``gap0`` signed periods
  (+ = shortage), ``load`` periods per FTE, weight of covering one period there.
* ``exchange`` — one row per candidate move teacher → receiving school in a subject:
  ``kind`` = "short" (the receiving cell has a shortage in the teacher's subject or second subject) or
  "pair" (the receiving cell has no shortage but has its own possible mover of the same subject and stage:
  two-way flow, only generated when the quota rules need more moves than shortages can absorb).
  The direction rule holds on every row (cross 城区/镇区 ↔ 乡村, or different 办学水平, or same 教育集团 —
  each toggled by ``exchange.cross_locality/cross_tier/within_group``), same county, different school,
  distance ≤ ``exchange.max_km`` when > 0.  Pruned: a row is kept when it is among the teacher's
  ``exchange.candidates_per_teacher`` nearest receivers or among the receiving cell's
  ``exchange.candidates_per_cell`` nearest teachers (pairs: ``pair_candidates_per_teacher``).
* ``zoujiao``  — one row per 走教 teacher → host cell: teachers of ``zoujiao.subjects`` (main or second
  subject) with spare capacity (standard load + ``extra_load`` − current periods; the extra only with
  本人意愿 愿意走教 when ``extra_load_needs_consent``), host cells with a shortage in that subject in the same
  学区/镇街 or the same 教育集团 (``same_zone``), one-way distance ≤ ``zoujiao.max_km`` (unknown distance → no
  candidate), pruned to the ``zoujiao.candidates_per_teacher`` nearest hosts per teacher / per cell.

Second subject: unless ``exchange.second_subject_in_send_rule``, the sending rule of the model counts only the
main subject; a candidate whose leaving would by itself push the second-subject cell beyond the tolerance is
dropped here instead (keeps the model's LP integral; several such teachers of one cell are not summed).

Teacher stage = the forecast supply's ``stage``; a teacher matches a cell of the same stage (an empty
stage on either side matches any).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..rules.distance import pair_km
from ..rules.eligibility import MUST

SCHOOL_TEACHING_STAGE = {"小学": "小学", "教学点": "小学", "初中": "初中", "高中": "高中", "中职": "高中",
                         "幼儿园": "幼儿园"}
COMPULSORY_STAGES = {"小学", "初中"}


@dataclass
class CandidateSet:
    """Everything one county's model needs (picklable: plain DataFrames and numbers)."""

    county: str
    teachers: pd.DataFrame          # movers and 走教 teachers of this county (one row per teacher)
    cells: pd.DataFrame             # cell, school_id, stage, subject, gap0, load, weight
    exchange: pd.DataFrame          # candidate moves
    zoujiao: pd.DataFrame           # candidate 走教 rows
    requirements: dict = field(default_factory=dict)   # quota counts and pre-solve counts


def _text(s: pd.Series) -> pd.Series:
    return s.fillna("").astype(str)


def school_table(schools: pd.DataFrame, config) -> pd.DataFrame:
    """School attributes used by the direction rules, indexed by school_id."""
    s = schools.drop_duplicates("school_id").copy()
    s["school_id"] = s["school_id"].astype(str)
    for col, default in (("county", ""), ("group", ""), ("tier", "一般"), ("locality", ""), ("town", "")):
        s[col] = _text(s[col]) if col in s else default
    s["tier"] = s["tier"].replace("", "一般")
    s["zone"] = _text(s["zone"]) if "zone" in s else s["town"]
    s["zone"] = s["zone"].where(s["zone"] != "", s["town"])
    s["rural"] = s["locality"] == "乡村"
    urban_localities = set(config["exchange.urban_localities"])
    s["urban"] = s["locality"].isin(urban_localities) | (s["tier"] == "优质")
    return s.set_index("school_id")


def prepare_teachers(eligibility: pd.DataFrame, teachers: pd.DataFrame, supply: pd.DataFrame,
                     schools: pd.DataFrame, config) -> pd.DataFrame:
    """One row per teacher with what the model needs: eligibility, subjects, periods, flags.

    ``mover``  — may be selected for exchange (应交流, or a volunteer when ``exchange.use_volunteers``) and
                 counted in next year's supply;
    ``zj_cap`` — spare periods for 走教 (0 = not a 走教 teacher);
    ``base``   — counts in the 5 % base (专任教师 of compulsory education).
    """
    sch = school_table(schools, config)
    t = teachers[["teacher_id", "school_id"] + [c for c in ("name", "subject", "subject2", "post", "employment",
                                                              "status", "title", "title_level")
                                                 if c in teachers]].copy()
    t["teacher_id"] = t["teacher_id"].astype(str)
    t["school_id"] = t["school_id"].astype(str)
    el = eligibility.drop(columns=["school_id"]).rename(columns={"status": "status_elig"})
    el = el.drop_duplicates("teacher_id")
    t = t.merge(el, on="teacher_id", how="left")
    sup_cols = [c for c in ("stage", "periods_main", "periods_second", "standard_load", "counts")
                if c in supply.columns]
    sup = supply[["teacher_id"] + sup_cols].copy()
    sup["teacher_id"] = sup["teacher_id"].astype(str)
    sup = sup.drop_duplicates("teacher_id").rename(columns={"stage": "t_stage"})
    t = t.merge(sup, on="teacher_id", how="left", indicator="_sup")
    has_supply = (t.pop("_sup") == "both").to_numpy()
    school_stage = t["school_id"].map(sch["stage"]) if "stage" in sch else pd.Series("", index=t.index)
    fallback_stage = _text(school_stage).map(SCHOOL_TEACHING_STAGE).fillna("")
    t["t_stage"] = _text(t["t_stage"]) if "t_stage" in t else ""
    t["t_stage"] = t["t_stage"].where(t["t_stage"] != "", fallback_stage)
    for col in ("subject", "subject2", "post", "employment", "status"):
        t[col] = _text(t[col]) if col in t else ""
    for col in ("periods_main", "periods_second", "standard_load"):
        t[col] = pd.to_numeric(t[col], errors="coerce") if col in t else np.nan
    t["periods_main"] = t["periods_main"].fillna(0.0)
    t["periods_second"] = t["periods_second"].fillna(0.0)
    counts = t["counts"].fillna(False).astype(bool) if "counts" in t else pd.Series(has_supply, index=t.index)
    t["county"] = t["school_id"].map(sch["county"]).fillna("")
    t["urban_school"] = t["school_id"].map(sch["urban"]).fillna(False).astype(bool)
    for col in ("backbone", "willing", "willing_zoujiao", "volunteer"):
        t[col] = t[col].fillna(False).astype(bool) if col in t else False
    t["status_elig"] = _text(t["status_elig"])
    use_vol = bool(config["exchange.use_volunteers"])
    usable = counts.to_numpy() & has_supply & t["standard_load"].notna().to_numpy()
    t["must"] = (t["status_elig"] == MUST).to_numpy()
    t["mover"] = usable & (t["must"] | (use_vol & t["volunteer"])).to_numpy()
    at_post = (t["status"].isin(["", "在本单位任职"])).to_numpy()
    teaching = (t["post"].isin(["", "专任教师"])).to_numpy()
    zj_subjects = set(config["zoujiao.subjects"])
    zj_subject = (t["subject"].isin(zj_subjects) | t["subject2"].isin(zj_subjects)).to_numpy()
    extra = float(config["zoujiao.extra_load"])
    needs_consent = bool(config["zoujiao.extra_load_needs_consent"])
    allowed_extra = np.where(t["willing_zoujiao"].to_numpy() | (not needs_consent), extra, 0.0)
    current = (t["periods_main"] + t["periods_second"]).to_numpy()
    cap = np.floor(t["standard_load"].fillna(0).to_numpy() + allowed_extra - current + 1e-9)
    t["zj_cap"] = np.where(usable & at_post & teaching & zj_subject, np.maximum(cap, 0.0), 0.0)
    compulsory = t["t_stage"].isin(COMPULSORY_STAGES) | (
        (t["t_stage"] == "") & _text(school_stage).isin(set(config["exchange.stages"])))
    employed = t["employment"] != "临聘" if not config["exchange.base_includes_temporary"] else True
    t["base"] = (teaching & compulsory.to_numpy() & np.asarray(employed)).astype(bool)
    return t.sort_values(["county", "school_id", "teacher_id"], kind="stable").reset_index(drop=True)


def gap_cells(gaps: pd.DataFrame, supply: pd.DataFrame, schools: pd.DataFrame, config) -> pd.DataFrame:
    """One row per (school, stage, subject) of the forecast gaps with periods-per-FTE and cover weight."""
    sch = school_table(schools, config)
    g = gaps.copy()
    g["school_id"] = g["school_id"].astype(str)
    g["stage"] = _text(g["stage"]) if "stage" in g else ""
    g["gap_periods"] = pd.to_numeric(g["gap_periods"], errors="coerce").fillna(0.0)
    if "gap_fte" not in g:
        g["gap_fte"] = np.nan
    g["standard_load"] = pd.to_numeric(g["standard_load"], errors="coerce") if "standard_load" in g else np.nan
    g = g.groupby(["school_id", "stage", "subject"], as_index=False, sort=True).agg(
        gap0=("gap_periods", "sum"), gap_fte=("gap_fte", "sum"), load=("standard_load", "first"))
    ratio = g["gap0"] / g["gap_fte"].where(np.abs(g["gap_fte"]) > 1e-9)
    g["load"] = g["load"].fillna(ratio)
    sup = supply.copy()
    if "standard_load" in sup and len(sup):
        sup["school_id"] = sup["school_id"].astype(str)
        sup["stage"] = _text(sup["stage"]) if "stage" in sup else ""
        by_cell = sup.groupby(["school_id", "stage", "subject"])["standard_load"].median()
        by_subject = sup.groupby("subject")["standard_load"].median()
        key = pd.MultiIndex.from_frame(g[["school_id", "stage", "subject"]])
        g["load"] = g["load"].fillna(pd.Series(by_cell.reindex(key).to_numpy(), index=g.index))
        g["load"] = g["load"].fillna(g["subject"].map(by_subject))
    g["load"] = g["load"].fillna(float(config["exchange.default_load"])).clip(lower=1.0)
    g["county"] = g["school_id"].map(sch["county"]).fillna("")
    rural_or_weak = g["school_id"].map(sch["rural"] | (sch["tier"] == "薄弱")).fillna(False).astype(bool)
    scarce = g["subject"].isin(set(config["zoujiao.subjects"]))
    g["weight"] = (1.0 + float(config["exchange.weight_rural"]) * rural_or_weak
                   + float(config["exchange.weight_scarce"]) * scarce)
    g = g.drop(columns=["gap_fte"]).sort_values(["county", "school_id", "stage", "subject"], kind="stable")
    g = g.reset_index(drop=True)
    g["cell"] = np.arange(len(g))
    return g


def _stage_ok(a: pd.Series, b: pd.Series) -> np.ndarray:
    a = a.to_numpy()
    b = b.to_numpy()
    return (a == b) | (a == "") | (b == "")


def _take(sch: pd.DataFrame, col: str, ids: pd.Series, fill=None) -> np.ndarray:
    """sch[col] looked up for each id (integer positions; much faster than Series.map on strings)."""
    pos = sch.index.get_indexer(ids)
    vals = sch[col].to_numpy()[np.where(pos >= 0, pos, 0)]
    if fill is not None and (pos < 0).any():
        vals = np.where(pos >= 0, vals, fill)
    return vals


def _direction(frm: pd.Series, to: pd.Series, sch: pd.DataFrame, config) -> tuple[np.ndarray, np.ndarray]:
    """(legal, label) for each move frm → to."""
    rural_a = _take(sch, "rural", frm, False).astype(bool)
    rural_b = _take(sch, "rural", to, False).astype(bool)
    tier_a = _take(sch, "tier", frm, "")
    tier_b = _take(sch, "tier", to, "")
    grp_a = _take(sch, "group", frm, "")
    grp_b = _take(sch, "group", to, "")
    cross_loc = (rural_a != rural_b) & bool(config["exchange.cross_locality"])
    cross_tier = (tier_a != tier_b) & bool(config["exchange.cross_tier"])
    same_group = (grp_a != "") & (grp_a == grp_b) & bool(config["exchange.within_group"])
    legal = cross_loc | cross_tier | same_group
    label = np.select([cross_loc, cross_tier, same_group], ["城乡交流", "强弱交流", "集团内交流"], default="")
    return legal, label


def _prune(df: pd.DataFrame, group_a: list[str], k_a: int, group_b: list[str], k_b: int) -> pd.DataFrame:
    """Keep rows among the k_a nearest per group_a or the k_b nearest per group_b (ties by ids)."""
    if df.empty:
        return df
    df = df.sort_values(["km"] + group_a + group_b, kind="stable")
    keep = np.zeros(len(df), dtype=bool)
    if k_a > 0:
        keep |= (df.groupby(group_a, sort=False).cumcount() < k_a).to_numpy()
    if k_b > 0:
        keep |= (df.groupby(group_b, sort=False).cumcount() < k_b).to_numpy()
    return df[keep]


def _teacher_subject_rows(t: pd.DataFrame, subjects: set | None = None) -> pd.DataFrame:
    """Long frame: one row per teacher and subject they can teach (main, then second)."""
    main = t.assign(c_subject=t["subject"], via="main")
    second = t[t["subject2"] != ""].assign(c_subject=lambda d: d["subject2"], via="second")
    rows = pd.concat([main, second], ignore_index=True)
    rows = rows[rows["c_subject"] != ""]
    if subjects is not None:
        rows = rows[rows["c_subject"].isin(subjects)]
    return rows


def exchange_candidates(teachers: pd.DataFrame, cells: pd.DataFrame, schools: pd.DataFrame, config,
                        distances: pd.DataFrame | None = None, pairs: bool = False,
                        kinds: tuple = ("short",)) -> pd.DataFrame:
    """Candidate moves (see module docstring). ``pairs`` adds two-way (对调) candidates; ``kinds`` =
    ("pair",) gives only those."""
    sch = school_table(schools, config)
    if pairs and "pair" not in kinds:
        kinds = tuple(kinds) + ("pair",)
    movers = teachers[teachers["mover"]]
    cols = ["teacher_id", "school_id", "county", "t_stage", "c_subject", "via", "standard_load"]
    rows = _teacher_subject_rows(movers)[cols]
    parts = []
    if "short" in kinds:
        short = cells[cells["gap0"] > 0][["cell", "school_id", "stage", "subject", "county", "gap0", "load"]]
        short = short.rename(columns={"school_id": "to_school", "subject": "c_subject"})
        parts.append(rows.merge(short, on=["county", "c_subject"], how="inner").assign(kind="short"))
    cand = pd.concat(parts, ignore_index=True) if parts else None
    if "pair" in kinds:
        # receiving cells without shortage that have a mover of their own in the same subject and stage
        own = _teacher_subject_rows(movers)[["school_id", "t_stage", "c_subject", "county"]].drop_duplicates()
        own = own.rename(columns={"school_id": "to_school", "t_stage": "stage"})
        flat = cells[cells["gap0"] <= 0][["cell", "school_id", "stage", "subject", "gap0", "load"]]
        flat = flat.rename(columns={"school_id": "to_school", "subject": "c_subject"})
        own = own.merge(flat, on=["to_school", "stage", "c_subject"], how="inner")
        pc = rows.merge(own, on=["county", "c_subject"], how="inner")
        pc["kind"] = "pair"
        cand = pd.concat([cand, pc], ignore_index=True) if cand is not None else pc
    cand = cand[(cand["to_school"] != cand["school_id"]) & _stage_ok(cand["t_stage"], cand["stage"])]
    legal, label = _direction(cand["school_id"], cand["to_school"], sch, config)
    cand = cand[legal].assign(direction=label[legal])
    cand["km"] = pair_km(schools, cand["school_id"], cand["to_school"], config, distances)
    max_km = float(config["exchange.max_km"])
    if max_km > 0:
        cand = cand[cand["km"] <= max_km]
    cand = cand.rename(columns={"school_id": "from_school", "c_subject": "subject"})
    k_t = int(config["exchange.candidates_per_teacher"])
    k_c = int(config["exchange.candidates_per_cell"])
    k_p = int(config["exchange.pair_candidates_per_teacher"])
    sh = _prune(cand[cand["kind"] == "short"], ["teacher_id"], k_t, ["cell"], k_c)
    pr = _prune(cand[cand["kind"] == "pair"], ["teacher_id"], k_p, ["cell"], k_p)
    cand = pd.concat([sh, pr], ignore_index=True)
    # a teacher may appear for the same receiving school once per subject: keep the nearest stage/kind
    cand = cand.drop_duplicates(["teacher_id", "to_school", "cell"])
    cand["cost_km"] = cand["km"].fillna(float(config["exchange.unknown_km"]))
    # what the move brings to the receiving cell and takes from the sending cells
    # a teacher who moves teaches a full standard load of the receiving subject there
    cand["offer"] = cand["cell"].map(cells.set_index("cell")["load"]).astype(float)
    tinfo = teachers.set_index("teacher_id")
    cand = cand.merge(_out_cells(teachers, cells), on="teacher_id", how="left")
    if not bool(config["exchange.second_subject_in_send_rule"]) and len(cand):
        # the second-subject cell is checked here, per teacher: leaving must not push it beyond the tolerance
        c2 = cells.set_index("cell")
        g2 = cand["out_second"].map(c2["gap0"]).to_numpy(float)
        l2 = cand["out_second"].map(c2["load"]).to_numpy(float)
        blocked = (cand["out_second"].to_numpy() >= 0) & (
            g2 + cand["loss_second"].to_numpy(float) > float(config["exchange.sending_tolerance"]) * l2 + 1e-9)
        cand = cand[~blocked]
    for col, src in (("backbone", "backbone"), ("willing", "willing"), ("from_urban", "urban_school"),
                     ("must", "must")):
        cand[col] = _take(tinfo, src, cand["teacher_id"], False).astype(bool)
    cand = cand.sort_values(["teacher_id", "to_school", "cell"], kind="stable").reset_index(drop=True)
    keep = ["teacher_id", "from_school", "to_school", "subject", "stage", "via", "kind", "direction", "cell",
            "gap0", "km", "cost_km", "offer", "out_main", "loss_main", "out_second", "loss_second",
            "backbone", "willing", "from_urban", "must"]
    return cand[keep]


def _out_cells(teachers: pd.DataFrame, cells: pd.DataFrame) -> pd.DataFrame:
    """For each teacher: the cells they leave (main and second subject) and the periods lost there."""
    key = cells.set_index(["school_id", "stage", "subject"])["cell"]
    key_nostage = cells.drop_duplicates(["school_id", "subject"]).set_index(["school_id", "subject"])["cell"]

    def lookup(subject_col):
        idx = pd.MultiIndex.from_arrays([teachers["school_id"], teachers["t_stage"], teachers[subject_col]])
        found = pd.Series(key.reindex(idx).to_numpy(), index=teachers.index)
        idx2 = pd.MultiIndex.from_arrays([teachers["school_id"], teachers[subject_col]])
        alt = pd.Series(key_nostage.reindex(idx2).to_numpy(), index=teachers.index)
        return found.fillna(alt).fillna(-1).astype(int)

    out = pd.DataFrame({"teacher_id": teachers["teacher_id"],
                        "out_main": lookup("subject"), "loss_main": teachers["periods_main"].astype(float),
                        "out_second": lookup("subject2"), "loss_second": teachers["periods_second"].astype(float)})
    out.loc[teachers["subject2"].to_numpy() == "", "out_second"] = -1
    out.loc[out["out_second"] == out["out_main"], "out_second"] = -1
    out.loc[out["out_second"] < 0, "loss_second"] = 0.0
    return out


def zoujiao_candidates(teachers: pd.DataFrame, cells: pd.DataFrame, schools: pd.DataFrame, config,
                       distances: pd.DataFrame | None = None) -> pd.DataFrame:
    """Candidate 走教 rows teacher → host cell (see module docstring)."""
    sch = school_table(schools, config)
    zt = teachers[teachers["zj_cap"] > 0]
    rows = _teacher_subject_rows(zt, set(config["zoujiao.subjects"]))
    rows = rows[["teacher_id", "school_id", "county", "t_stage", "c_subject", "zj_cap", "willing_zoujiao"]]
    hosts = cells[cells["gap0"] > 0][["cell", "school_id", "stage", "subject", "county", "gap0"]]
    hosts = hosts.rename(columns={"school_id": "host", "subject": "c_subject"})
    cand = rows.merge(hosts, on=["county", "c_subject"], how="inner")
    cand = cand[(cand["host"] != cand["school_id"]) & _stage_ok(cand["t_stage"], cand["stage"])]
    if bool(config["zoujiao.same_zone"]):
        za = _take(sch, "zone", cand["school_id"], "")
        zb = _take(sch, "zone", cand["host"], "")
        ga = _take(sch, "group", cand["school_id"], "")
        gb = _take(sch, "group", cand["host"], "")
        cand = cand[((za == zb) & (za != "")) | ((ga == gb) & (ga != ""))]
    cand = cand.assign(km=pair_km(schools, cand["school_id"], cand["host"], config, distances))
    cand = cand[cand["km"] <= float(config["zoujiao.max_km"])]
    k = int(config["zoujiao.candidates_per_teacher"])
    cand = _prune(cand, ["teacher_id"], k, ["cell"], k)
    cand = cand.rename(columns={"school_id": "home", "c_subject": "subject"})
    cand["ub"] = np.minimum(cand["zj_cap"], np.ceil(cand["gap0"] - 1e-9)).astype(float)
    cand = cand[cand["ub"] >= 1]
    cand = cand.sort_values(["teacher_id", "host", "cell"], kind="stable").reset_index(drop=True)
    return cand[["teacher_id", "home", "host", "subject", "stage", "cell", "gap0", "km", "zj_cap", "ub",
                 "willing_zoujiao"]]


def requirements(teachers: pd.DataFrame, config) -> dict:
    """Yearly quota counts for one county (ceil with a guard against 0.05 × 60 = 3.0000000000000004)."""
    on = bool(config["exchange.share_rules_on"])
    base = int(teachers["base"].sum())
    must_urban = int((teachers["must"] & teachers["urban_school"]).sum())

    def ceil_share(share, n):
        return int(math.ceil(float(share) * n - 1e-9)) if on and share > 0 else 0

    return {
        "base": base,
        "must": int(teachers["must"].sum()),
        "movers": int(teachers["mover"].sum()),
        "backbone_movers": int((teachers["mover"] & teachers["backbone"]).sum()),
        "must_urban": must_urban,
        "quota": ceil_share(config["exchange.min_share_compulsory"], base),
        "quota_urban": ceil_share(config["exchange.min_share_eligible_urban"], must_urban),
        "backbone_share": float(config["exchange.min_share_backbone"]) if on else 0.0,
        "share_compulsory": float(config["exchange.min_share_compulsory"]),
        "share_urban": float(config["exchange.min_share_eligible_urban"]),
    }


def county_candidates(county: str, teachers: pd.DataFrame, cells: pd.DataFrame, schools: pd.DataFrame, config,
                      distances: pd.DataFrame | None = None) -> CandidateSet:
    """The CandidateSet of one county (pairs added only when the share rules need more moves than the
    shortages can absorb)."""
    tc = teachers[teachers["county"] == county].reset_index(drop=True)
    cc = cells[cells["county"] == county].reset_index(drop=True)
    req = requirements(tc, config)
    ex = exchange_candidates(tc, cc, schools, config, distances)
    absorb = _absorbable(ex, cc)
    urban_absorb = ex.loc[ex["from_urban"], "teacher_id"].nunique() if len(ex) else 0
    need_pairs = req["quota"] > absorb or req["quota_urban"] > urban_absorb
    if need_pairs:
        pairs = exchange_candidates(tc, cc, schools, config, distances, kinds=("pair",))
        ex = pd.concat([ex, pairs], ignore_index=True).sort_values(["teacher_id", "to_school", "cell"],
                                                                  kind="stable").reset_index(drop=True)
    zj = zoujiao_candidates(tc, cc, schools, config, distances)
    req["pairs"] = bool(need_pairs)
    req["absorbable"] = int(absorb)
    req["movers_with_candidates"] = int(ex["teacher_id"].nunique()) if len(ex) else 0
    return CandidateSet(str(county), tc, cc, ex, zj, req)


def counties(teachers: pd.DataFrame) -> list[str]:
    return sorted(set(teachers["county"].astype(str)))


def build_candidate_sets(teachers: pd.DataFrame, cells: pd.DataFrame, schools: pd.DataFrame, config,
                         distances: pd.DataFrame | None = None) -> list[CandidateSet]:
    """One CandidateSet per county, in county order."""
    return [county_candidates(c, teachers, cells, schools, config, distances) for c in counties(teachers)]


def _absorbable(ex: pd.DataFrame, cells: pd.DataFrame) -> int:
    """Upper estimate of moves the shortages can take: min(distinct teachers, Σ ceil(gap / load))."""
    if ex.empty:
        return 0
    used = cells[cells["cell"].isin(ex["cell"].unique())]
    slots = int(np.ceil(used["gap0"].clip(lower=0) / used["load"] - 1e-9).sum())
    return int(min(ex["teacher_id"].nunique(), slots))
