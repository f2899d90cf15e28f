"""Convert public real enrollment panels to the long format benchmarks/accuracy.py reads.

    python benchmarks/real_panels.py [vermont] [nyc] [baltimore] [nh] [wyoming] [chicago] [alabama] [alabama_small]     # writes ./<name>/enrollment.csv, schools.csv

The data are not shipped. Each panel is read from a local git clone of a public repository that holds a copy of the
official files (set MIRROR to the folder holding the clones, named owner+repo/repo):
- vermont: AlexReutter/VT-Schools — Vermont Agency of Education enrollment reports 2003-04 … 2018-19;
- nyc: horaceliuHL/Econometrics-Research — NYC DOE Demographic Snapshot 2013-14 … 2017-18;
- baltimore: elipousson/bcpss — Baltimore City Public Schools enrollment by school and grade (needs pyreadr);
- nh: almartin82/nhschooldata — New Hampshire DOE fall enrollment by school and grade 2011-12 … 2025-26
  (inst/extdata/nh_enrollment_schools.rds, needs pyreadr), a rural state of small schools;
- wyoming: almartin82/wyschooldata — Wyoming Department of Education enrollment by school and grade 1999-2000 …
  2006-07 (inst/extdata/enr_2000_2007_tidy.rds, needs pyreadr), a rural state of small schools;
- chicago: AaaChenBao/CPS_Data_Explore — Chicago Public Schools 20th-day membership by school and grade 2005-06 …
  2018-19 (data/enrollment/Demographics_20thDay_*.xls, needs xlrd), a big city with the 2013 closure wave;
- alabama, alabama_small: almartin82/alschooldata — Alabama State Department of Education enrollment by campus and
  grade 2020-21 … 2024-25 (inst/extdata/vignette_enr_data.rds, needs pyreadr); alabama_small keeps the districts
  of fewer than 3,000 pupils (rural systems of small schools).
US grades K…11 become staffplan grades 1…12 (grade 12 and PreK dropped); 学段 from each school's grade span.
"""
import io, os, re, subprocess, sys
import pandas as pd

MIRROR = os.environ.get("MIRROR", "/work/.mirror")


def git_show(repo, path):
    return subprocess.run(["git", "-C", repo, "show", f"HEAD:{path}"], capture_output=True, check=True).stdout

US_TO_SP = {"K": 1, **{str(i): i + 1 for i in range(1, 12)}}   # K..11 -> 1..12, 12th dropped

def stage_of(grades):
    g = set(grades)
    lo, hi = min(g), max(g)
    if hi <= 6: return "小学"
    if lo >= 7 and hi <= 9: return "初中"
    if lo >= 10: return "高中"
    if lo >= 7: return "完全中学"
    if hi <= 9: return "九年一贯制"
    return "十二年一贯制"

def finish(rows, out):
    os.makedirs(out, exist_ok=True)
    enr = pd.DataFrame(rows, columns=["school_id", "year", "grade", "students"])
    dup = enr.groupby(["school_id", "year", "grade"]).size()
    if (dup > 1).any(): print("duplicate keys summed:", int((dup > 1).sum()))
    enr = enr.groupby(["school_id", "year", "grade"], as_index=False)["students"].sum()
    enr = enr[enr["students"] > 0]
    sch = (enr.groupby("school_id")["grade"].agg(lambda s: stage_of(s.unique())).rename("stage").reset_index())
    sch["town"] = "T"
    enr.to_csv(f"{out}/enrollment.csv", index=False); sch.to_csv(f"{out}/schools.csv", index=False)
    print(out, len(sch), "schools", enr["year"].min(), enr["year"].max(), len(enr), "rows",
          "median school size", int(enr.groupby(["school_id","year"])["students"].sum().median()))

