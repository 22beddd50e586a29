"""Build the bundled pack ``dry-needling-neck-shoulder`` from the curated shared evidence folder.

    python scripts/build_bundled_pack.py [SHARED_EVIDENCE_DIR [OUTPUT_DIR [SUPPLEMENT_DIR]]]

Reads studies.csv, outcomes.csv, pooled.csv, safety.csv and mechanisms.csv of
../shared/evidence/dry-needling-neck-shoulder, plus the repo's supplementary curated review rows
scripts/evidence_supplement/pooled.csv (same columns as the shared pooled.csv; reviews the shared folder
lacks, each row with its source and the page read; see docs/evidence-sources.md), and writes studies.csv,
results.csv, reviews.csv, safety.csv and claims.csv into
src/evigrade/packs/bundled/dry-needling-neck-shoulder/ (pack.toml is hand-written and kept).
Supplementary rows are appended after the shared rows in their file order.  Every number is copied
as printed; nothing is imputed or converted.  The mapping decisions (outcome ids, comparison groups,
comparison kinds, time-point buckets, sign orientation, corrections of the shared curation) are the
tables below, each row keeps ``source_row`` = the source file and its row id, and ``source`` = the
pages read.  Deterministic: same input, same bytes.
"""
from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "evigrade" / "packs" / "bundled" / "dry-needling-neck-shoulder"
SHARED_REL = Path("shared") / "evidence" / "dry-needling-neck-shoulder"
# the curated folder sits next to the checkout (../shared) or, for a git worktree, further up
DEFAULT_SHARED = next((p / SHARED_REL for p in ROOT.parents if (p / SHARED_REL).is_dir()), ROOT.parent / SHARED_REL)
DEFAULT_SUPPLEMENT = ROOT / "scripts" / "evidence_supplement"
SUPPLEMENT_SOURCE = "evidence_supplement/pooled.csv"  # source_row prefix of supplementary review rows


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / name, newline="", encoding="utf-8") as fh:
        return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(fh)]


_out = [OUT]


def write(name: str, columns: list[str], rows: list[dict[str, object]]) -> None:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    w.writeheader()
    for r in rows:
        w.writerow({c: ("" if r.get(c) is None else r.get(c)) for c in columns})
    (_out[0] / name).write_text(buf.getvalue(), encoding="utf-8")


def pure_int(s: str) -> str:
    return s if re.fullmatch(r"\d+", s or "") else ""


def pure_num(s: str) -> str:
    s = (s or "").replace("\u2212", "-")
    return s if re.fullmatch(r"-?\d+(\.\d+)?", s) else ""


# ---------------------------------------------------------------------------------------------
# comparison groups (README 4.5 comparator_type vocabulary -> pack comparison ids)
# ---------------------------------------------------------------------------------------------
def comparison_of(ctype: str) -> list[str]:
    out = []
    for part in [p.strip() for p in re.split(r";(?![^()]*\))", ctype) if p.strip()]:
        p = part.lower()
        if p.startswith("not_applicable") or "pens added to dn" in p or "dn in both arms" in p or p.startswith("add-on of"):
            cid = "dn_in_all_arms"
        elif p.startswith("sham") or p.startswith("add_on with sham"):
            cid = "sham"
        elif p.startswith("no_treatment"):
            cid = "no_treatment"
        elif p.startswith("add_on"):
            cid = "add_on"
        elif p.startswith("wet_needling"):
            cid = "injection"
        elif p.startswith("other_form_of_dn") or p.startswith("other_form_of_needling"):
            cid = "dn_variant"
        elif p.startswith("other_therapy") and any(w in p for w in ("compression", "pressure")):
            cid = "ischemic_compression"  # ischemic compression, TrP compression, manual pressure (release)
        elif p.startswith("other_therapy") and "manual" in p:
            cid = "manual_therapy"
        elif p.startswith("other_therapy"):
            cid = "other_active"
        else:
            raise SystemExit(f"unmapped comparator_type {ctype!r}")
        if cid not in out:
            out.append(cid)
    return out


# What kind of contrast each comparison group is (the `comparison_kind` column of results.csv and
# reviews.csv; docs/packs.md): `comparative` = dry needling against a comparator without it;
# `between_forms` = two forms of dry needling; `intervention_in_all_arms` = dry needling in every arm
# (the trial tests something else); `partly_between_forms` = the source pooled comparators without dry
# needling together with other forms of dry needling (Navarro-Santana 2020: sham/placebo/waiting
# list/other form of dry needling), or a trial statement that covers both kinds of comparator.
COMPARISON_KIND = {
    "dn_variant": "between_forms", "dn_in_all_arms": "intervention_in_all_arms",
    "sham_or_control": "partly_between_forms",
}


