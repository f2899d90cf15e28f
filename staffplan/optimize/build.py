"""The rotation MILPs (交流轮岗, then 走教), built from one county's candidate frames, one pass per family.

Exchange and 走教 are solved **sequentially** per county: first the exchange model, then the 走教 model on the
gaps that remain after the chosen exchanges, with the teachers who move excluded.  (A joint model couples the
two through period-weighted coverage rows that make the LP relaxation fractional; sequential keeps both
models close to network flows, which CBC solves in seconds for 10,000 teachers.)

Exchange model
--------------
Variables
  x[i]        binary, one per candidate row (teacher → receiving cell)
  s_quota, s_quota_urban, s_backbone, s_send[c]   continuous ≥ 0: named elastic slacks of every hard rule

Constraint families (named ``family_key``; keys kept in ``Model.families``)
  one_move[t]   Σ_{i∈t} x ≤ 1                                          each teacher at most one move
  receive[c]    Σ_in x − Σ_out(main) x ≤ slots_c = ceil(max(gap0_c, 0) / load_c)
                a cell takes at most as many teachers as its shortage needs plus those it sends away — a cell
                without shortage only receives in exchange for its own teacher (two-way flow, 双向对调)
  send[c]       Σ_out x (+ Σ_out2 loss2/load_c · x if configured) − Σ_in min(1, offer/load_c) · x
                − s_send_c ≤ floor((max(0, −gap0_c) + sending_tolerance · load_c) / load_c)
                the sending school is not left with a new/deeper shortage beyond the tolerance unless a teacher
                of the same subject comes in (counted in teachers: a conservative, integral form of the rule in
                periods — see ``send_coefficients``)
  quota         Σ x + s_quota ≥ ceil(min_share_compulsory · compulsory 专任教师)         } only when
  quota_urban   Σ_{from 城镇/优质} x + s_quota_urban ≥ ceil(min_share_eligible_urban · 应交流 there) } share_rules_on
  backbone      Σ (backbone_i − min_share_backbone) · x + s_backbone ≥ 0                   }

Objective (minimise; weighted lexicographic, each weight dominating the realistic range of the next)
  1) W_SEND · s_send_c (1e7 per teacher) + W_SLACK · (s_quota + s_quota_urban + s_backbone) (1e6 per
     teacher) — hard-rule slack first; the sending rule weighs 10× so a shortfall shows on the share rules;
  2) − W_COV · (w_in · v_in − w_out · v_out) · x  (W_COV = 100 per period): v_in = periods the move covers in a
     short receiving cell = min(offer, gap0 / slots) (a slot's share of the gap), v_out = the same value of a
     slot of the short cell the teacher leaves; w = 1 + exchange.weight_rural (乡村/薄弱 school)
     + exchange.weight_scarce (走教 subjects = 紧缺学科);
  3) + W_KM · km · x (1 per km; unknown distance → exchange.unknown_km);
  4) − W_PREF · 愿意交流 (2) − W_MUST · 应交流 (5): willing teachers, and 应交流 before volunteers;
  5) + EPS · rank / n (≤ 1e-3): deterministic tie-break by the stable sorted row order.

走教 model
----------
  y[j] integer 0 … min(spare capacity, ceil(remaining gap)) per candidate row (teacher → host cell);
  z[h] binary per (teacher, host school).
  zj_load[t] Σ y ≤ spare_t;  zj_link[h] Σ_{j∈h} y − ub_h · z_h ≤ 0;  zj_hosts[t] Σ z ≤ zoujiao.max_hosts;
  zj_cell[c] Σ y ≤ ceil(remaining gap_c);  zj_budget (if zoujiao.budget_cap > 0):
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

from .candidates import CandidateSet

W_SEND = 1e7
W_SLACK = 1e6
W_COV = 100.0
W_KM = 1.0
W_SUBSIDY = 0.1
W_PREF = 2.0
W_MUST = 5.0
EPS = 1e-3

SLACK_FAMILIES = {"quota": "年度交流人数不少于义务教育教师的规定比例", "quota_urban": "城镇/优质学校应交流教师的交流比例",
                  "backbone": "骨干教师占交流人数的比例", "send": "派出学校不新增学科缺口"}


@dataclass
class Model:
    """A built model and its labelled variables."""

    prob: pulp.LpProblem
    data: CandidateSet
    x: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))      # per exchange row
    slacks: pd.DataFrame = field(default_factory=pd.DataFrame)                      # family, key, required, var
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

def cell_slots(cells: pd.DataFrame) -> pd.Series:
    """Teachers a cell's shortage can take: ceil(max(gap0, 0) / load), indexed by cell."""
    c = cells.set_index("cell")
    return np.ceil(c["gap0"].clip(lower=0) / c["load"] - 1e-9).astype(float)


