"""The rotation MILPs (交流轮岗, then 走教), built from one county's candidate frames, one pass per family.

Exchange and 走教 are solved as two passes per county: first the exchange model, then the 走教 model on the
gaps that remain, with the teachers who move left out.  The second pass cannot undo the first's guarantees:
a 走教 teacher keeps every period at the home school (走教 uses spare capacity above the current load), so no
cell loses periods, the sending rule and the share rules of the exchange plan still hold, and coverage only
grows.

Exchange model (one county)
---------------------------
Teachers the model cannot tell apart form groups (``candidates.mover_groups``: same school, stage, subjects,
periods, 骨干, scope and term); the model decides how many of a group move where, and the published priority
(``candidates.PRIORITY``: 应交流, 愿意, 优秀, longer years at the school, 教师编号) names them afterwards.  So
equivalent plans differ only in names, and names are fixed by that rule, whichever solver or seed is used.
Between different groups that do equally well the same priority is a tie-break term of the objective
(``tie_break``), and the pairing of the chosen movers of one school and subject with their destinations is
fixed afterwards (``candidates.canonical_pairing``: priority order, nearest destination first).

Variables
  X[i]   integer 0 … size of the group, one per candidate row (group → receiving cell)
  u[c]   continuous ≥ 0: shortage periods left in cell c after the plan (every cell a candidate touches)
  s_quota, s_quota_urban, s_backbone   continuous ≥ 0: named elastic slacks of the share rules (→ 诊断)

Constraint families (named ``family_key``; keys kept in ``Model.families``), all in weekly periods
  one_move[g]  Σ_{i∈g} X ≤ size_g                                         each teacher at most one move
  receive[c]   Σ_in X − Σ_out(main) X ≤ slots_c (candidates.arrival_slots: ceil(r_c / load_c), r_c the receivable
               gap — gap0_c capped by the school's shortage in the subject over its 小学 + 初中 cells — and for a
               receiving cell at most floor(r_c / load_c − threshold) + 1)
               a cell takes at most as many teachers as its shortage needs plus those it sends away — a cell
               below the shortage threshold has no candidate arrivals except two-way swaps (双向对调)
  receive_seq[c]  Σ_in offer · X − Σ_out periods · X ≤ gap0_c + (1 − threshold) · load_c for every receiving cell
               (gap0 as the threshold judges it, forecast.gaps.threshold_gap: the larger of the exact gap and the
               shown 缺口人数 × load), and receive_school[s, subject] the same over a school's compulsory stages in FTE
               (Σ (offer in − periods out) ÷ load ≤ Σ gap0 ÷ load + 1 − threshold, over the cells of a 九年一贯制's
               小学 and 初中 in the subject):
               each arrival finds the cell still short by the threshold, so it ends with at most (1 − threshold) FTE
               surplus (a cell short 20 periods at load 14 takes one teacher, not two: the second would find 6 < 7)
  cover[c]     u_c + Σ_in offer · X − Σ_out(main) periods_main · X − Σ_out(second) periods_second · X ≥ gap0_c
  send[c]      Σ_out periods_main · X + Σ_out(second) periods_second · X − Σ_in offer · X ≤ allow_c
               allow_c = tolerance · load_c − gap0_c for a cell without shortage (gap0 ≤ 0: it may end short by
               at most ``exchange.sending_tolerance`` FTE), 0 for a cell already short (it may not get shorter);
               every leaver counts their actual periods in main and second subject, every arrival the periods
               they will teach there (the receiving cell's standard load).  Hard: no slack (doing nothing keeps
               it), so a conflict with a share rule shows as that rule's slack.  The allowance uses the larger of
               the exact gap and the gap 学科缺口 shows (0.1 periods), so the rule holds on the published figures.
  send_school[s, subject]   the same over a school's compulsory stages (a 九年一贯制's 小学 and 初中 cells of one
               subject, Σ of their terms ≤ tolerance · smaller load − Σ gap0, or 0 when Σ gap0 > 0)
  quota        Σ X + s_quota ≥ ceil(min_share_compulsory · compulsory 专任教师)          } only when
  quota_urban  Σ_{from 城镇/优质} X + s_quota_urban ≥ ceil(min_share_eligible_urban · 应交流 there) } share_rules_on
               (exchange.urban_share_scope = "school": one row per such school, over its own 应交流 teachers)
  backbone     Σ (backbone_g − min_share_backbone) · X + s_backbone ≥ 0                      }
  max_moves    Σ X ≤ ceil(max_share · compulsory 专任教师) (only when exchange.max_share > 0; the same rounding
               as the quota, so max_share = min_share_compulsory is feasible)

  swap[A, B, stage, subject]   Σ X of "pair" rows A → B ≤ Σ X of the rows B → A in that stage and subject: a move
               into a cell below the shortage threshold is made only as half of a two-way swap (双向对调)

Objective (minimise, in weighted weekly periods)
  W_SLACK · (s_quota + s_quota_urban + s_backbone)                 hard-rule slack first (1e4 per teacher)
  + Σ_c w_c · u_c                                                  weighted shortage periods left (w = 1 +
      exchange.weight_rural at 乡村/薄弱 schools + exchange.weight_scarce in 紧缺 (走教) subjects)
  + exchange.move_cost · Σ X                                       λ: every move must buy that many periods
  + exchange.km_cost · Σ km · X                                    then the shortest distance
  + TIE_EPS · Σ rank_g · X                                         then the published priority between groups
No per-move bonus: a move is made only when it covers more than it costs, or the quota needs it.

走教 model
----------
  y[j] integer 0 … min(spare capacity, ceil(remaining gap)) per candidate row (teacher → host cell); the
  remaining gap is the smaller of the exact one and the one 缺口覆盖 shows (0.1 period);
  z[h] binary per (teacher, host school).
  zj_load[t] Σ y ≤ spare_t;  zj_link[h] Σ_{j∈h} y − ub_h · z_h ≤ 0;  zj_hosts[t] Σ z ≤ zoujiao.max_hosts;
  zj_cell[c] Σ y ≤ ceil(remaining gap_c, capped by the school's subject over all its stages in periods);
  zj_home[s, subject] Σ y of the school's teachers in the subject ≤ Σ their spare periods (as for zj_load), and 0
  when the school itself is still short of the subject (home first; no two schools lend each other a subject);
  zj_host[s, subject] Σ y into the school's cells of the subject ≤ min(Σ of their zj_cell caps, ceil(the school's
  remaining gap in the subject over all its stages)) − Σ the spare periods of the school's own teachers of the
  subject (what they can cover is not brought in from outside);
  zj_budget (if zoujiao.budget_cap > 0):
  months · weeks · (per_trip · (Σ y / ppt + (ppt − 1)/ppt · Σ z) + per_period · Σ y) ≤ budget_cap
  (an upper bound of the real subsidy with trips = ceil(periods / ppt) per host, so the cap always holds).
  Objective: − W_COV · w_c · y  + per-period travel (2 · km · W_KM + W_SUBSIDY · weeks · per_trip) / ppt
  + W_SUBSIDY · weeks · per_period, + half a trip per used host (z), + EPS tie-break.

``build_model`` adds each family in one pass: all terms of a family form one long (key, variable,
coefficient) array, grouped once; each group becomes one ``LpAffineExpression``.  ``build_model_naive``
builds the same exchange model the slow way (per-constraint filtering and ``lpSum``); it exists only for the
benchmark and a test.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pulp

from ..forecast.gaps import shown_periods, threshold_gap
from .candidates import COMPULSORY_STAGES, CandidateSet, arrival_slots, receivable_gap, row_rank

W_SLACK = 1e4
W_COV = 100.0
W_KM = 1.0
W_SUBSIDY = 0.1
EPS = 1e-3
TIE_EPS = 1e-4

SLACK_FAMILIES = {"quota": "年度交流人数不少于义务教育教师的规定比例", "quota_urban": "城镇/优质学校应交流教师的交流比例",
                  "backbone": "骨干教师占交流人数的比例"}


@dataclass
class Model:
    """A built model and its labelled variables."""

    prob: pulp.LpProblem
    data: CandidateSet
    x: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))      # per exchange row
    slacks: pd.DataFrame = field(default_factory=pd.DataFrame)                      # family, key, required, var
    u: pd.Series = field(default_factory=lambda: pd.Series(dtype=object))          # cell → shortage left
    y: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))      # per 走教 row
    hosts: pd.DataFrame = field(default_factory=pd.DataFrame)                       # teacher × host: z
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)                        # 走教 rows used
    families: dict = field(default_factory=dict)
    build_s: float = 0.0


def _var(prob, name, low=None, up=None, cat=pulp.LpContinuous):
    return prob.add_variable(name, low, up, cat) if hasattr(prob, "add_variable") else \
        pulp.LpVariable(name, low, up, cat)


def _grouped(key, vid, coef):
    """Yield (key, vids, coefs) per key with duplicates merged — one sort for the whole family."""
    if len(key) == 0:
        return
    df = pd.DataFrame({"key": np.asarray(key), "vid": np.asarray(vid, dtype=np.int64),
                       "coef": np.asarray(coef, dtype=float)})
    df = df.groupby(["key", "vid"], sort=True, as_index=False)["coef"].sum()
    keys = df["key"].to_numpy()
    vids = df["vid"].to_numpy()
    coefs = df["coef"].to_numpy()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    ends = np.r_[starts[1:], len(keys)]
    for s, e in zip(starts.tolist(), ends.tolist()):
        yield keys[s], vids[s:e], coefs[s:e]


def _add_family(prob, V, name, key, vid, coef, sense, rhs, families, min_terms=1):
    """One constraint per key: Σ coef · V[vid] (sense) rhs[key] (``rhs`` a dict or a number)."""
    names = []
    for k, vids, coefs in _grouped(key, vid, coef):
        if len(vids) < min_terms:
            continue
        expr = pulp.LpAffineExpression(zip(V[vids].tolist(), coefs.tolist()))
        b = float(rhs[k] if isinstance(rhs, dict) else rhs)
        prob.addConstraint(pulp.LpConstraint(expr, sense, f"{name}_{k}", b))
        names.append(k)
    families[name] = names


# --- exchange ---------------------------------------------------------------------------------------

def send_allowance(cells: pd.DataFrame, config) -> pd.Series:
    """Periods a cell may lose net (cell → periods): tolerance · load − gap0 without shortage, 0 when short.
    The gap is the larger of the exact one and the one 学科缺口 shows (0.1 periods), so that the rule holds on the
    published figures as well: a surplus of 12.3337 shown as 12.3 allows 0.5 · 12 + 12.3 = 18.3 periods, not 18.3337."""
    c = cells.set_index("cell")
    tol = float(config["exchange.sending_tolerance"])
    gap = np.maximum(c["gap0"], shown_periods(c["gap0"].to_numpy(float)))
    return (tol * c["load"] - gap).where(c["gap0"] <= 0, 0.0).clip(lower=0.0)


def school_subject_groups(cells: pd.DataFrame, config) -> tuple[pd.Series, pd.Series]:
    """The sending rule for a school's subject as a whole: a school with the same subject in two compulsory stages
    (a 九年一贯制's 小学 and 初中 语文) may not be left, over both stages, with a new shortage beyond the tolerance
    (tolerance · the smaller standard load) or a deeper one (domain.md §6: "a sending school must not be left with a
    new or deeper shortage in the subject").  Returns (cell → group key, group key → periods the group may lose
    net), the group's gap being the larger of Σ exact and Σ shown gaps.  Only groups of two or more cells."""
    c = cells[cells["stage"].isin(COMPULSORY_STAGES)]
    c = c[c.groupby(["school_id", "subject"])["cell"].transform("size") >= 2]
    if c.empty:
        return pd.Series(dtype=np.int64), pd.Series(dtype=float)
    key = c.groupby(["school_id", "subject"], sort=True).ngroup().to_numpy()
    g = pd.DataFrame({"key": key, "gap": c["gap0"].to_numpy(float),
                      "shown": shown_periods(c["gap0"].to_numpy(float)), "load": c["load"].to_numpy(float)})
    g = g.groupby("key").agg(gap=("gap", "sum"), shown=("shown", "sum"), load=("load", "min"))
    tol = float(config["exchange.sending_tolerance"])
    short = (g["gap"] > 1e-9) | (g["shown"] > 1e-9)
    allow = (tol * g["load"] - np.maximum(g["gap"], g["shown"])).where(~short, 0.0).clip(lower=0.0)
    return pd.Series(key, index=c["cell"].to_numpy()), allow


def period_terms(ex: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cell, row, periods) of every candidate row's effect on cells: + offer in the receiving cell, − the
    periods taught in the main and the second subject in the cells left."""
    n = len(ex)
    xi = np.arange(n)
    om, os_ = ex["out_main"].to_numpy(int), ex["out_second"].to_numpy(int)
    cell = np.r_[ex["cell"].to_numpy(int), om[om >= 0], os_[os_ >= 0]]
    row = np.r_[xi, xi[om >= 0], xi[os_ >= 0]]
    per = np.r_[ex["offer"].to_numpy(float), -ex["loss_main"].to_numpy(float)[om >= 0],
                -ex["loss_second"].to_numpy(float)[os_ >= 0]]
    return cell, row, per


def _slot_frame(cset: CandidateSet) -> pd.DataFrame:
    """Arrival slots of the short receiving cells: cell, k, v = min(load, gap0 − (k − 1) · load) periods."""
    c = cset.cells.set_index("cell")
    recv = np.unique(cset.exchange["cell"].to_numpy())
    recv = recv[c["gap0"].reindex(recv).fillna(0).to_numpy() > 0]
    gap, load = c["gap0"].reindex(recv).to_numpy(float), c["load"].reindex(recv).to_numpy(float)
    k_n = np.ceil(gap / load - 1e-9).astype(int)
    cell = np.repeat(recv, k_n)
    k = np.arange(k_n.sum()) - np.repeat(np.cumsum(k_n) - k_n, k_n) + 1
    v = np.minimum(np.repeat(load, k_n), np.repeat(gap, k_n) - (k - 1) * np.repeat(load, k_n))
    return pd.DataFrame({"cell": cell, "k": k, "v": v})


def _slack_frame(cset: CandidateSet) -> pd.DataFrame:
    req, ex = cset.requirements, cset.exchange
    rows = []
    if req.get("quota", 0) > 0:
        rows.append({"family": "quota", "key": -1, "required": float(req["quota"]), "school": ""})
    if req.get("quota_urban_schools"):     # exchange.urban_share_scope = "school": one row per school
        rows += [{"family": "quota_urban", "key": i, "required": float(n), "school": s}
                 for i, (s, n) in enumerate(sorted(req["quota_urban_schools"].items()))]
    elif req.get("quota_urban", 0) > 0:
        rows.append({"family": "quota_urban", "key": -1, "required": float(req["quota_urban"]), "school": ""})
    if req.get("backbone_share", 0) > 0 and len(ex):
        rows.append({"family": "backbone", "key": -1, "required": 0.0, "school": ""})
    return pd.DataFrame(rows, columns=["family", "key", "required", "school"]).astype({"school": object})


def touched_cells(cset: CandidateSet) -> np.ndarray:
    """Cells whose periods some candidate row changes (sorted)."""
    cell, _, _ = period_terms(cset.exchange)
    return np.unique(cell)


def tie_break(cset: CandidateSet) -> np.ndarray:
    """TIE_EPS × the rank of the row's group among the groups of its sending school with a row in the same subject
    (``candidates.row_rank``, PRIORITY): between groups that do equally well, the published priority decides
    inside the model (≤ 1e-3 for 10 groups = one km of ``km_cost``; a step of 1e-4 stays above CBC's cutoff
    increment), so every solver that proves the optimum returns the same plan."""
    return TIE_EPS * row_rank(cset.teachers, cset.exchange)


def move_costs(cset: CandidateSet, config, move_cost: float | None = None) -> np.ndarray:
    """Objective coefficient of each candidate row: λ + km_cost · km + tie-break."""
    lam = float(config["exchange.move_cost"]) if move_cost is None else float(move_cost)
    return lam + float(config["exchange.km_cost"]) * cset.exchange["cost_km"].to_numpy(float) + tie_break(cset)


def _exchange_variables(cset, config, move_cost=None):
    prob = pulp.LpProblem("rotate_exchange", pulp.LpMinimize)
    ex = cset.exchange
    x = np.array([_var(prob, f"x_{i}", 0, float(ub), pulp.LpInteger) for i, ub in enumerate(ex["size"])],
                 dtype=object)
    cells = touched_cells(cset)
    u = np.array([_var(prob, f"u_{c}", 0) for c in cells], dtype=object)
    sl = _slack_frame(cset)
    sl["var"] = [_var(prob, f"s_{f}_all" if k < 0 else f"s_{f}_{k}", 0) for f, k in zip(sl["family"], sl["key"])]
    u = pd.Series(u, index=cells)
    prob.setObjective(_objective(cset, config, x, u, sl, move_cost))
    return prob, x, u, sl


def _objective(cset, config, x, u: pd.Series, sl: pd.DataFrame, move_cost=None) -> pulp.LpAffineExpression:
    """λ · moves (+ km, tie-break) + weighted shortage periods left + W_SLACK · share-rule slacks."""
    weight = cset.cells.set_index("cell")["weight"].reindex(u.index).fillna(1.0).to_numpy(float)
    terms = (list(zip(x.tolist(), move_costs(cset, config, move_cost).tolist()))
             + list(zip(u.tolist(), weight.tolist())) + [(v, W_SLACK) for v in sl["var"]])
    return pulp.LpAffineExpression(terms)


def set_move_cost(model: "Model", config, move_cost: float) -> None:
    """Re-price the moves of a built exchange model at another λ (the 交流方案比较 levels): only the objective
    changes, so the model is not built again."""
    model.prob.setObjective(_objective(model.data, config, model.x, model.u, model.slacks, move_cost))


def build_model(cset: CandidateSet, config, move_cost: float | None = None) -> Model:
    """The county exchange model; every family added in one grouped pass (see module docstring).  ``move_cost``
    replaces λ (``set_move_cost`` re-prices a built model)."""
    t0 = time.perf_counter()
    ex = cset.exchange
    prob, x, u, sl = _exchange_variables(cset, config, move_cost)
    n = len(ex)
    so = n + len(u)                     # slack variables follow x and u in V
    V = np.concatenate([x, u.to_numpy(dtype=object), np.asarray(sl["var"].tolist(), dtype=object)])
    fam: dict = {}
    LE, GE = pulp.LpConstraintLE, pulp.LpConstraintGE
    xi = np.arange(n)
    size = ex["size"].to_numpy(float)
    gcode = ex["grp"].to_numpy()
    multi = np.isin(gcode, pd.Series(gcode).value_counts().index[pd.Series(gcode).value_counts() > 1])
    _add_family(prob, V, "one_move", gcode[multi], xi[multi], np.ones(int(multi.sum())), LE,
                dict(zip(gcode.tolist(), size.tolist())), fam)

    cin = ex["cell"].to_numpy()
    om = ex["out_main"].to_numpy()
    slots = arrival_slots(cset.cells, float(config["shortage.threshold"]))
    keep = np.isin(om, np.unique(cin))
    _add_family(prob, V, "receive", np.r_[cin, om[keep]], np.r_[xi, xi[keep]],
                np.r_[np.ones(n), -np.ones(int(keep.sum()))], LE, slots.to_dict(), fam)

    cell, row, per = period_terms(ex)
    # a teacher is sent only into a cell still short by the threshold when they arrive: after the plan a receiving
    # cell keeps a surplus of at most (1 − threshold) FTE — Σ offer in − Σ periods out ≤ gap0 + (1 − thr) · load
    thr = float(config["shortage.threshold"])
    cl = cset.cells.set_index("cell")
    rc = np.unique(cin[ex["kind"].to_numpy() == "short"])
    in_rc = np.isin(cell, rc)
    load_rc = cl["load"].reindex(rc)
    g_rc = pd.Series(threshold_gap(cl["gap0"].reindex(rc), load_rc), index=rc)   # as the threshold judges it
    _add_family(prob, V, "receive_seq", cell[in_rc], row[in_rc], per[in_rc], LE,
                (g_rc + (1.0 - thr) * load_rc).to_dict(), fam)
    # the same for the school's subject over its compulsory stages (a 九年一贯制's 小学 and 初中 cells), in FTE: the
    # school is short in the subject (domain.md §3), so the last arrival must find Σ (gap ÷ load) ≥ threshold —
    # Σ_cells (offer in − periods out) ÷ load ≤ Σ_cells gap ÷ load + (1 − thr)
    gkey, gallow = school_subject_groups(cset.cells, config)
    if len(gkey):
        in_group = gkey.reindex(rc).dropna()
        if len(in_group):
            members = gkey[gkey.isin(np.unique(in_group.to_numpy()))]
            g_fte = pd.Series(threshold_gap(cl["gap0"].reindex(members.index), cl["load"].reindex(members.index))
                              / cl["load"].reindex(members.index).to_numpy(float), index=members.index)
            rhs = g_fte.groupby(members.to_numpy()).sum() + (1.0 - thr)
            gk = members.reindex(cell).to_numpy(float)
            sel = ~np.isnan(gk)
            _add_family(prob, V, "receive_school", gk[sel].astype(np.int64), row[sel],
                        per[sel] / cl["load"].reindex(cell[sel]).to_numpy(float), LE, rhs.to_dict(), fam)
    upos = n + u.index.get_indexer(u.index)
    gap0 = cset.cells.set_index("cell")["gap0"]
    # receiving cells (short): u = gap0 − cov, cov ≤ net periods in, cov ≤ Σ_k v_k z_k with Σ_k z_k ≤ arrivals —
    # the k-th arrival covers v_k = min(load, gap0 − (k − 1) · load), so the LP relaxation is the concave
    # envelope of the coverage (tighter than u ≥ gap0 − net alone); other cells: u ≥ gap0 − net
    sl_ = _slot_frame(cset)
    recv = sl_["cell"].unique()
    cov = pd.Series([_var(prob, f"cov_{c}", 0) for c in recv], index=recv, dtype=object)
    z = np.array([_var(prob, f"z_{c}_{k}", 0, 1) for c, k in zip(sl_["cell"], sl_["k"])], dtype=object)
    V = np.concatenate([V, cov.to_numpy(dtype=object), z])
    cpos = len(V) - len(z) - len(cov) + np.arange(len(cov))
    zpos = len(V) - len(z) + np.arange(len(z))
    cov_of = dict(zip(recv.tolist(), cpos.tolist()))
    is_recv_u = np.isin(u.index.to_numpy(), recv)
    uc = u.index.to_numpy()
    in_recv = np.isin(cell, recv)
    _add_family(prob, V, "cover", np.r_[cell[~in_recv], uc, uc[is_recv_u]],
                np.r_[row[~in_recv], upos, [cov_of[c] for c in uc[is_recv_u]]],
                np.r_[per[~in_recv], np.ones(len(u)), np.ones(int(is_recv_u.sum()))], GE, gap0.to_dict(), fam)
    _add_family(prob, V, "cov_net", np.r_[cell[in_recv], recv], np.r_[row[in_recv], cpos],
                np.r_[-per[in_recv], np.ones(len(recv))], LE, 0.0, fam)
    _add_family(prob, V, "cov_slot", np.r_[sl_["cell"].to_numpy(), recv], np.r_[zpos, cpos],
                np.r_[-sl_["v"].to_numpy(float), np.ones(len(recv))], LE, 0.0, fam)
    # valid cut on sending cells nobody can arrive in (surplus S = −gap0): u_c ≥ Σ max(0, periods_i − S) · X_i —
    # the first leaver's shortage counted whole, so the LP cannot send a fraction of a teacher up to the surplus
    srows = (per < 0) & ~np.isin(cell, cin)
    excess = -per[srows] + gap0.reindex(cell[srows]).to_numpy(float)
    pos_ = excess > 1e-9
    cut_cells = np.unique(cell[srows][pos_])
    u_of = dict(zip(u.index.tolist(), upos.tolist()))
    _add_family(prob, V, "cover_cut", np.r_[cell[srows][pos_], cut_cells],
                np.r_[row[srows][pos_], [u_of[c] for c in cut_cells]],
                np.r_[-excess[pos_], np.ones(len(cut_cells))], GE, 0.0, fam)
    arr = np.isin(cin, recv)
    _add_family(prob, V, "slot_n", np.r_[sl_["cell"].to_numpy(), cin[arr]], np.r_[zpos, xi[arr]],
                np.r_[np.ones(len(zpos)), -np.ones(int(arr.sum()))], LE, 0.0, fam)
    senders = np.unique(np.r_[om[om >= 0], ex["out_second"].to_numpy()[ex["out_second"].to_numpy() >= 0]])
    in_send = np.isin(cell, senders)
    allow = send_allowance(cset.cells, config)
    _add_family(prob, V, "send", cell[in_send], row[in_send], -per[in_send], LE, allow.to_dict(), fam)
    # the same rule for the school's subject over its compulsory stages (school_subject_groups)
    if len(gkey):
        gk = gkey.reindex(cell).to_numpy(float)
        sending = np.unique(gk[(per < 0) & ~np.isnan(gk)])
        sel = np.isin(gk, sending)
        _add_family(prob, V, "send_school", gk[sel].astype(np.int64), row[sel], -per[sel], LE, gallow.to_dict(),
                    fam)
    # valid count cut for sending cells nobody can arrive in: leavers ≤ floor(allowance / fewest periods lost)
    lose = in_send & (per < 0) & ~np.isin(cell, cin)
    fewest = pd.Series(-per[lose]).groupby(cell[lose]).min()
    cap_n = np.floor(allow.reindex(fewest.index).to_numpy() / fewest.to_numpy() + 1e-9)
    _add_family(prob, V, "send_count", cell[lose], row[lose], np.ones(int(lose.sum())), LE,
                dict(zip(fewest.index.tolist(), cap_n.tolist())), fam)

    # two-way swaps (双向对调): a "pair" row goes into a cell below the shortage threshold, so it may move only as
    # many teachers from A to B as come back from B to A in the same stage and subject (any row kind)
    kind = ex["kind"].to_numpy()
    if (kind == "pair").any():
        fwd = pd.MultiIndex.from_arrays([ex["from_school"], ex["to_school"], ex["stage"], ex["subject"]])
        rev = pd.MultiIndex.from_arrays([ex["to_school"], ex["from_school"], ex["stage"], ex["subject"]])
        keys = fwd[kind == "pair"].unique()
        kp, kr = keys.get_indexer(fwd), keys.get_indexer(rev)
        p_rows, r_rows = (kind == "pair") & (kp >= 0), kr >= 0
        _add_family(prob, V, "swap", np.r_[kp[p_rows], kr[r_rows]], np.r_[xi[p_rows], xi[r_rows]],
                    np.r_[np.ones(int(p_rows.sum())), -np.ones(int(r_rows.sum()))], LE, 0.0, fam)

    share_rows: dict = {}
    for pos, (family, key, required, school) in enumerate(zip(sl["family"], sl["key"], sl["required"], sl["school"])):
        if family == "quota":
            vids, coefs = xi, np.ones(n)
        elif family == "quota_urban":
            sel = ex["from_urban"].to_numpy(bool)
            if school:     # one 城镇/优质 school's own 10 %
                sel = sel & (ex["from_school"].astype(str).to_numpy() == school)
            vids, coefs = xi[sel], np.ones(int(sel.sum()))
        else:   # backbone
            vids, coefs = xi, ex["backbone"].to_numpy(float) - float(cset.requirements["backbone_share"])
        k, v, c, b = share_rows.setdefault(family, ([], [], [], {}))
        k.append(np.full(len(vids) + 1, max(int(key), 0))); v.append(np.r_[vids, so + pos]); c.append(np.r_[coefs, 1.0])
        b[max(int(key), 0)] = float(required)
    for family, (k, v, c, b) in share_rows.items():
        _add_family(prob, V, family, np.concatenate(k), np.concatenate(v), np.concatenate(c), GE, b, fam)
    cap = max_moves(cset, config)
    if cap is not None and n:
        _add_family(prob, V, "max_moves", np.zeros(n, dtype=int), xi, np.ones(n), LE, float(cap), fam)
    return Model(prob, cset, x=x, slacks=sl, u=u, families=fam, build_s=time.perf_counter() - t0)


def max_moves(cset: CandidateSet, config) -> int | None:
    """Optional yearly cap on moves in a county: ceil(exchange.max_share × compulsory teachers) — rounded like
    the quota, so a cap equal to the floor is feasible; None = no cap."""
    share = float(config.get("exchange.max_share", 0.0) or 0.0)
    if share <= 0:
        return None
    return int(math.ceil(share * int(cset.requirements["base"]) - 1e-9))


def build_model_naive(cset: CandidateSet, config) -> Model:
    """Reference: the same exchange model built constraint by constraint, filtering the candidate frame for
    every key and summing with ``pulp.lpSum`` (the pattern style.md warns against). Benchmark/test only."""
    t0 = time.perf_counter()
    ex = cset.exchange
    prob, x, u, sl = _exchange_variables(cset, config)
    slots = arrival_slots(cset.cells, float(config["shortage.threshold"]))
    allow = send_allowance(cset.cells, config)
    cells = cset.cells.set_index("cell")
    rows = range(len(ex))
    for g in sorted(set(ex["grp"])):
        mine = [i for i in rows if ex["grp"].iat[i] == g]
        if len(mine) >= 2:
            prob += pulp.lpSum(x[i] for i in mine) <= float(ex["size"].iat[mine[0]]), f"one_move_{g}"
    for c in sorted(set(ex["cell"])):
        prob += (pulp.lpSum(x[i] for i in rows if ex["cell"].iat[i] == c)
                 - pulp.lpSum(x[i] for i in rows if ex["out_main"].iat[i] == c) <= float(slots[c])), f"receive_{c}"

    def net(c):   # periods the plan adds to cell c
        return (pulp.lpSum(float(ex["offer"].iat[i]) * x[i] for i in rows if ex["cell"].iat[i] == c)
                - pulp.lpSum(float(ex["loss_main"].iat[i]) * x[i] for i in rows if ex["out_main"].iat[i] == c)
                - pulp.lpSum(float(ex["loss_second"].iat[i]) * x[i] for i in rows if ex["out_second"].iat[i] == c))

    for c in u.index:
        prob += net(c) + u[c] >= float(cells.loc[c, "gap0"]), f"cover_{c}"
    thr = float(config["shortage.threshold"])
    for c in sorted(set(ex.loc[ex["kind"] == "short", "cell"])):
        g, ld = float(cells.loc[c, "gap0"]), float(cells.loc[c, "load"])
        prob += net(c) <= float(threshold_gap(g, ld)) + (1 - thr) * ld, f"receive_seq_{c}"
    senders = set(ex.loc[ex["out_main"] >= 0, "out_main"]) | set(ex.loc[ex["out_second"] >= 0, "out_second"])
    for c in sorted(senders):
        prob += -net(c) <= float(allow[c]), f"send_{c}"
    gkey, gallow = school_subject_groups(cset.cells, config)
    for k in sorted(set(gkey.tolist())):
        members = [c for c in gkey.index[gkey == k] if c in senders or c in set(ex["cell"])]
        if any(c in senders for c in members):
            prob += -pulp.lpSum(net(c) for c in members) <= float(gallow[k]), f"send_school_{k}"
    seen: dict = {}
    for i in rows:
        if ex["kind"].iat[i] == "pair":
            a, b, st, sj = ex["from_school"].iat[i], ex["to_school"].iat[i], ex["stage"].iat[i], ex["subject"].iat[i]
            if (a, b, st, sj) not in seen:
                seen[(a, b, st, sj)] = name = f"swap_{len(seen)}"
                prob += (pulp.lpSum(x[j] for j in rows if ex["kind"].iat[j] == "pair" and ex["from_school"].iat[j] == a
                                    and ex["to_school"].iat[j] == b and ex["stage"].iat[j] == st
                                    and ex["subject"].iat[j] == sj)
                         <= pulp.lpSum(x[j] for j in rows if ex["from_school"].iat[j] == b and ex["to_school"].iat[j] == a
                                       and ex["stage"].iat[j] == st and ex["subject"].iat[j] == sj)), name
    for r in sl.itertuples(index=False):
        if r.family == "quota":
            prob += pulp.lpSum(x[i] for i in rows) + r.var >= r.required, "quota_0"
        elif r.family == "quota_urban":
            prob += pulp.lpSum(x[i] for i in rows if ex["from_urban"].iat[i]
                               and (not r.school or str(ex["from_school"].iat[i]) == r.school)) + r.var >= r.required, \
                f"quota_urban_{max(int(r.key), 0)}"
        elif r.family == "backbone":
            share = float(cset.requirements["backbone_share"])
            prob += pulp.lpSum((float(ex["backbone"].iat[i]) - share) * x[i] for i in rows) + r.var >= 0, \
                "backbone_0"
    cap = max_moves(cset, config)
    if cap is not None and len(ex):
        prob += pulp.lpSum(x[i] for i in rows) <= cap, "max_moves_0"
    return Model(prob, cset, x=x, slacks=sl, u=u, families={}, build_s=time.perf_counter() - t0)


# --- 走教 ---------------------------------------------------------------------------------------------

def _subsidy_coefs(config) -> tuple[float, float]:
    """Monthly subsidy per weekly trip and per weekly period."""
    weeks = float(config["zoujiao.weeks_per_month"])
    return weeks * float(config["zoujiao.subsidy_per_trip"]), weeks * float(config["zoujiao.subsidy_per_period"])


def school_spare(cset: CandidateSet, exclude=()) -> pd.Series:
    """(school, subject) → Σ spare periods (``home_spare``: up to the load 走教 may reach) of the school's teachers
    of the subject (main or second), movers in ``exclude`` left out."""
    t = cset.teachers
    t = t[~t["teacher_id"].isin(set(exclude))]
    spare = pd.to_numeric(t.get("home_spare", pd.Series(0.0, index=t.index)), errors="coerce").fillna(0.0)
    rows = pd.concat([pd.DataFrame({"school_id": t["school_id"], "subject": t[col], "spare": spare})
                      for col in ("subject", "subject2")], ignore_index=True)
    rows = rows[rows["subject"].astype(str) != ""]
    return rows.groupby([rows["school_id"].astype(str), rows["subject"].astype(str)])["spare"].sum()


def home_spare_left(cset: CandidateSet, remaining: pd.Series, have: pd.Series) -> pd.Series:
    """(school, subject) → whole periods the school's teachers may teach that subject elsewhere: their spare periods
    ``have`` (``school_spare``) when the school lacks nothing in the subject after the exchanges (no receivable gap,
    exact or shown at 0.1 period), else 0 — a school short of a subject keeps its teachers' spare periods at home."""
    c = cset.cells
    gap = receivable_gap(c, remaining, periods=True).to_numpy(float)
    gap = np.maximum(np.maximum(gap, shown_periods(gap)), 0.0)
    need = pd.Series(gap).groupby([c["school_id"].astype(str).to_numpy(), c["subject"].astype(str).to_numpy()]).sum()
    short = need.reindex(have.index).fillna(0.0) > 1e-9
    return np.floor(have + 1e-9).where(~short, 0.0).clip(lower=0.0)


def _per_row(zj: pd.DataFrame, school_col: str, by_school_subject: pd.Series) -> np.ndarray:
    """Each 走教 row's value of a (school, subject) series, for its ``school_col`` school (missing → 0)."""
    if not len(zj):
        return np.zeros(0)
    key = pd.MultiIndex.from_frame(zj[[school_col, "subject"]].astype(str))
    return np.nan_to_num(by_school_subject.reindex(key).to_numpy(float), nan=0.0)


def whole_periods(gap: pd.Series) -> pd.Series:
    """The whole 走教 periods a remaining gap takes: ceil of the smaller of the exact gap and the one 缺口覆盖 shows
    (0.1 period), never below 0 — a gap of 6.03 shown as 6.0 takes 6 periods, 4.3 takes 5, a surplus none."""
    shown = np.minimum(gap, shown_periods(gap.to_numpy(float)))
    return np.ceil(shown.clip(lower=0.0) - 1e-9).clip(lower=0.0)


def build_zoujiao_model(cset: CandidateSet, config, remaining: pd.Series, exclude=()) -> Model:
    """The county 走教 model on the remaining gaps (cell → periods), teachers in ``exclude`` left out."""
    t0 = time.perf_counter()
    zj = cset.zoujiao
    # the gap left after the exchanges, capped by the school's subject over all its stages (periods)
    rem = receivable_gap(cset.cells, remaining, periods=True).clip(lower=0)
    cap_cell = whole_periods(rem)     # (the sheet must never show 走教 7 against a gap printed 6.0)
    zj = zj[~zj["teacher_id"].isin(set(exclude))].copy()
    zj["ub"] = np.minimum(zj["zj_cap"], zj["cell"].map(cap_cell).fillna(0)).astype(float)
    # home first: a school still short of a subject after the exchanges lends no teacher of it — its teachers' spare
    # periods stay at home — and no two schools swap the same subject
    have = school_spare(cset, exclude)
    out_cap = home_spare_left(cset, remaining, have)
    # and a host school takes 走教 only for what its own teachers' spare periods in the subject cannot cover
    # — and, over all its stages together, not beyond the whole periods the school still lacks in the subject
    cells = cset.cells.assign(cap=cset.cells["cell"].map(cap_cell).fillna(0.0).to_numpy(float),
                              left=cset.cells["cell"].map(remaining).fillna(0.0).to_numpy(float))
    by = [cells["school_id"].astype(str), cells["subject"].astype(str)]
    school_left = cells.groupby(by)["left"].sum()
    school_cap = whole_periods(school_left)
    host_need = np.minimum(cells.groupby(by)["cap"].sum(), school_cap)
    in_cap = host_need.sub(have.reindex(host_need.index).fillna(0.0)).clip(lower=0.0)
    zj["ub"] = np.minimum(zj["ub"], np.minimum(_per_row(zj, "home", out_cap), _per_row(zj, "host", in_cap)))
    zj = zj[zj["ub"] >= 1].reset_index(drop=True)
    prob = pulp.LpProblem("rotate_zoujiao", pulp.LpMinimize)
    m = len(zj)
    y = np.array([_var(prob, f"y_{j}", 0, float(ub), pulp.LpInteger) for j, ub in enumerate(zj["ub"])], dtype=object)
    hosts = zj.groupby(["teacher_id", "host"], sort=True, as_index=False).agg(
        km=("km", "first"), ub=("ub", "sum"), cap=("zj_cap", "first"))
    hosts["ub"] = np.minimum(hosts["ub"], hosts["cap"])
    nh = len(hosts)
    hosts["z"] = [_var(prob, f"z_{h}", 0, 1, pulp.LpBinary) for h in range(nh)]
    ppt = float(max(1, int(config["zoujiao.periods_per_trip"])))
    per_trip, per_period = _subsidy_coefs(config)
    trip_cost = W_KM * 2 * zj["km"].to_numpy(float) + W_SUBSIDY * per_trip
    w = zj["cell"].map(cset.cells.set_index("cell")["weight"]).fillna(1).to_numpy(float)
    cy = -W_COV * w + trip_cost / ppt + W_SUBSIDY * per_period + EPS * (np.arange(m) + 1) / max(m, 1)
    cz = 0.5 * (W_KM * 2 * hosts["km"].to_numpy(float) + W_SUBSIDY * per_trip)
    prob.setObjective(pulp.LpAffineExpression(list(zip(y.tolist(), cy.tolist()))
                                              + list(zip(hosts["z"].tolist(), cz.tolist()))))
    V = np.concatenate([y, np.asarray(hosts["z"].tolist(), dtype=object)])
    fam: dict = {}
    LE = pulp.LpConstraintLE
    tcode, tnames = pd.factorize(zj["teacher_id"], sort=True)
    cap_t = zj.groupby("teacher_id")["zj_cap"].first().reindex(tnames).to_numpy(float)
    _add_family(prob, V, "zj_load", tcode, np.arange(m), np.ones(m), LE, dict(enumerate(cap_t.tolist())), fam,
                min_terms=2)
    hy = hosts.reset_index().set_index(["teacher_id", "host"])["index"].reindex(
        pd.MultiIndex.from_frame(zj[["teacher_id", "host"]])).to_numpy()
    _add_family(prob, V, "zj_link", np.r_[hy, np.arange(nh)], np.r_[np.arange(m), np.arange(nh) + m],
                np.r_[np.ones(m), -hosts["ub"].to_numpy(float)], LE, 0.0, fam)
    max_hosts = int(config["zoujiao.max_hosts"])
    th = pd.Index(tnames).get_indexer(hosts["teacher_id"])
    counts = np.bincount(th, minlength=len(tnames)) if nh else np.array([], dtype=int)
    many = counts[th] > max_hosts if nh else np.array([], dtype=bool)
    _add_family(prob, V, "zj_hosts", th[many], (np.arange(nh) + m)[many], np.ones(int(many.sum())), LE,
                float(max_hosts), fam)
    _add_family(prob, V, "zj_cell", zj["cell"].to_numpy(), np.arange(m), np.ones(m), LE,
                cap_cell.to_dict(), fam, min_terms=2)
    hcode, hkeys = pd.factorize(pd.MultiIndex.from_frame(zj[["home", "subject"]].astype(str)), sort=True)
    _add_family(prob, V, "zj_home", hcode, np.arange(m), np.ones(m), LE,
                dict(enumerate(out_cap.reindex(hkeys).fillna(0.0).tolist())), fam, min_terms=2)
    icode, ikeys = pd.factorize(pd.MultiIndex.from_frame(zj[["host", "subject"]].astype(str)), sort=True)
    _add_family(prob, V, "zj_host", icode, np.arange(m), np.ones(m), LE,
                dict(enumerate(in_cap.reindex(ikeys).fillna(0.0).tolist())), fam, min_terms=2)
    budget = float(config["zoujiao.budget_cap"])
    if budget > 0 and m:
        months = float(config["zoujiao.months_per_year"])
        _add_family(prob, V, "zj_budget", np.zeros(m + nh, dtype=int), np.arange(m + nh),
                    np.r_[np.full(m, months * (per_trip / ppt + per_period)),
                          np.full(nh, months * per_trip * (ppt - 1) / ppt)], LE, budget, fam)
    return Model(prob, cset, y=y, hosts=hosts, rows=zj, families=fam, build_s=time.perf_counter() - t0)