def comparison_kind(comps: list[str]) -> str:
    kind = COMPARISON_KIND.get(comps[0], "comparative")
    if kind == "comparative" and any(COMPARISON_KIND.get(c) == "between_forms" for c in comps[1:]):
        return "partly_between_forms"
    return kind


POPULATION_OF_SCOPE = {
    "core_neck": "neck", "core_shoulder": "shoulder", "core_neck_shoulder": "neck_shoulder",
    "core_MPS_region_unstated": "neck_shoulder",
}


def population_of_scope(flag: str) -> str:
    for k, v in POPULATION_OF_SCOPE.items():
        if flag == k or flag.startswith(k + " ") or flag.startswith(k + "_"):
            return v
    if flag.startswith("adjacent"):
        return "adjacent"
    raise SystemExit(f"unmapped scope_flag {flag!r}")


# ---------------------------------------------------------------------------------------------
# outcomes
# ---------------------------------------------------------------------------------------------
DOMAIN = {
    "pain intensity": "pain", "pain-related disability": "disability", "pressure pain threshold": "ppt",
    "cervical range of motion": "rom", "function": "disability", "other (shoulder ROM)": "rom",
    "other (muscle strength)": "strength", "other (grip strength)": "strength",
    "other (quality of life)": "quality_of_life", "other (patient-rated change)": "global_improvement",
    "other (function)": "disability", "other (anxiety)": "psychological", "other (tissue stiffness)": "stiffness",
    "other (pain catastrophism)": "catastrophizing", "other (depression)": "psychological",
    "cervical range of motion (side-bending)": "rom",
}
# rows whose domain is "other" or "multiple (...)": outcome ids read from the instrument column
ROW_OUTCOMES = {
    "O029": "pain;ppt;rom;disability", "O042": "pain;ppt;disability;psychological", "O044": "disability;pain;ppt;stiffness",
    "O060": "rom;disability", "O070": "pain;ppt;rom", "O078": "pain;ppt", "O082": "pain;catastrophizing;disability;rom",
    "O094": "pain;disability;quality_of_life;psychological;rom", "O106": "muscle_activity", "O111": "global_improvement",
    "O113": "global_improvement", "O116": "pain_modulation", "O122": "acceptable_state", "O123": "acceptable_state",
    "O124": "acceptable_state", "O125": "further_care", "O127": "rom", "O128": "rom", "O130": "global_improvement",
    "O132": "pain;disability;ppt",
    # reviews.csv multi-outcome qualitative rows
    "P026": "pain;disability", "P059": "pain;ppt", "P065": "pain;disability", "P070": "pain;rom;disability;quality_of_life",
    "P071": "pain;rom;quality_of_life;disability", "P072": "pain;disability;strength",
    # evidence_supplement/pooled.csv: range of motion with the body region not stated
    "X012": "rom", "X013": "rom",
}


def outcomes_of(row_id: str, domain: str) -> str:
    if row_id in ROW_OUTCOMES:
        return ROW_OUTCOMES[row_id]
    if domain in DOMAIN:
        return DOMAIN[domain]
    raise SystemExit(f"unmapped outcome domain {domain!r} on {row_id}")


def bucket_of(b: str) -> tuple[str, str]:
    """Map the shared bucket wording to pack bucket ids; returns (timepoint, note)."""
    note = ""
    s = b.strip()
    if not s:
        return "unspecified", ""
    if "(inferred)" in s:
        note = "time point inferred by the curator from context (README 4.3)"
        s = s.replace("(inferred)", "").strip()
    ids = {"immediate": "immediate", "short term": "short_term", "mid term": "mid_term", "long term": "long_term"}
    if s == "short term to long term":
        return "short_term+mid_term+long_term", note
    parts = re.split(r"\s*\+\s*|/", s)
    try:
        return "+".join(ids[p.strip()] for p in parts), note
    except KeyError:
        raise SystemExit(f"unmapped bucket {b!r}") from None