def exchange_values(cset: CandidateSet) -> np.ndarray:
    """Objective value (in weighted periods) of each candidate row: w_in · v_in − w_out · v_out."""
    ex, cells = cset.exchange, cset.cells.set_index("cell")
    slots = cell_slots(cset.cells)
    per_slot = (cells["gap0"].clip(lower=0) / slots.where(slots > 0)).fillna(0.0)
    v_in = np.minimum(ex["offer"].to_numpy(float), ex["cell"].map(per_slot).fillna(0).to_numpy(float))
    w_in = ex["cell"].map(cells["weight"]).fillna(1).to_numpy(float)
    v_out = ex["out_main"].map(per_slot).fillna(0).to_numpy(float)
    w_out = ex["out_main"].map(cells["weight"]).fillna(1).to_numpy(float)
    return w_in * v_in - w_out * v_out


def send_coefficients(cset: CandidateSet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sending-rule coefficients in teachers: a main-subject teacher leaving counts 1 (one post; periods beyond
    the standard load are overtime, not a post to refill), a second subject periods / load (only when
    ``exchange.second_subject_in_send_rule``), an incoming teacher min(1, offer / load) (= 1: the offer is the
    receiving cell's load).  With the right-hand side floor((surplus + tolerance · load) / load) this is the
    rule "loss − gain ≤ surplus + tolerance" counted in posts; all-integer coefficients keep the LP relaxation
    (a network flow plus the share rows) integral or nearly so."""
    ex = cset.exchange
    load = cset.cells.set_index("cell")["load"]
    lm = ex["out_main"].map(load).to_numpy(float)
    ls = ex["out_second"].map(load).to_numpy(float)
    li = ex["cell"].map(load).to_numpy(float)
    c_out = np.where(np.isnan(lm), 0.0, 1.0)
    c_out2 = np.nan_to_num(ex["loss_second"].to_numpy(float) / ls)
    c_in = np.minimum(1.0, np.nan_to_num(ex["offer"].to_numpy(float) / li))
    return c_out, c_out2, c_in


def _slack_frame(cset: CandidateSet, config) -> pd.DataFrame:
    req, ex, cells = cset.requirements, cset.exchange, cset.cells
    rows = []
    if req.get("quota", 0) > 0:
        rows.append({"family": "quota", "key": -1, "required": float(req["quota"]), "load": 1.0})
    if req.get("quota_urban", 0) > 0:
        rows.append({"family": "quota_urban", "key": -1, "required": float(req["quota_urban"]), "load": 1.0})
    if req.get("backbone_share", 0) > 0 and len(ex):
        rows.append({"family": "backbone", "key": -1, "required": 0.0, "load": 1.0})
    out = pd.unique(np.concatenate([ex["out_main"].to_numpy(), ex["out_second"].to_numpy()]).astype(int)) \
        if len(ex) else np.array([], dtype=int)
    sc = cells[cells["cell"].isin(out[out >= 0])].sort_values("cell")
    tol = float(config["exchange.sending_tolerance"])
    for c, g, load in zip(sc["cell"], sc["gap0"], sc["load"]):
        allow = (max(0.0, -float(g)) + tol * float(load)) / float(load)
        rows.append({"family": "send", "key": int(c), "required": float(math.floor(allow + 1e-9)),
                     "load": float(load)})
    return pd.DataFrame(rows, columns=["family", "key", "required", "load"])


def _exchange_objective(cset, prob, x, sl):
    ex = cset.exchange
    n = len(ex)
    coef = (-W_COV * exchange_values(cset) + W_KM * ex["cost_km"].to_numpy(float)
            - W_PREF * ex["willing"].to_numpy(float) - W_MUST * ex["must"].to_numpy(float)
            + EPS * (np.arange(n) + 1) / max(n, 1))
    w_sl = np.where(sl["family"] == "send", W_SEND, W_SLACK)
    terms = list(zip(x.tolist(), coef.tolist())) + list(zip(sl["var"].tolist(), w_sl.tolist()))
    prob.setObjective(pulp.LpAffineExpression(terms))


def _exchange_variables(cset, config):
    prob = pulp.LpProblem("rotate_exchange", pulp.LpMinimize)
    x = np.array([_var(prob, f"x_{i}", 0, 1, pulp.LpBinary) for i in range(len(cset.exchange))], dtype=object)
    sl = _slack_frame(cset, config)
    sl["var"] = [_var(prob, f"s_{f}_{k if k >= 0 else 'all'}", 0) for f, k in zip(sl["family"], sl["key"])]
    _exchange_objective(cset, prob, x, sl)
    return prob, x, sl


def build_model(cset: CandidateSet, config) -> Model:
    """The county exchange model; every family added in one grouped pass (see module docstring)."""
    t0 = time.perf_counter()
    ex = cset.exchange
    prob, x, sl = _exchange_variables(cset, config)
    n = len(ex)
    V = np.concatenate([x, np.asarray(sl["var"].tolist(), dtype=object)])
    so = n
    fam: dict = {}
    LE, GE = pulp.LpConstraintLE, pulp.LpConstraintGE
    xi = np.arange(n)
    tcode = pd.factorize(ex["teacher_id"], sort=True)[0]
    _add_family(prob, V, "one_move", tcode, xi, np.ones(n), LE, 1.0, fam, min_terms=2)

    cin = ex["cell"].to_numpy()
    om = ex["out_main"].to_numpy()
    os_ = ex["out_second"].to_numpy()
    slots = cell_slots(cset.cells)
    recv = np.unique(cin)
    keep = np.isin(om, recv)
    _add_family(prob, V, "receive", np.r_[cin, om[keep]], np.r_[xi, xi[keep]],
                np.r_[np.ones(n), -np.ones(int(keep.sum()))], LE, slots.to_dict(), fam)

    send = (sl["family"] == "send").to_numpy()
    if send.any():
        s_cells = sl.loc[send, "key"].to_numpy()
        g = np.isin(cin, s_cells)
        m2 = (os_ >= 0) & bool(config["exchange.second_subject_in_send_rule"])
        allow = dict(zip(s_cells.tolist(), sl.loc[send, "required"].to_numpy(float).tolist()))
        c_out, c_out2, c_in = send_coefficients(cset)
        _add_family(prob, V, "send", np.r_[om[om >= 0], os_[m2], cin[g], s_cells],
                    np.r_[xi[om >= 0], xi[m2], xi[g], np.flatnonzero(send) + so],
                    np.r_[c_out[om >= 0], c_out2[m2], -c_in[g], -np.ones(len(s_cells))], LE, allow, fam)

    for pos, (family, required) in enumerate(zip(sl["family"], sl["required"])):
        if family == "quota":
            vids, coefs = xi, np.ones(n)
        elif family == "quota_urban":
            sel = ex["from_urban"].to_numpy(bool)
            vids, coefs = xi[sel], np.ones(int(sel.sum()))
        elif family == "backbone":
            vids, coefs = xi, ex["backbone"].to_numpy(float) - float(cset.requirements["backbone_share"])
        else:
            continue
        _add_family(prob, V, family, np.zeros(len(vids) + 1, dtype=int), np.r_[vids, so + pos],
                    np.r_[coefs, 1.0], GE, float(required), fam)
    cap = max_moves(cset, config)
    if cap is not None and n:
        _add_family(prob, V, "max_moves", np.zeros(n, dtype=int), xi, np.ones(n), LE, float(cap), fam)
    return Model(prob, cset, x=x, slacks=sl, families=fam, build_s=time.perf_counter() - t0)


def max_moves(cset: CandidateSet, config) -> int | None:
    """Optional yearly cap on moves in a county: floor(exchange.max_share × compulsory teachers); None = no cap."""
    share = float(config.get("exchange.max_share", 0.0) or 0.0)
    if share <= 0:
        return None
    return int(math.floor(share * int(cset.requirements["base"]) + 1e-9))


def build_model_naive(cset: CandidateSet, config) -> Model:
    """Reference: the same exchange model built constraint by constraint, filtering the candidate frame for
    every key and summing with ``pulp.lpSum`` (the pattern style.md warns against). Benchmark/test only."""
    t0 = time.perf_counter()
    ex = cset.exchange
    prob, x, sl = _exchange_variables(cset, config)
    slots = cell_slots(cset.cells)
    fam: dict = {}
    teachers = sorted(set(ex["teacher_id"]))
    for k, t in enumerate(teachers):
        rows = [i for i in range(len(ex)) if ex["teacher_id"].iat[i] == t]
        if len(rows) >= 2:
            prob += pulp.lpSum(x[i] for i in rows) <= 1, f"one_move_{k}"
    for c in sorted(set(ex["cell"])):
        cnt_in = pulp.lpSum(x[i] for i in range(len(ex)) if ex["cell"].iat[i] == c)
        cnt_out = pulp.lpSum(x[i] for i in range(len(ex)) if ex["out_main"].iat[i] == c)
        prob += cnt_in - cnt_out <= float(slots[c]), f"receive_{c}"
    for r in sl.itertuples(index=False):
        if r.family == "send":
            load = float(cset.cells.loc[cset.cells["cell"] == r.key, "load"].iloc[0])
            loss = pulp.lpSum(1.0 * x[i] for i in range(len(ex))
                              if ex["out_main"].iat[i] == r.key) \
                + pulp.lpSum(float(ex["loss_second"].iat[i]) / load * x[i] for i in range(len(ex))
                             if ex["out_second"].iat[i] == r.key and config["exchange.second_subject_in_send_rule"])
            gain = pulp.lpSum(min(1.0, float(ex["offer"].iat[i]) / load) * x[i] for i in range(len(ex))
                              if ex["cell"].iat[i] == r.key)
            prob += loss - gain - r.var <= r.required, f"send_{r.key}"
        elif r.family == "quota":
            prob += pulp.lpSum(x[i] for i in range(len(ex))) + r.var >= r.required, "quota_0"
        elif r.family == "quota_urban":
            prob += pulp.lpSum(x[i] for i in range(len(ex)) if ex["from_urban"].iat[i]) + r.var >= r.required, \
                "quota_urban_0"
        elif r.family == "backbone":
            share = float(cset.requirements["backbone_share"])
            prob += pulp.lpSum((float(ex["backbone"].iat[i]) - share) * x[i] for i in range(len(ex))) + r.var >= 0, \
                "backbone_0"
    cap = max_moves(cset, config)
    if cap is not None and len(ex):
        prob += pulp.lpSum(x[i] for i in range(len(ex))) <= cap, "max_moves_0"
    return Model(prob, cset, x=x, slacks=sl, families=fam, build_s=time.perf_counter() - t0)


# --- 走教 ---------------------------------------------------------------------------------------------

def _subsidy_coefs(config) -> tuple[float, float]:
    """Monthly subsidy per weekly trip and per weekly period."""
    weeks = float(config["zoujiao.weeks_per_month"])
    return weeks * float(config["zoujiao.subsidy_per_trip"]), weeks * float(config["zoujiao.subsidy_per_period"])


def build_zoujiao_model(cset: CandidateSet, config, remaining: pd.Series, exclude=()) -> Model:
    """The county 走教 model on the remaining gaps (cell → periods), teachers in ``exclude`` left out."""
    t0 = time.perf_counter()
    zj = cset.zoujiao
    rem = remaining.clip(lower=0)
    cap_cell = np.ceil(rem - 1e-9)
    zj = zj[~zj["teacher_id"].isin(set(exclude))].copy()
    zj["ub"] = np.minimum(zj["zj_cap"], zj["cell"].map(cap_cell).fillna(0)).astype(float)
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
    budget = float(config["zoujiao.budget_cap"])
    if budget > 0 and m:
        months = float(config["zoujiao.months_per_year"])
        _add_family(prob, V, "zj_budget", np.zeros(m + nh, dtype=int), np.arange(m + nh),
                    np.r_[np.full(m, months * (per_trip / ppt + per_period)),
                          np.full(nh, months * per_trip * (ppt - 1) / ppt)], LE, budget, fam)
    return Model(prob, cset, y=y, hosts=hosts, rows=zj, families=fam, build_s=time.perf_counter() - t0)