def vermont():
    repo = f"{MIRROR}/AlexReutter+VT-Schools/repo"
    rows = []; districts = {}
    for y in range(2003, 2019):
        raw = git_show(repo, f"CSV data/Enrollment Report {y}-{y+1}.csv").decode("latin-1")
        df = pd.read_csv(io.StringIO(raw), header=None, dtype=str, keep_default_na=False)
        hdr_i = next(i for i in range(len(df)) if "1st" in set(df.iloc[i].str.strip()))
        hdr = df.iloc[hdr_i].str.strip()
        cols = {c: hdr[c] for c in df.columns if hdr[c]}
        name_col = next(c for c in df.columns if (df.iloc[hdr_i+1:, c].str.contains("School", na=False)).sum() > 50)
        dist_col = name_col - 4
        district = ""
        for i in range(hdr_i + 2, len(df)):
            r = df.iloc[i]
            if r[dist_col].strip(): district = r[dist_col].strip()
            name = r[name_col].strip()
            if not name or "Total" in name: continue
            if name == r[name_col - 5].strip() or name.endswith(" SU") or name.endswith(" SD"): continue
            sid = name
            districts[name] = district
            have = {}
            for c, h in cols.items():
                v = r[c].replace(",", "").strip()
                if not re.fullmatch(r"\d+", v): continue
                v = int(v)
                if h in ("K Part", "K Full"): have["K"] = have.get("K", 0) + v
                m = re.fullmatch(r"(\d+)(st|nd|rd|th)", h)
                if m and int(m.group(1)) <= 11: have[m.group(1)] = v
            for g, v in have.items():
                rows.append((sid, y, US_TO_SP[g], v))
    rows = match_renames(rows, districts)
    finish(rows, "vermont")


def _core(name):
    n = name.lower().replace("\u00bf", " ")
    n = re.sub(r"#\s*\d+|\(school\)|\bu?h?s?d\b|\bunion\b|\bschools?\b|\bhigh\b|\bsenior\b|[^a-z ]", " ", n)
    return " ".join(n.split())


def match_renames(rows, districts):
    """Vermont keys schools by name; in 2017-18 dozens of union schools were renamed (e.g. "Champlain Valley
    UHSD #15 (School)" -> "Champlain Valley Union High School"). A school whose last year is y-1 and a school
    whose first year is y are the same school when they are in the same supervisory district (or their
    names start with the same word), teach the same grade span (overlap >= 60 %) and their totals differ by
    less than 25 %; pairs are taken best name similarity first. The new name is mapped to the old one.
    Splits and merges (same first name word, else same supervisory district; sums within 15 %) are joined
    into one school; chains of joins over the years end in one school, named by its earliest name."""
    import difflib
    enr = pd.DataFrame(rows, columns=["school_id", "year", "grade", "students"])
    enr = enr[enr["students"] > 0]
    span = enr.groupby("school_id")["year"].agg(["min", "max"])
    grades = enr.groupby("school_id")["grade"].agg(lambda s: set(s))
    tot = enr.groupby(["school_id", "year"])["students"].sum()
    rename = {}      # union-find: school -> a school it is joined to; the root is the earliest name

    def root(s):
        while s in rename:
            s = rename[s]
        return s

    def join(s, t):
        rs, rt = root(s), root(t)
        if rs != rt:
            first, other = sorted((rs, rt), key=lambda x: (span.loc[x, "min"], x))
            rename[other] = first
    for y in range(int(span["min"].min()) + 1, int(span["max"].max()) + 1):
        ends = [s for s in span.index[span["max"] == y - 1]]
        starts = [s for s in span.index[span["min"] == y]]
        cands = []
        for a in ends:
            for b in starts:
                sim = difflib.SequenceMatcher(None, _core(a), _core(b)).ratio()
                same_d = districts.get(a) == districts.get(b) and districts.get(a)
                ga, gb = grades[a], grades[b]
                jac = len(ga & gb) / len(ga | gb)
                ta, tb = tot[(a, y - 1)], tot[(b, y)]
                first = _core(a).split()[:1] == _core(b).split()[:1]
                if (same_d or first or sim >= 0.8) and jac >= 0.6 and 0.75 <= tb / ta <= 1 / 0.75:
                    cands.append((sim, a, b))
        used_a, used_b = set(), set()
        for sim, a, b in sorted(cands, reverse=True):
            if a in used_a or b in used_b:
                continue
            used_a.add(a); used_b.add(b)
            join(b, a)
        # splits and merges: the unmatched schools ending and starting with the same first name word (then:
        # in the same supervisory district), two or more on one side, whose summed totals differ by less than
        # 15 %, become one school (2018: Bellows Free Academy K-8 + 9-12 -> K-6 + 7-12 in Fairfax; Leicester +
        # Whiting Sudbury -> Otter Creek Academy in Otter Valley)
        for key in (lambda s: " ".join(_core(s).split()[:1]), lambda s: districts.get(s) or ""):
            left_a = [a for a in ends if a not in used_a]; left_b = [b for b in starts if b not in used_b]
            for w in {key(a) for a in left_a if key(a)}:
                ga = [a for a in left_a if key(a) == w]
                gb = [b for b in left_b if key(b) == w]
                if ga and gb and len(ga) + len(gb) > 2:
                    ta = sum(tot[(a, y - 1)] for a in ga); tb = sum(tot[(b, y)] for b in gb)
                    if 0.85 <= tb / ta <= 1 / 0.85:
                        for s in ga[1:] + gb:
                            join(s, ga[0])
                        used_a.update(ga); used_b.update(gb)
    print("renamed schools matched:", len(rename))
    for b in sorted(rename, key=lambda s: (root(s), s)):
        print("   ", repr(root(b)), "<-", repr(b))
    return [(root(s), y, g, v) for s, y, g, v in rows]