# ---------------------------------------------------------------------------------------------
# trial effects: measure and sign orientation (README 4.4), decided row by row
# ---------------------------------------------------------------------------------------------
EFFECT_ROWS = {
    # row: (measure, orientation, note)
    "O037": ("MD", "reversed", "Source reports a positive MD for a larger pain reduction with PT + DN (README 4.4); negated to DN arm minus comparator."),
    "O038": ("MD", "reversed", "Same sign convention as O037 (positive = larger reduction with DN); negated."),
    "O039": ("MD", "unclear", "Sign convention for NDI not stated; CI as printed (does not bracket the estimate symmetrically)."),
    "O049": ("MD", "reversed", "Reported as an 'estimated reduction' (positive = larger reduction with DN); negated to DN minus sham."),
    "O050": ("MD", "as_reported", "Positive = more ROM with DN (favours DN as reported)."),
    "O051": ("MD", "unclear", "Sign convention not stated; no CI."),
    "O054": ("MD", "as_reported", "Negative = lower (better) DASH with exercise + DN (favours DN as reported)."),
    "O055": ("MD", "as_reported", "As O054."),
    "O056": ("MD", "as_reported", "As O054."),
    "O057": ("MD", "as_reported", "As O054."),
    "O066": ("ES", "as_reported", "Effect-size type not specified in the abstract; negative favours DN as reported."),
    "O120": ("MD", "as_reported", "Negative = lower (better) SPADI with PT + DN (README 4.4)."),
    "O121": ("MD", "as_reported", "Negative favours DN; CI printed asymmetrically (README gap 12): verify against the full text."),
    "O122": ("RD", "as_reported", "Difference in % 'yes' (percentage points); positive favours DN."),
    "O123": ("RD", "as_reported", "As O122."),
    "O124": ("RD", "as_reported", "As O122."),
    "O125": ("OR", "unclear", "Reference group for the OR not specified in the abstract."),
    "O113": ("RR", "as_reported", "Arm-level counts; the summary computes the risk ratio DN / sham from them."),
}


def result_rows(folder: Path, studies: dict[str, dict[str, str]]) -> list[dict[str, object]]:
    rows = []
    for r in read(folder, "outcomes.csv"):
        rid = r["row_id"]
        dt = r["data_type"]
        notes = [r["notes"]] if r["notes"] else []
        if dt == "between_group_effect":
            data_type = "effect"
        elif dt.startswith("between_group_effect ("):
            data_type = "qualitative"
            notes.append(f"Reported only as a {dt.split('(')[1].rstrip(')')} ({r['effect_measure']} {r['effect_estimate']}); not a point estimate.")
        elif dt.startswith("arm_level"):
            data_type = "arm_level"
        elif dt.startswith("within_group") or "within" in dt:
            data_type = "within_group"
        elif dt.startswith("p_value_only"):
            data_type = "p_value_only"
        elif dt == "qualitative":
            data_type = "qualitative"
        else:
            raise SystemExit(f"unmapped data_type {dt!r}")
        comps = comparison_of(r["comparator_type"])
        if len(comps) > 1:
            notes.append(f"Comparator types {r['comparator_type']!r}: filed under {comps[0]!r}.")
        tp, tnote = bucket_of(r["timepoint_bucket"])
        if tnote:
            notes.append(tnote)
        measure, orientation = "", ""
        est = lo = hi = ""
        if rid in EFFECT_ROWS:
            measure, orientation, onote = EFFECT_ROWS[rid]
            notes.append(onote)
        if data_type in ("effect", "within_group"):
            est, lo, hi = pure_num(r["effect_estimate"]), pure_num(r["ci_lower"]), pure_num(r["ci_upper"])
            if data_type == "within_group" and r["effect_estimate"]:
                notes.append(f"Within-group figure as printed: {r['effect_measure']} {r['effect_estimate']}"
                             + (f" ({r['ci_lower']} to {r['ci_upper']})" if r["ci_lower"] else "") + "; not a between-group effect.")
                est = lo = hi = ""
        elif data_type == "p_value_only" and r["effect_estimate"]:
            notes.append(f"Test statistic as printed: {r['effect_measure']} = {r['effect_estimate']}.")
        if data_type == "effect" and rid not in EFFECT_ROWS:
            raise SystemExit(f"effect row {rid} has no measure/orientation decision")
        pv = r["p_value"]
        if pv and not re.search(r"\d", pv):
            notes.append(f"p as printed: {pv}")
            pv = ""
        unit = r["scale"]
        rows.append({
            "result_id": rid, "study_id": r["study_id"], "outcome": outcomes_of(rid, r["outcome_domain"]),
            "timepoint": tp, "comparison": comps[0], "comparison_kind": comparison_kind(comps), "data_type": data_type,
            "instrument": r["instrument"], "unit": unit, "measure": measure,
            "m1i": pure_num(r["dn_mean"]), "sd1i": pure_num(r["dn_sd"]), "n1i": pure_int(r["dn_n"]),
            "m2i": pure_num(r["comp_mean"]), "sd2i": pure_num(r["comp_sd"]), "n2i": pure_int(r["comp_n"]),
            "ai": pure_int(r["dn_events"]), "ci": pure_int(r["comp_events"]),
            "estimate": est, "ci_low": lo, "ci_high": hi, "se": pure_num(r["se"]), "p_value": pv,
            "orientation": orientation, "direction_reported": r["direction"], "result_as_reported": r["reported_result"],
            "timepoint_as_stated": r["timepoint_as_stated"], "comparison_as_stated": r["comparison"],
            "notes": " ".join(notes), "source": r["source_url"], "source_row": f"outcomes.csv {rid}",
        })
    return rows


