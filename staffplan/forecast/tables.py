"""Small table helpers shared by the forecast sheets."""
from __future__ import annotations

import numpy as np
import pandas as pd

TOTAL_LABEL = "合计"


def with_total(df: pd.DataFrame, label_col: str, sum_cols: list[str], mask: pd.Series | None = None,
               label: str = TOTAL_LABEL, positive_cols: list[str] = ()) -> pd.DataFrame:
    """``df`` with a final row: ``label`` in ``label_col``, the column sums of ``sum_cols`` (over the rows
    where ``mask`` is true, all rows by default; NaN ignored), "" in the other text columns.  ``positive_cols``
    are summed over their positive values only (a shortage total: one school's surplus does not offset another
    school's shortage)."""
    rows = df if mask is None else df[mask.reindex(df.index).fillna(False).astype(bool)]
    total = {}
    for col in df.columns:
        if col == label_col:
            total[col] = label
        elif col in sum_cols or col in positive_cols:
            s = pd.to_numeric(rows[col], errors="coerce")
            if col in positive_cols:
                s = s.clip(lower=0)
            v = s.sum(min_count=0)
            is_int = pd.api.types.is_integer_dtype(df[col].dtype) or (s.dropna() == s.dropna().round()).all()
            total[col] = int(round(v)) if is_int and np.isfinite(v) else round(float(v), 6)
        elif pd.api.types.is_numeric_dtype(df[col].dtype) and not pd.api.types.is_bool_dtype(df[col].dtype):
            total[col] = np.nan
        else:
            total[col] = ""
    out = pd.concat([df, pd.DataFrame([total], columns=df.columns)], ignore_index=True)
    for col in df.columns:  # integer columns stay integer (an empty total cell is NA, not NaN → float)
        if pd.api.types.is_integer_dtype(df[col].dtype) and not pd.api.types.is_bool_dtype(df[col].dtype):
            out[col] = pd.to_numeric(out[col], errors="coerce").round().astype("Int64")
    return out