def nyc():
    repo = f"{MIRROR}/horaceliuHL+Econometrics-Research/repo"
    df = pd.read_csv(io.BytesIO(git_show(repo, "2013_-_2018_Demographic_Snapshot_School.csv")), dtype={"DBN": str})
    df["year"] = df["Year"].str[:4].astype(int)
    rows = []
    for g_us, g in US_TO_SP.items():
        col = "GradeK" if g_us == "K" else f"Grade{g_us}"
        for sid, y, v in zip(df["DBN"], df["year"], pd.to_numeric(df[col], errors="coerce").fillna(0)):
            rows.append((sid, y, g, int(v)))
    finish(rows, "nyc")


def baltimore():
    import pyreadr
    repo = f"{MIRROR}/elipousson+bcpss/repo"
    open("/tmp/bce.rda", "wb").write(git_show(repo, "data/bcpss_enrollment.rda"))
    v = pyreadr.read_r("/tmp/bce.rda")["bcpss_enrollment"]
    v = v[(v["race"] == "All") & (v["school_number"] != 0) & v["grade"].isin(list(US_TO_SP))]
    v["students"] = pd.to_numeric(v["enrolled_count"], errors="coerce").fillna(0).astype(int)
    rows = [(str(int(s)), int(y), US_TO_SP[g], n) for s, y, g, n in
            zip(v["school_number"], v["year"], v["grade"], v["students"])]
    finish(rows, "baltimore")

def _rds(repo, path):
    import pyreadr
    open("/tmp/panel.rds", "wb").write(git_show(f"{MIRROR}/{repo}/repo", path))
    return pyreadr.read_r("/tmp/panel.rds")[None]


def nh():
    """New Hampshire: one row per campus × school year (end_year 2012 = 2011-12, numbered here by its fall
    year 2011), grade columns grade_k … grade_12 (PreK and postgraduate dropped)."""
    v = _rds("almartin82+nhschooldata", "inst/extdata/nh_enrollment_schools.rds")
    v = v[v["type"] == "Campus"]
    rows = []
    for g_us, g in US_TO_SP.items():
        col = "grade_k" if g_us == "K" else f"grade_{int(g_us):02d}"
        n = pd.to_numeric(v[col], errors="coerce").fillna(0).astype(int)
        rows += [(str(s), int(y) - 1, g, k) for s, y, k in zip(v["campus_id"], v["end_year"], n)]
    finish(rows, "nh")


def wyoming():
    """Wyoming: tidy rows per school × grade × school year (end_year 2000 = 1999-2000, numbered by its fall
    year 1999)."""
    v = _rds("almartin82+wyschooldata", "inst/extdata/enr_2000_2007_tidy.rds")
    v = v[v["is_school"] & (v["subgroup"] == "total_enrollment")]
    grade = v["grade_level"].map({"K": "K", **{f"{i:02d}": str(i) for i in range(1, 12)}}).map(US_TO_SP)
    v = v.assign(grade=grade)[grade.notna()]
    rows = [(f"{d}-{c}", int(y) - 1, int(g), int(n)) for d, c, y, g, n in
            zip(v["district_id"], v["campus_id"], v["end_year"], v["grade"], v["n_students"].fillna(0))]
    finish(rows, "wyoming")