# ---------------------------------------------------------------------------------------------
# reviews
# ---------------------------------------------------------------------------------------------
REVIEW_POP = {
    "NavarroSantana2020": ("neck", 2020), "FernandezDeLasPenas2021": ("neck", 2021), "NavarroSantana2021": ("shoulder", 2021),
    "Liu2015": ("neck_shoulder", 2015), "Hall2018": ("shoulder", 2018), "ParaGarcia2022": ("shoulder", 2022),
    "Griswold2022": ("shoulder", 2022), "Kietrys2013": ("neck_shoulder", 2013), "Ong2014": ("neck_shoulder", 2014),
    "NavarroSantana2022_TPI": ("neck", 2022), "LTR_MA_2021": ("spinal", 2021), "Xu2023": ("neck", 2023),
    "SanchezInfante2021": ("musculoskeletal", 2021), "Gattie2017": ("musculoskeletal", 2017), "Cagnie2015": ("neck", 2015),
    "HernandezSecorun2023": ("neck", 2023), "UmbrellaReview_JCM2023": ("musculoskeletal", 2023),
    "Boyles2015": ("musculoskeletal", 2015), "EspejoAntunez2017": ("musculoskeletal", 2017), "Sports2024_overhead": ("shoulder", 2024),
    "Lew2021": ("neck", 2021),
    # evidence_supplement/pooled.csv: myofascial (trigger point) pain, body region not restricted
    "Tough2009": ("musculoskeletal", 2009), "Tough2011": ("musculoskeletal", 2011),
    "CummingsWhite2001": ("musculoskeletal", 2001), "RodriguezMansilla2016": ("musculoskeletal", 2016),
}
# Corrections of the shared curation, applied here so that the shared folder stays untouched and
# every row keeps its source_row. JMMT2021_DNvsTPMT is Lew et al. 2021 (evigrade issue 13); the PubMed
# record read (PMID 32962567) shows title, journal, volume, pages and DOI but not the author list.
REVIEW_ID_FIX = {"JMMT2021_DNvsTPMT": "Lew2021"}
REVIEW_CITATION_FIX = {
    "JMMT2021_DNvsTPMT": (
        "Lew J, et al. Comparison of dry needling and trigger point manual therapy in patients with neck and upper back "
        "myofascial pain syndrome: a systematic review and meta-analysis. J Man Manip Ther. 2021 Jun;29(3):136-146. "
        "doi:10.1080/10669817.2020.1822618 (PMID 32962567; epub 22 Sep 2020). First author as identified in evigrade "
        "issue 13; the PubMed record read does not show the author list."),
}
REVIEW_COMPARISON = {}
for ids, cid in [
    # Navarro-Santana 2020 pooled sham, placebo, waiting list AND other forms of dry needling (abstract,
    # pubmed.gov/33066556): its own group, labelled so in pack.toml (comparison_kind partly_between_forms)
    ("P001 P002 P005", "sham_or_control"),
    ("P022 P023 P061 P071", "sham_or_no_treatment"),
    ("P003 P066 P067 P068", "manual_therapy"),
    # Xu 2023 compared dry needling with ischemic compression (abstract, content.iospress.com bmr220045)
    ("P051 P052 P053 P054", "ischemic_compression"),
    ("P004 P006 P025 P062 P065", "other_active"),
    ("P007 P008 P018 P019 P020 P021 P026 P029 P030 P031 P032 P055 P056 P057 P058 P059 P060 P063 P069 P070 P072", "any_comparator"),
    ("P009 P010 P011 P012 P013 P014 P015 P016 P017 P033 P034", "add_on"),
    ("P027 P028 P046 P047 P048 P049 P050", "dn_variant"),
    ("P035 P036", "sham"),
    ("P024 P037 P038 P039 P040 P041 P042 P043 P044 P045 P064", "injection"),
    # evidence_supplement/pooled.csv
    ("X001 X004 X007 X008 X012", "sham"),
    ("X002 X009", "no_treatment"),
    ("X003", "dn_variant"),
    ("X005 X010 X011 X013", "other_active"),
    ("X006", "injection"),
]:
    for i in ids.split():
        REVIEW_COMPARISON[i] = cid
