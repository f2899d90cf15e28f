"""The rotation MILP (交流轮岗 + 走教), built from the candidate frames of one county in one pass.

Exchange and 走教 are solved **jointly** in one MILP per county (a teacher who moves cannot 走教 from the
home school; coverage of a shortage cell counts both flows).

Variables (one per candidate row, linopy-style)
  x[i]     binary   exchange candidate row i (teacher → receiving cell) is chosen
  y[j]     integer  weekly 走教 periods of candidate row j (teacher → host cell), 0 … min(spare, ceil(gap))
  z[h]     binary   teacher uses host school h (one per teacher × host pair)
  r[h]     integer  weekly trips teacher → host h (≥ periods / ``zoujiao.periods_per_trip``)
  cov[c]   continuous ≤ gap0[c]: shortage periods covered in cell c (free below: a cell that loses more than it
           gains has negative cover)
  s_*      continuous ≥ 0: elastic slack of every rule that can fail (named, keyed)

Constraint families (named ``family_key``; keys are kept in ``Model.families`` for diagnosis)
  one_move[t]    Σ_i∈t x ≤ 1                                  (teachers with > 1 candidate row)
  zj_load[t]     Σ_j∈t y + cap_t · Σ_i∈t x ≤ cap_t             (走教 load ≤ spare capacity; 0 if t moves)
  zj_link[h]     Σ_j∈h y − ub_h · z_h ≤ 0
  zj_trips[h]    periods_per_trip · r_h − Σ_j∈h y ≥ 0
  zj_hosts[t]    Σ_h∈t z_h ≤ ``zoujiao.max_hosts``
  zj_budget      months · weeks · Σ_h (per_trip · r_h + per_period · Σ y) ≤ ``zoujiao.budget_cap`` (if > 0)
  receive[c]     Σ_in x − Σ_out(main subject) x ≤ ceil(max(gap0, 0) / load)   (no surplus is created: a
                 cell without shortage only receives as many as it sends — the two-way 对调)
  cover[c]       cov_c − Σ_in offer · x + Σ_out loss · x − Σ_in y ≤ 0
  send[c]        Σ_out loss · x − Σ_in offer · x − s_send_c ≤ max(0, −gap0_c) + tolerance · load_c
                 (a sending school is not left with a new/deeper shortage beyond ``sending_tolerance`` FTE
                 unless a replacement of the same subject comes in)
  quota          Σ x + s_quota ≥ ceil(min_share_compulsory · compulsory teachers)      } only when
  quota_urban    Σ_urban x + s_urban ≥ ceil(min_share_eligible_urban · 应交流 in 城镇/优质) } exchange.
  backbone       Σ (backbone − min_share_backbone) · x + s_backbone ≥ 0                } share_rules_on

Objective (minimise; weighted lexicographic — each level's weight dominates the realistic range of the next)
  W_SEND / load_c · s_send_c        1e7 per FTE   1) hard-rule slack (sending rule weighed 10× the share rules
  W_SLACK · (s_quota + s_urban + s_backbone)  1e6 per teacher   so that a shortfall is reported on the quota)
  − W_COV · weight_c · cov_c        100 per period, weight_c = 1 + weight_rural (乡村/薄弱) + weight_scarce
                                                     (走教 subjects): 2) cover shortages
  + W_KM · (km_i · x_i + 2 · km_h · r_h)   1 per km  3) shorter moves, fewer 走教 kilometres
  + W_SUBSIDY · monthly subsidy     0.1 per yuan
  − W_PREF · willing_i · x_i − W_MUST · must_i · x_i   2 / 5  4) 愿意交流 and 应交流 before volunteers
  + EPS · rank / n                  ≤ 1e-3        5) deterministic tie-break by the stable sorted row order

``build_model`` adds each family in one pass: the terms of all constraints of a family form one long
(key, variable, coefficient) array, grouped once; each group becomes one ``LpAffineExpression``.
``build_model_naive`` builds the same model the slow way (per-constraint filtering and ``lpSum``); it exists
only for the benchmark and a test.
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

SLACK_FAMILIES = {"quota": "交流比例（义务教育教师 5%）", "quota_urban": "城镇/优质校应交流教师比例（10%）",
                  "backbone": "骨干教师占交流人数比例（20%）", "send": "派出学校不新增学科缺口"}


@dataclass
class Model:
    """A built model and the labelled variables needed to read the solution."""

    prob: pulp.LpProblem
    data: CandidateSet
    x: np.ndarray                   # LpVariable per exchange row
    y: np.ndarray                   # LpVariable per 走教 row
    hosts: pd.DataFrame             # one row per (teacher, host): km, ub, z, r
    cov: pd.DataFrame               # cell, var
    slacks: pd.DataFrame            # family, key, var, weight, required
    families: dict[str, list] = field(default_factory=dict)
    build_s: float = 0.0


def _subsidy_coefs(config) -> tuple[float, float]:
    """Monthly subsidy per weekly trip and per weekly period."""
    weeks = float(config["zoujiao.weeks_per_month"])
    return weeks * float(config["zoujiao.subsidy_per_trip"]), weeks * float(config["zoujiao.subsidy_per_period"])


def _host_pairs(zj: pd.DataFrame) -> pd.DataFrame:
    if zj.empty:
        return pd.DataFrame(columns=["teacher_id", "host", "km", "ub", "cap", "h"])
    hp = zj.groupby(["teacher_id", "host"], sort=True, as_index=False).agg(
        km=("km", "first"), ub=("ub", "sum"), cap=("zj_cap", "first"))
    hp["ub"] = np.minimum(hp["ub"], hp["cap"])
    hp["h"] = np.arange(len(hp))
    return hp


def _variables(cset: CandidateSet, config):
    """All variables with ASCII names; returns (prob, x, y, hosts, z, r, cov frame)."""
    prob = pulp.LpProblem("rotate", pulp.LpMinimize)
    ex, zj, cells = cset.exchange, cset.zoujiao, cset.cells
    x = np.array([pulp.LpVariable(f"x_{i}", cat=pulp.LpBinary) for i in range(len(ex))], dtype=object)
    y = np.array([pulp.LpVariable(f"y_{j}", lowBound=0, upBound=float(ub), cat=pulp.LpInteger)
                  for j, ub in enumerate(zj["ub"].to_numpy())], dtype=object)
    hosts = _host_pairs(zj)
    ppt = max(1, int(config["zoujiao.periods_per_trip"]))
    hosts["z"] = [pulp.LpVariable(f"z_{h}", cat=pulp.LpBinary) for h in range(len(hosts))]
    hosts["r"] = [pulp.LpVariable(f"r_{h}", lowBound=0, upBound=float(math.ceil(ub / ppt)), cat=pulp.LpInteger)
                  for h, ub in enumerate(hosts["ub"].to_numpy())]
    touched = set(ex["cell"]) | set(zj["cell"]) | set(ex["out_main"]) | set(ex["out_second"])
    cc = cells[(cells["gap0"] > 0) & cells["cell"].isin(touched)][["cell", "gap0", "weight", "load"]].copy()
    cc["var"] = [pulp.LpVariable(f"cov_{c}", lowBound=None, upBound=float(g))
                 for c, g in zip(cc["cell"].to_numpy(), cc["gap0"].to_numpy())]
    return prob, x, y, hosts, cc


def _slack_rows(cset: CandidateSet, config) -> list[dict]:
    """Share-rule slacks (county level) with their required counts."""
    req = cset.requirements
    ex = cset.exchange
    rows = []
    if req.get("quota", 0) > 0:
        rows.append({"family": "quota", "key": -1, "required": float(req["quota"])})
    if req.get("quota_urban", 0) > 0:
        rows.append({"family": "quota_urban", "key": -1, "required": float(req["quota_urban"])})
    if req.get("backbone_share", 0) > 0 and len(ex):
        rows.append({"family": "backbone", "key": -1, "required": 0.0})
    return rows


def _send_cells(cset: CandidateSet, config) -> pd.DataFrame:
    """Cells a chosen move may take periods from, with the allowed loss (periods)."""
    ex, cells = cset.exchange, cset.cells
    out = pd.unique(np.concatenate([ex["out_main"].to_numpy(), ex["out_second"].to_numpy()]).astype(int))
    out = out[out >= 0]
    sc = cells[cells["cell"].isin(out)][["cell", "gap0", "load"]].copy()
    tol = float(config["exchange.sending_tolerance"])
    sc["allow"] = np.maximum(0.0, -sc["gap0"]) + tol * sc["load"]
    return sc.sort_values("cell").reset_index(drop=True)


def _terms(ex: pd.DataFrame, zj: pd.DataFrame, x_off: int, y_off: int):
    """Long term arrays shared by the cell families: (cell, vid, coef) for gain, loss, count_in, count_out, y."""
    n = len(ex)
    xi = np.arange(n) + x_off
    gain = (ex["cell"].to_numpy(), xi, ex["offer"].to_numpy(float))
    om, os_ = ex["out_main"].to_numpy(), ex["out_second"].to_numpy()
    lm, ls = ex["loss_main"].to_numpy(float), ex["loss_second"].to_numpy(float)
    sel2 = os_ >= 0
    loss = (np.concatenate([om[om >= 0], os_[sel2]]), np.concatenate([xi[om >= 0], xi[sel2]]),
            np.concatenate([lm[om >= 0], ls[sel2]]))
    yin = (zj["cell"].to_numpy(), np.arange(len(zj)) + y_off, np.ones(len(zj)))
    cnt_out = (om[om >= 0], xi[om >= 0], np.ones(int((om >= 0).sum())))
    return gain, loss, yin, cnt_out


def _grouped(key, vid, coef):
    """Yield (key, vids, coefs) per key, duplicates merged — one sort for the whole family."""
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
    """Add one constraint per key: Σ coef·V[vid] (sense) rhs[key]. ``rhs`` is a dict or a number."""
    names = []
    for k, vids, coefs in _grouped(key, vid, coef):
        if len(vids) < min_terms:
            continue
        expr = pulp.LpAffineExpression(zip(V[vids].tolist(), coefs.tolist()))
        b = float(rhs[k] if isinstance(rhs, dict) else rhs)
        cname = f"{name}_{k}"
        prob.addConstraint(pulp.LpConstraint(expr, sense, cname, b))
        names.append(k)
    families[name] = names


def _objective_and_slacks(cset, config, prob, x, y, hosts, cc, send_cells):
    """Objective expression and the slack frame (slack variables are created here)."""
    ex, zj = cset.exchange, cset.zoujiao
    terms: dict = {}

    def add(vars_, coefs):
        for v, c in zip(vars_, coefs):
            if c:
                terms[v] = terms.get(v, 0.0) + float(c)

    n, m = len(ex), len(zj)
    rank_x = (np.arange(n) + 1) / max(n, 1)
    add(x, W_KM * ex["cost_km"].to_numpy(float) - W_PREF * ex["willing"].to_numpy(float)
        - W_MUST * ex["must"].to_numpy(float) + EPS * rank_x)
    add(y, EPS * (np.arange(m) + 1) / max(m, 1))
    per_trip, per_period = _subsidy_coefs(config)
    if len(hosts):
        add(hosts["r"], W_KM * 2 * hosts["km"].to_numpy(float) + W_SUBSIDY * per_trip)
        if per_period:
            add(y, np.full(m, W_SUBSIDY * per_period))
    add(cc["var"], -W_COV * cc["weight"].to_numpy(float))
    rows = _slack_rows(cset, config)
    for r in send_cells.itertuples(index=False):
        rows.append({"family": "send", "key": int(r.cell), "required": float(r.allow)})
    sl = pd.DataFrame(rows, columns=["family", "key", "required"])
    sl["var"] = [pulp.LpVariable(f"s_{f}_{k if k >= 0 else 'all'}", lowBound=0)
                 for f, k in zip(sl["family"], sl["key"])]
    load = sl["key"].map(send_cells.set_index("cell")["load"]) if len(send_cells) else pd.Series(np.nan, index=sl.index)
    sl["weight"] = np.where(sl["family"] == "send", W_SEND / load.fillna(1.0).to_numpy(float), W_SLACK)
    add(sl["var"], sl["weight"])
    prob.setObjective(pulp.LpAffineExpression(terms))
    return sl


def build_model(cset: CandidateSet, config) -> Model:
    """Build the county model: every constraint family in one grouped pass (see module docstring)."""
    t0 = time.perf_counter()
    ex, zj = cset.exchange, cset.zoujiao
    prob, x, y, hosts, cc = _variables(cset, config)
    send_cells = _send_cells(cset, config)
    sl = _objective_and_slacks(cset, config, prob, x, y, hosts, cc, send_cells)
    n, m, nh = len(ex), len(zj), len(hosts)
    # one global variable array: x | y | z | r | cov | slacks
    V = np.concatenate([x, y, np.asarray(hosts["z"].tolist(), dtype=object),
                        np.asarray(hosts["r"].tolist(), dtype=object),
                        np.asarray(cc["var"].tolist(), dtype=object), np.asarray(sl["var"].tolist(), dtype=object)])
    xo, yo, zo, ro, co = 0, n, n + m, n + m + nh, n + m + 2 * nh
    so = co + len(cc)
    fam: dict = {}
    LE, GE = pulp.LpConstraintLE, pulp.LpConstraintGE

    # teachers: integer codes
    tids = pd.Index(sorted(set(ex["teacher_id"]) | set(zj["teacher_id"])))
    tx = tids.get_indexer(ex["teacher_id"])
    ty = tids.get_indexer(zj["teacher_id"])
    _add_family(prob, V, "one_move", tx, np.arange(n) + xo, np.ones(n), LE, 1.0, fam, min_terms=2)

    # 走教: load (with exclusion of movers), link, trips, hosts, budget
    if m:
        cap_t = zj.groupby("teacher_id")["zj_cap"].first()
        cap_code = dict(zip(tids.get_indexer(cap_t.index), cap_t.to_numpy(float)))
        in_zj = np.isin(tx, ty)
        key = np.concatenate([ty, tx[in_zj]])
        vid = np.concatenate([np.arange(m) + yo, (np.arange(n) + xo)[in_zj]])
        coef = np.concatenate([np.ones(m), np.array([cap_code[k] for k in tx[in_zj]], dtype=float)])
        _add_family(prob, V, "zj_load", key, vid, coef, LE, cap_code, fam)
        hkey = hosts.set_index(["teacher_id", "host"])["h"]
        hy = hkey.reindex(pd.MultiIndex.from_frame(zj[["teacher_id", "host"]])).to_numpy()
        ub = hosts["ub"].to_numpy(float)
        _add_family(prob, V, "zj_link", np.concatenate([hy, np.arange(nh)]),
                    np.concatenate([np.arange(m) + yo, np.arange(nh) + zo]),
                    np.concatenate([np.ones(m), -ub]), LE, 0.0, fam)
        ppt = float(max(1, int(config["zoujiao.periods_per_trip"])))
        _add_family(prob, V, "zj_trips", np.concatenate([hy, np.arange(nh)]),
                    np.concatenate([np.arange(m) + yo, np.arange(nh) + ro]),
                    np.concatenate([-np.ones(m), np.full(nh, ppt)]), GE, 0.0, fam)
        th = tids.get_indexer(hosts["teacher_id"])
        max_hosts = int(config["zoujiao.max_hosts"])
        per_teacher = pd.Series(th).value_counts()
        many = np.isin(th, per_teacher[per_teacher > max_hosts].index)
        _add_family(prob, V, "zj_hosts", th[many], (np.arange(nh) + zo)[many], np.ones(int(many.sum())), LE,
                    float(max_hosts), fam)
        cap = float(config["zoujiao.budget_cap"])
        if cap > 0:
            per_trip, per_period = _subsidy_coefs(config)
            months = float(config["zoujiao.months_per_year"])
            _add_family(prob, V, "zj_budget", np.zeros(nh + m, dtype=int),
                        np.concatenate([np.arange(nh) + ro, np.arange(m) + yo]),
                        np.concatenate([np.full(nh, months * per_trip), np.full(m, months * per_period)]),
                        LE, cap, fam)

    # cells: receive, cover, send
    gain, loss, yin, cnt_out = _terms(ex, zj, xo, yo)
    cells = cset.cells.set_index("cell")
    recv_cells = np.unique(gain[0])
    recv_rhs = {int(c): float(math.ceil(max(0.0, g) / l - 1e-9))
                for c, g, l in zip(recv_cells, cells.loc[recv_cells, "gap0"], cells.loc[recv_cells, "load"])}
    keep_out = np.isin(cnt_out[0], recv_cells)
    _add_family(prob, V, "receive", np.concatenate([gain[0], cnt_out[0][keep_out]]),
                np.concatenate([gain[1], cnt_out[1][keep_out]]),
                np.concatenate([np.ones(len(gain[0])), -cnt_out[2][keep_out]]), LE, recv_rhs, fam)
    if len(cc):
        cov_cells = cc["cell"].to_numpy()
        sel_g, sel_l, sel_y = (np.isin(gain[0], cov_cells), np.isin(loss[0], cov_cells), np.isin(yin[0], cov_cells))
        _add_family(prob, V, "cover",
                    np.concatenate([cov_cells, gain[0][sel_g], loss[0][sel_l], yin[0][sel_y]]),
                    np.concatenate([np.arange(len(cc)) + co, gain[1][sel_g], loss[1][sel_l], yin[1][sel_y]]),
                    np.concatenate([np.ones(len(cc)), -gain[2][sel_g], loss[2][sel_l], -yin[2][sel_y]]),
                    LE, 0.0, fam)
    is_send = (sl["family"] == "send").to_numpy()
    if is_send.any():
        s_cells = sl.loc[is_send, "key"].to_numpy()
        s_vid = np.flatnonzero(is_send) + so
        sel_g = np.isin(gain[0], s_cells)
        allow = dict(zip(s_cells.tolist(), sl.loc[is_send, "required"].to_numpy(float).tolist()))
        _add_family(prob, V, "send", np.concatenate([loss[0], gain[0][sel_g], s_cells]),
                    np.concatenate([loss[1], gain[1][sel_g], s_vid]),
                    np.concatenate([loss[2], -gain[2][sel_g], -np.ones(len(s_cells))]), LE, allow, fam)

    # county share rules
    for pos, r in enumerate(sl.itertuples(index=False)):
        if r.family == "quota":
            vids, coefs = np.arange(n) + xo, np.ones(n)
        elif r.family == "quota_urban":
            sel = ex["from_urban"].to_numpy(bool)
            vids, coefs = (np.arange(n) + xo)[sel], np.ones(int(sel.sum()))
        elif r.family == "backbone":
            share = float(cset.requirements["backbone_share"])
            vids, coefs = np.arange(n) + xo, ex["backbone"].to_numpy(float) - share
        else:
            continue
        _add_family(prob, V, r.family, np.zeros(len(vids) + 1, dtype=int), np.r_[vids, so + pos],
                    np.r_[coefs, 1.0], GE, r.required, fam)
    return Model(prob, cset, x, y, hosts, cc, sl, fam, time.perf_counter() - t0)


def build_model_naive(cset: CandidateSet, config) -> Model:
    """Reference implementation: the same model built constraint by constraint with per-key filtering and
    ``pulp.lpSum`` (the pattern style.md warns against). Used only by the benchmark and a test."""
    t0 = time.perf_counter()
    ex, zj = cset.exchange, cset.zoujiao
    prob, x, y, hosts, cc = _variables(cset, config)
    send_cells = _send_cells(cset, config)
    sl = _objective_and_slacks(cset, config, prob, x, y, hosts, cc, send_cells)
    fam: dict = {}
    tids = sorted(set(ex["teacher_id"]) | set(zj["teacher_id"]))
    for k, t in enumerate(tids):
        rows = [i for i in range(len(ex)) if ex["teacher_id"].iat[i] == t]
        if len(rows) >= 2:
            prob += pulp.lpSum(x[i] for i in rows) <= 1, f"one_move_{k}"
        zrows = [j for j in range(len(zj)) if zj["teacher_id"].iat[j] == t]
        if zrows:
            cap = float(zj["zj_cap"].iat[zrows[0]])
            prob += (pulp.lpSum(y[j] for j in zrows) + pulp.lpSum(cap * x[i] for i in rows) <= cap,
                     f"zj_load_{k}")
            hrows = [h for h in range(len(hosts)) if hosts["teacher_id"].iat[h] == t]
            if len(hrows) > int(config["zoujiao.max_hosts"]):
                prob += pulp.lpSum(hosts["z"].iat[h] for h in hrows) <= int(config["zoujiao.max_hosts"]), \
                    f"zj_hosts_{k}"
    ppt = float(max(1, int(config["zoujiao.periods_per_trip"])))
    for h in range(len(hosts)):
        rows = [j for j in range(len(zj)) if zj["teacher_id"].iat[j] == hosts["teacher_id"].iat[h]
                and zj["host"].iat[j] == hosts["host"].iat[h]]
        prob += pulp.lpSum(y[j] for j in rows) - float(hosts["ub"].iat[h]) * hosts["z"].iat[h] <= 0, f"zj_link_{h}"
        prob += ppt * hosts["r"].iat[h] - pulp.lpSum(y[j] for j in rows) >= 0, f"zj_trips_{h}"
    cap = float(config["zoujiao.budget_cap"])
    if cap > 0 and len(zj):
        per_trip, per_period = _subsidy_coefs(config)
        months = float(config["zoujiao.months_per_year"])
        prob += (pulp.lpSum(months * per_trip * r for r in hosts["r"]) + pulp.lpSum(months * per_period * v for v in y)
                 <= cap, "zj_budget_0")
    cells = cset.cells.set_index("cell")

    def gain(c):
        return pulp.lpSum(float(ex["offer"].iat[i]) * x[i] for i in range(len(ex)) if ex["cell"].iat[i] == c)

    def loss(c):
        return (pulp.lpSum(float(ex["loss_main"].iat[i]) * x[i] for i in range(len(ex)) if ex["out_main"].iat[i] == c)
                + pulp.lpSum(float(ex["loss_second"].iat[i]) * x[i] for i in range(len(ex))
                             if ex["out_second"].iat[i] == c))

    for c in sorted(set(ex["cell"])):
        cnt_in = pulp.lpSum(x[i] for i in range(len(ex)) if ex["cell"].iat[i] == c)
        cnt_out = pulp.lpSum(x[i] for i in range(len(ex)) if ex["out_main"].iat[i] == c)
        rhs = float(math.ceil(max(0.0, cells.at[c, "gap0"]) / cells.at[c, "load"] - 1e-9))
        prob += cnt_in - cnt_out <= rhs, f"receive_{c}"
    for c, v in zip(cc["cell"], cc["var"]):
        ys = pulp.lpSum(y[j] for j in range(len(zj)) if zj["cell"].iat[j] == c)
        prob += v - gain(c) + loss(c) - ys <= 0, f"cover_{c}"
    for r in sl.itertuples(index=False):
        if r.family == "send":
            prob += loss(r.key) - gain(r.key) - r.var <= r.required, f"send_{r.key}"
        elif r.family == "quota":
            prob += pulp.lpSum(x) + r.var >= r.required, "quota_0"
        elif r.family == "quota_urban":
            prob += pulp.lpSum(x[i] for i in range(len(ex)) if ex["from_urban"].iat[i]) + r.var >= r.required, \
                "quota_urban_0"
        elif r.family == "backbone":
            share = float(cset.requirements["backbone_share"])
            prob += pulp.lpSum((float(ex["backbone"].iat[i]) - share) * x[i] for i in range(len(ex))) + r.var >= 0, \
                "backbone_0"
    return Model(prob, cset, x, y, hosts, cc, sl, fam, time.perf_counter() - t0)