def chicago():
    """Chicago Public Schools: 20th-day membership by school and grade, one workbook per school year
    (Demographics_20thDay_Y.xls = school year (Y-1)-Y, numbered here by its fall year Y-1: 2005 … 2018), copied in
    GitHub AaaChenBao/CPS_Data_Explore (needs xlrd). About 650 schools a year, with the closure of ~50 schools in
    2013 (fall 2013 = 2013 here) and many charter and small-school openings and phase-outs. The header row is the
    one holding "School ID"; K is "K" or "Full-Day K" + "Half-Day K"; district-total rows (no 6-digit ID) dropped."""
    repo = f"{MIRROR}/AaaChenBao+CPS_Data_Explore/repo"
    rows = []
    for y in range(2006, 2020):
        raw = git_show(repo, f"data/enrollment/Demographics_20thDay_{y}.xls")
        book = pd.read_excel(io.BytesIO(raw), sheet_name=None, header=None, dtype=str, engine="xlrd")
        df = max(book.values(), key=len)
        hdr_i = next(i for i in range(10) if "School ID" in set(df.iloc[i].astype(str).str.strip()))
        hdr = [re.sub(r"[\s']+", " ", str(h)).strip() for h in df.iloc[hdr_i]]
        body = df.iloc[hdr_i + 1:]
        ids = body[hdr.index("School ID")].astype(str).str.strip().str.replace(r"\.0$", "", regex=True)
        ok = ids.str.fullmatch(r"\d{6}")
        num = lambda c: pd.to_numeric(body[c].astype(str).str.replace(",", "").str.strip(), errors="coerce").fillna(0)
        cols = {}
        for c, h in enumerate(hdr):
            if h in ("K", "Full-Day K", "Half-Day K"):
                cols.setdefault("K", []).append(c)
            elif re.fullmatch(r"\d{2}", h) and 1 <= int(h) <= 11:
                cols.setdefault(str(int(h)), []).append(c)
        for g_us, cs in cols.items():
            n = sum(num(c) for c in cs)
            rows += [(s, y - 1, US_TO_SP[g_us], int(v)) for s, v, k in zip(ids, n, ok) if k]
    finish(rows, "chicago")


def _alabama_rows(max_district=None):
    """Alabama: ALSDE enrollment by campus and grade, school years 2020-21 … 2024-25 (end_year 2021 = 2020-21,
    numbered here by its fall year 2020), copied in GitHub almartin82/alschooldata (inst/extdata/vignette_enr_data.rds,
    needs pyreadr). Campuses have no ID in that file: a school is district name + campus name. ``max_district``
    keeps the schools of districts with fewer pupils than that in the first year (small rural systems)."""
    v = _rds("almartin82+alschooldata", "inst/extdata/vignette_enr_data.rds")
    v = v[(v["type"] == "Campus") & (v["subgroup"] == "total_enrollment")]
    v = v.assign(sid=v["district_name"].str.strip() + " | " + v["campus_name"].str.strip().str.replace(r"\s+", " ", regex=True))
    if max_district:
        tot = v[v["grade_level"] == "TOTAL"]
        first = tot[tot["end_year"] == tot["end_year"].min()].groupby("district_name")["n_students"].sum()
        v = v[v["district_name"].isin(first.index[first < max_district])]
    grade = v["grade_level"].map({"K": "K", **{f"{i:02d}": str(i) for i in range(1, 12)}}).map(US_TO_SP)
    v = v.assign(grade=grade)[grade.notna()]
    return [(s, int(y) - 1, int(g), int(n)) for s, y, g, n in
            zip(v["sid"], v["end_year"], v["grade"], v["n_students"].fillna(0))]


def alabama():
    """Alabama, the whole state: ~1,400 campuses (median ≈ 440 pupils in grades K–11), 2020 … 2024."""
    finish(_alabama_rows(), "alabama")


def alabama_small():
    """Alabama's small systems: the campuses of the districts with fewer than 3,000 pupils in 2020-21 (rural county
    and small-town systems), a rural panel of small schools."""
    finish(_alabama_rows(max_district=3000), "alabama_small")


if __name__ == "__main__":
    for name in sys.argv[1:] or ["vermont", "nyc"]:
        globals()[name]()