REVIEW_ORIENTATION = {
    **{i: ("reversed", "Source expresses TrP injection minus DN (negative favours injection); negated to DN minus injection.")
       for i in "P040 P041 P042 P043 P044 P045".split()},
    **{i: ("reversed", "Source reports positive values as favouring DN over ischemic compression; negated to DN minus comparator.")
       for i in "P051 P052 P053 P054".split()},
    **{i: ("unclear", "Sign convention not stated in the abstract; kept as printed and never used as the primary estimate.")
       for i in "P037 P038 P039 P066 P067 P068".split()},
    "P024": ("as_reported", "Positive SMD reported as favouring wet needling (the comparator): already DN minus comparator for pain."),
    "P025": ("as_reported", "Positive SMD reported as favouring other therapies (the comparator): already DN minus comparator for pain."),
    # evidence_supplement/pooled.csv
    "X001": ("reversed", "Source expresses superiority of needling as a positive value; negated to DN minus placebo."),
    "X004": ("reversed", "Source reports needling 'statistically superior to placebo' with a positive WMD; negated to DN minus placebo."),
    **{i: ("as_reported", "Results text: negative d = DN better for pain, positive d = other treatments better; already DN minus comparator.")
       for i in "X008 X009 X010 X011".split()},
    **{i: ("as_reported", "Results text: positive d = more ROM with DN, negative = more with other treatments; already DN minus comparator.")
       for i in "X012 X013".split()},
}
# rows whose printed trial/participant counts are the review totals (the shared notes say so), not per estimate
REVIEW_TOTAL_COUNTS = set("P066 P067 P068".split())
# measure decisions where the printed label is not one of the pack's measures (supplementary rows)
REVIEW_MEASURE = {i: "ES" for i in "X001 X008 X009 X010 X011 X012 X013".split()}


def count_and_scope(s: str) -> tuple[str, str, str]:
    s = s.strip()
    if not s:
        return "", "", ""
    if re.fullmatch(r"\d+", s):
        return s, "estimate", ""
    m = re.match(r"^(\d+)\s*\((review total|meta-analysis|\d+ comparisons|per umbrella review appendix)\)$", s)
    if m:
        return m.group(1), "review_total", f"stated as {s!r}"
    return "", "", f"count stated as {s!r} (not a number of trials)"


def pooled_inputs(folder: Path, supplement: Path | None) -> list[tuple[str, dict[str, str]]]:
    """(source_row prefix, row): the shared pooled.csv, then the supplementary rows in file order."""
    shared = [("pooled.csv", r) for r in read(folder, "pooled.csv")]
    extra = [(SUPPLEMENT_SOURCE, r) for r in read(supplement, "pooled.csv")] if supplement else []
    header_shared = list(read_header(folder / "pooled.csv"))
    if supplement and list(read_header(supplement / "pooled.csv")) != header_shared:
        raise SystemExit(f"{supplement / 'pooled.csv'}: header differs from the shared pooled.csv")
    seen = {r["row_id"] for _, r in shared}
    for _, r in extra:
        if r["row_id"] in seen:
            raise SystemExit(f"supplementary row id {r['row_id']!r} repeats a row id")
        seen.add(r["row_id"])
    return shared + extra


