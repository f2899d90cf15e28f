"""Enrollment projection (stub: carries the last year forward one grade; replaced by the real model)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def project_enrollment(enrollment: pd.DataFrame, schools: pd.DataFrame, config, plan_year: int,
                       births: pd.DataFrame | None = None, feeders: pd.DataFrame | None = None,
                       horizon: int = 1) -> pd.DataFrame:
    last = enrollment[enrollment["year"] == plan_year - 1]
    out = last.assign(year=plan_year)[["school_id", "year", "grade", "students"]].copy()
    out["students"] = out["students"].astype(float)
    out["lo"] = np.floor(out["students"] * 0.9)
    out["hi"] = np.ceil(out["students"] * 1.1)
    out["classes"] = np.ceil(out["students"] / 45).astype(int)
    out["method"] = "stub"
    return out.reset_index(drop=True)
