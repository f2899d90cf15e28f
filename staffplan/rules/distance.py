"""Distances between schools (domain.md §7).

Road distance ≈ great-circle distance between the schools' WGS-84 coordinates × ``zoujiao.road_factor``
(default 1.3).  When the data set has a 距离 table (columns a, b, km) its value wins for that pair, in either
direction.  The same school is 0 km.  Unknown coordinates and no table entry give NaN — callers decide
(a candidate whose distance must be checked against a limit is then dropped).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

EARTH_RADIUS_KM = 6371.0088


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km (vectorised; NaN where a coordinate is NaN)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2, lat2))
    dlon = lon2 - lon1
    dlat = lat2 - lat1
    h = np.sin(dlat / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def pair_km(schools: pd.DataFrame, a, b, config, distances: pd.DataFrame | None = None) -> np.ndarray:
    """Road km for each pair (a[i], b[i]) of school ids.

    ``schools`` needs school_id, lon, lat; ``distances`` (optional) a, b, km.
    """
    a = pd.Series(np.asarray(a, dtype=object)).astype(str)
    b = pd.Series(np.asarray(b, dtype=object)).astype(str)
    sch = schools.drop_duplicates("school_id").set_index("school_id")
    lon = sch["lon"] if "lon" in sch else pd.Series(np.nan, index=sch.index)
    lat = sch["lat"] if "lat" in sch else pd.Series(np.nan, index=sch.index)
    ia, ib = sch.index.get_indexer(a), sch.index.get_indexer(b)
    lon_v = np.r_[pd.to_numeric(lon, errors="coerce").to_numpy(float), np.nan]   # position -1 → NaN
    lat_v = np.r_[pd.to_numeric(lat, errors="coerce").to_numpy(float), np.nan]
    km = haversine_km(lon_v[ia], lat_v[ia], lon_v[ib], lat_v[ib]) * float(config["zoujiao.road_factor"])
    if distances is not None and len(distances) and {"a", "b", "km"} <= set(distances.columns):
        d = distances[["a", "b", "km"]].astype({"a": str, "b": str})
        d = pd.concat([d, d.rename(columns={"a": "b", "b": "a"})], ignore_index=True)
        d = d.dropna(subset=["km"]).drop_duplicates(["a", "b"], keep="first")
        key = pd.MultiIndex.from_arrays([a, b])
        table = d.set_index(["a", "b"])["km"].astype(float)
        given = table.reindex(key).to_numpy()
        km = np.where(np.isnan(given), km, given)
    km = np.where(a.to_numpy() == b.to_numpy(), 0.0, km)
    return km.astype(float)


def km_matrix(schools: pd.DataFrame, ids, config, distances: pd.DataFrame | None = None) -> np.ndarray:
    """Road km between every two schools of ``ids`` (a square matrix in the order of ``ids``) — the same rule
    as :func:`pair_km` (great circle × road factor, the 距离 table wins, same school 0), without building the
    id × id product as strings."""
    ids = pd.Index(np.asarray(ids, dtype=object).astype(str))
    sch = schools.drop_duplicates("school_id").set_index(schools.drop_duplicates("school_id")["school_id"]
                                                         .astype(str))
    pos = sch.index.get_indexer(ids)
    lon = pd.to_numeric(sch["lon"], errors="coerce").to_numpy(float) if "lon" in sch else np.full(len(sch), np.nan)
    lat = pd.to_numeric(sch["lat"], errors="coerce").to_numpy(float) if "lat" in sch else np.full(len(sch), np.nan)
    lon = np.where(pos >= 0, np.r_[lon, np.nan][pos], np.nan)
    lat = np.where(pos >= 0, np.r_[lat, np.nan][pos], np.nan)
    km = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :]) * float(config["zoujiao.road_factor"])
    if distances is not None and len(distances) and {"a", "b", "km"} <= set(distances.columns):
        d = distances[["a", "b", "km"]].dropna(subset=["km"]).astype({"a": str, "b": str})
        ia, ib = ids.get_indexer(d["a"]), ids.get_indexer(d["b"])
        ok = (ia >= 0) & (ib >= 0)
        ia, ib, v = ia[ok], ib[ok], d["km"].to_numpy(float)[ok]
        # the first entry of a pair wins, in either direction (as in pair_km)
        first = pd.DataFrame({"a": np.r_[ia, ib], "b": np.r_[ib, ia], "v": np.r_[v, v]}).drop_duplicates(
            ["a", "b"], keep="first")
        km[first["a"].to_numpy(), first["b"].to_numpy()] = first["v"].to_numpy()
    np.fill_diagonal(km, 0.0)
    return km