def read_header(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8") as fh:
        return next(csv.reader(fh))


def review_rows(folder: Path, supplement: Path | None = None) -> list[dict[str, object]]:
    rows = []
    for src, r in pooled_inputs(folder, supplement):
        rid = r["row_id"]
        rev_id = REVIEW_ID_FIX.get(r["review_id"], r["review_id"])
        pop, year = REVIEW_POP[rev_id]
        notes = [r["notes"]] if r["notes"] else []
        tp, tnote = bucket_of(r["timepoint_bucket"])
        if tnote:
            notes.append(tnote)
        if r["bucket_basis"]:
            notes.append(f"Bucket basis: {r['bucket_basis']}.")
        k, k_scope, knote = count_and_scope(r["n_trials"])
        n, n_scope, nnote = count_and_scope(r["n_participants"])
        if rid in REVIEW_TOTAL_COUNTS:  # the curator's note says the count is the review total
            k_scope, n_scope = ("review_total" if k else ""), ("review_total" if n else "")
        notes += [x for x in (knote and f"k {knote}", nnote and f"participants {nnote}") if x]
        rep = r["reported_as"]
        reported_as = "numeric" if rep == "numeric" else "range" if rep == "range" else "qualitative"
        em = r["effect_measure"]
        measure = REVIEW_MEASURE.get(rid) or ("SMD" if em.startswith("SMD") else "MD" if em == "MD" else "")
        if rid in REVIEW_MEASURE:
            notes.append(f"Effect measure as printed: {em!r}; recorded as {measure}.")
        if r["review_id"] in REVIEW_ID_FIX:
            notes.append(f"Shared curation id {r['review_id']!r} corrected to {rev_id!r} (evigrade issue 13).")
        orientation, onote = REVIEW_ORIENTATION.get(rid, ("as_reported", ""))
        if onote:
            notes.append(onote)
        est = pure_num(r["estimate"]) if reported_as == "numeric" else ""
        result_text = rep if reported_as == "qualitative" else (f"{em} {r['estimate']}" if reported_as == "range" else "")
        rows.append({
            "review_row_id": rid, "review_id": rev_id, "citation": REVIEW_CITATION_FIX.get(r["review_id"], r["review_citation"]),
            "year": year, "outcome": outcomes_of(rid, r["outcome_domain"]), "timepoint": tp, "comparison": REVIEW_COMPARISON[rid],
            "comparison_kind": comparison_kind([REVIEW_COMPARISON[rid]]),
            "population": pop, "reported_as": reported_as, "comparison_as_stated": r["comparison"],
            "population_scope": r["population_scope"], "timepoint_as_stated": r["timepoint_as_stated"],
            "k": k, "k_scope": k_scope, "participants": n, "participants_scope": n_scope,
            "measure": measure, "unit": r["instrument_or_unit"], "estimate": est,
            "ci_low": pure_num(r["ci_lower"]) if est else "", "ci_high": pure_num(r["ci_upper"]) if est else "",
            "p_value": r["p_value"] if re.search(r"\d", r["p_value"]) else "", "i2": pure_num(r["i2"]),
            "grade": r["grade_certainty"], "grade_reasons": r["grade_downgrade_reasons"], "orientation": orientation,
            "direction_note": r["direction_note"], "result_as_reported": result_text, "notes": " ".join(notes),
            "source": r["source_url"], "source_row": f"{src} {rid}",
        })
    return rows


# ---------------------------------------------------------------------------------------------
# safety and claims
# ---------------------------------------------------------------------------------------------
SEVERITY = {
    "mild (all)": "mild", "minor (all)": "mild", "mild": "mild", "minor": "mild", "significant": "significant",
    "major (all)": "significant", "major (as classified by source)": "significant", "serious": "serious",
    "severe (as classified by source)": "serious", "serious (risk mitigation)": "serious", "any": "any",
    "classification": "unclassified",
}


def severity_of(s: str) -> str:
    if s in SEVERITY:
        return SEVERITY[s]
    if s.startswith("mild"):
        return "mild"
    raise SystemExit(f"unmapped severity {s!r}")


def safety_rows(folder: Path) -> list[dict[str, object]]:
    rows = []
    for r in read(folder, "safety.csv"):
        rid = r["row_id"]
        notes = [r["notes"]] if r["notes"] else []
        db = r["denominator_basis"].lower()
        basis = ("treatments" if db.startswith("per treatment") else "patients" if db.startswith("per patient")
                 else "respondents" if "respondents" in db else "studies" if db == "studies" else "none")
        ntr = pure_int(r["n_treatments"])
        if not ntr and r["n_treatments"]:
            m = re.match(r"^([\d,]+)\s*\(abstract also uses ([\d,]+) for the major-AE denominator\)$", r["n_treatments"])
            if m:
                first, major = m.group(1).replace(",", ""), m.group(2).replace(",", "")
                ntr = major if r["event_severity"].startswith("major") else first
                notes.append(f"n_treatments as printed: {r['n_treatments']}; this row uses {int(ntr):,}.")
        npat = pure_int(r["n_patients"])
        if r["n_patients"] and not npat:
            notes.append(f"n_patients as printed: {r['n_patients']}.")
        count = pure_int(r["count"])
        if basis in ("treatments", "patients") and not (ntr if basis == "treatments" else npat):
            notes.append(f"Denominator basis {r['denominator_basis']!r} but no numeric denominator.")
            basis = "none"
        if basis == "respondents" and count:
            notes.append("Count of survey respondents, not of treatments or patients.")
        sev_rep = r["event_severity"]
        aggregate = "(all)" in sev_rep or r["event"].lower().startswith("any ")
        text = (r["population_or_region"] or "").lower()
        region = (any(w in text for w in ("neck", "shoulder", "trapezius", "cervical", "infraspinatus", "periscapular"))
                  and "all body regions" not in text and "all regions" not in text and "not neck/shoulder-specific" not in text)
        rows.append({
            "safety_id": rid, "source_id": r["source_id"], "citation": r["citation"], "design": r["design"],
            "severity": severity_of(sev_rep), "severity_as_reported": sev_rep, "event": r["event"],
            "population": r["population_or_region"], "region_specific": "yes" if region else "no",
            "aggregate": "yes" if aggregate else "no", "n_practitioners": pure_int(r["n_practitioners"]),
            "n_patients": npat, "n_treatments": ntr, "events": count, "denominator_basis": basis,
            "rate_as_reported": r["rate"], "case_report": "yes" if r["design"].lower().startswith("case report") else "no",
            "time_window": r["time_window"], "notes": " ".join(notes), "source": r["source_url"],
            "source_row": f"safety.csv {rid}",
        })
    return rows


CLAIM_GROUPS = {
    "Local twitch response (LTR)": "M001 M002 M003 M004 M005",
    "Motor end-plate dysfunction / spontaneous electrical activity": "M006 M007 M008",
    "Local (and segmental) biochemical milieu": "M011 M012 M013 M014",
    "Local blood flow and oxygenation": "M015 M016 M017",
    "Segmental (spinal) anti-nociception": "M018 M019",
    "Central / descending pain modulation": "M020 M021 M022 M023 M024 M025 M035 M036",
    "Trigger-point-specific (location) effect": "M032 M033",
    "Autonomic nervous system activation": "M034",
    "Muscle stiffness and muscle function": "M029 M039 M040",
    "Contextual / expectation effects": "M030 M037 M038",
    "Multiple combined mechanisms (narrative frameworks)": "M009 M010 M026 M027",
    "Validity of trigger-point diagnosis (caveat for all claims)": "M028 M031",
}


def support_kind(t: str) -> str:
    t = t.lower()
    if t.startswith("systematic review"):
        return "review"
    if t.startswith("animal"):
        return "animal"
    if "rct" in t or t.startswith("clinical trial") or t.startswith("randomized"):
        return "trial"
    if t.startswith("human"):
        return "human_physiological"
    return "theory"  # narrative review, theory, secondary summary


def direction(d: str) -> str:
    d = d.lower()
    if d.startswith("supports mtrp model") or ("does not support" in d and d.startswith("supports")):
        return "partial"
    for key, val in (("supports", "supports"), ("partial", "partial"), ("uncertain", "uncertain"),
                     ("does not support", "does_not_support"), ("theory", "theory"), ("critical", "critical"),
                     ("caveat", "critical")):
        if d.startswith(key):
            return val
    raise SystemExit(f"unmapped direction {d!r}")


def claim_rows(folder: Path) -> list[dict[str, object]]:
    group = {rid: claim for claim, ids in CLAIM_GROUPS.items() for rid in ids.split()}
    rows = []
    for r in read(folder, "mechanisms.csv"):
        rid = r["row_id"]
        rows.append({
            "claim_id": rid, "claim": group[rid], "support_kind": support_kind(r["evidence_type"]),
            "direction": direction(r["direction_of_support"]), "citation": r["citation"], "source": r["source_url"],
            "support_as_reported": r["evidence_type"], "direction_as_reported": r["direction_of_support"],
            "mechanism_as_stated": r["mechanism"], "proposed_effect": r["proposed_effect"], "study_model": r["study_model"],
            "finding": r["key_finding_as_reported"], "caveats": r["caveats"], "source_row": f"mechanisms.csv {rid}",
        })
    return rows


def study_rows(folder: Path) -> list[dict[str, object]]:
    rows = []
    for r in read(folder, "studies.csv"):
        notes = [r["extraction_notes"]] if r["extraction_notes"] else []
        n = pure_int(r["n_randomized"])
        if r["n_randomized"] and not n:
            notes.append(f"n as printed: {r['n_randomized']}.")
        m = re.match(r"PEDro (\d+)/10", r["rob_or_quality_as_reported"])
        y = re.search(r"(19|20)\d\d", r["study_id"])
        flag = r["scope_flag"]
        if flag.startswith("core_MPS_region_unstated"):
            notes.append("Region not named in the abstract; reviews classify it under neck/upper quarter (filed as neck_shoulder).")
        excluded = "nonrandomized" in flag
        comps = comparison_of(r["comparator_type"]) if r["comparator_type"] else []
        rows.append({
            "study_id": r["study_id"], "citation": r["citation"], "year": y.group(0) if y else "",
            "identifiers": r["doi_pmid"], "country": r["country"], "population": population_of_scope(flag),
            "population_description": r["population_condition"], "scope_flag": flag, "design": r["design"],
            "n_randomised": n, "arms": r["arms_with_n"], "intervention": r["dn_intervention"], "comparator": r["comparator"],
            "comparison": ";".join(comps), "follow_up": r["follow_up_timepoints"], "outcomes_measured": r["outcomes_measured"],
            "pedro": m.group(1) if m else "", "rob_as_reported": r["rob_or_quality_as_reported"], "rob_source": r["rob_source"],
            "exclude_from_pooling": "yes" if excluded else "no", "notes": " ".join(notes), "source": r["source_urls"],
            "source_row": f"studies.csv {r['study_id']}",
        })
    return rows


def main(argv: list[str]) -> int:
    folder = Path(argv[0]) if argv else DEFAULT_SHARED
    _out[0] = Path(argv[1]) if len(argv) > 1 else OUT
    supplement = Path(argv[2]) if len(argv) > 2 else DEFAULT_SUPPLEMENT
    _out[0].mkdir(parents=True, exist_ok=True)
    studies = study_rows(folder)
    write("studies.csv", ["study_id", "citation", "year", "identifiers", "country", "population", "population_description",
                          "scope_flag", "design", "n_randomised", "arms", "intervention", "comparator", "comparison",
                          "follow_up", "outcomes_measured", "pedro", "rob_as_reported", "rob_source",
                          "exclude_from_pooling", "notes", "source", "source_row"], studies)
    write("results.csv", ["result_id", "study_id", "outcome", "timepoint", "comparison", "comparison_kind", "data_type",
                          "instrument", "unit",
                          "measure", "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i", "ai", "ci", "estimate", "ci_low",
                          "ci_high", "se", "p_value", "orientation", "direction_reported", "result_as_reported",
                          "timepoint_as_stated", "comparison_as_stated", "notes", "source", "source_row"],
          result_rows(folder, {s["study_id"]: s for s in studies}))
    write("reviews.csv", ["review_row_id", "review_id", "citation", "year", "outcome", "timepoint", "comparison",
                          "comparison_kind", "population", "reported_as", "comparison_as_stated", "population_scope", "timepoint_as_stated",
                          "k", "k_scope", "participants", "participants_scope", "measure", "unit", "estimate", "ci_low",
                          "ci_high", "p_value", "i2", "grade", "grade_reasons", "orientation", "direction_note",
                          "result_as_reported", "notes", "source", "source_row"], review_rows(folder, supplement))
    write("safety.csv", ["safety_id", "source_id", "citation", "design", "severity", "severity_as_reported", "event",
                         "population", "region_specific", "aggregate", "n_practitioners", "n_patients", "n_treatments",
                         "events", "denominator_basis", "rate_as_reported", "case_report", "time_window", "notes",
                         "source", "source_row"], safety_rows(folder))
    write("claims.csv", ["claim_id", "claim", "support_kind", "direction", "citation", "source", "support_as_reported",
                         "direction_as_reported", "mechanism_as_stated", "proposed_effect", "study_model", "finding",
                         "caveats", "source_row"], claim_rows(folder))
    print(f"wrote {_out[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
