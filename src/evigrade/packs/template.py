"""A minimal, commented pack to fill in (``evigrade init DIR``).

``write_template(folder)`` writes pack.toml (every key explained, placeholders that start with
``FILL IN``), results.csv and reviews.csv (the header and one commented example row each; lines that
start with ``#`` are comments).  The optional tables (studies.csv, safety.csv, claims.csv) are left out.
Until the placeholders are replaced and a row exists, ``evigrade validate`` lists what to fill in.
"""
from __future__ import annotations

from pathlib import Path

from ..errors import InputError

__all__ = ["write_template", "TEMPLATE_FILES"]

PACK_TOML = '''\
# evigrade evidence pack.  Replace every "FILL IN ..." value, add rows to results.csv or reviews.csv,
# then run `evigrade validate DIR`.  Lines starting with # are comments; keys marked (optional) may be
# deleted.  docs/packs.md explains every key.
schema_version = 1
id = "FILL IN: a short id without spaces, e.g. bcg-tuberculosis"
title = "FILL IN: the question in words, e.g. BCG vaccine for preventing tuberculosis"
# description = "where the data come from and what is missing"            (optional)
# sign_convention = "effects are intervention minus comparator (ratios: intervention / comparator)"  (optional)

[question]
population = "FILL IN: who, e.g. people at risk of tuberculosis"
# the intervention in full, and the short name the sentences use ("BCG vaccination may reduce ...")
intervention = "FILL IN: the intervention in full, e.g. BCG vaccination"
intervention_short = "FILL IN: the short name, e.g. BCG vaccination"
# the words the sources use for the intervention: "favours <one of these>" reads as favouring it
intervention_synonyms = ["FILL IN: e.g. BCG", "FILL IN: e.g. BCG vaccine"]
# comparators = ["no vaccination"]                                            (optional, for the report)

# Time points: results name a bucket id.  Without [[buckets]] these are used: immediate (up to 1 day),
# short_term (up to 12 weeks), mid_term (up to 12 months), long_term (over 12 months); "unspecified" is
# always allowed.

# One [[comparisons]] table per comparison group; results.csv and reviews.csv name it by its id.
[[comparisons]]
id = "control"
label = "FILL IN: the comparator in words, e.g. no vaccination"
# kind is one of: sham (placebo or sham), no_treatment (no treatment or waiting list), usual_care,
# active (another active treatment), add_on (the intervention plus X against X alone),
# between_forms (two forms of the intervention), mixed (a review pooled several kinds)
kind = "FILL IN: one of the kinds above, e.g. no_treatment"

# One [[outcomes]] table per outcome; results.csv and reviews.csv name it by its id.
[[outcomes]]
id = "outcome1"
name = "FILL IN: the outcome in words, e.g. tuberculosis"
family = "FILL IN: the outcome family (outcomes of one family are summarised together), e.g. infection"
benefit = "lower"   # "lower" when less is better (pain, events, deaths), "higher" when more is better
# mid = 1.0                       (optional) minimal important difference, in the outcome's units ...
# mid_unit = "points (0-10)"      (optional) ... these units ...
# mid_source = "citation"         (optional) ... and where it comes from (required with mid)

# (optional) phrases in your sources (direction_reported, direction_note, result_as_reported) and what they
# mean; "favours <synonym>", "favours control", "no difference" are understood without them
[directions]
favours_intervention = []   # e.g. ["protective effect"]
favours_comparator = []     # e.g. ["more cases among the vaccinated"]

# (optional) lines shown with the safety data (only with a safety.csv), e.g. where the counts come from
[safety]
context = []

# (optional) your CSV's own column names: pack column = "the column in your CSV", e.g. R's dat.bcg, whose
# 2x2 cells tpos, tneg, cpos, cneg are ai, bi, ci, di (the arm sizes are then ai + bi and ci + di)
# [columns.results]
# study_id = "trial"
# ai = "tpos"
# bi = "tneg"
# ci = "cpos"
# di = "cneg"
'''

RESULTS_CSV = '''\
result_id,study_id,outcome,timepoint,comparison,data_type,measure,ai,n1i,ci,n2i,m1i,sd1i,m2i,sd2i,estimate,ci_low,ci_high,direction_reported,source
# one row per study x outcome x time point x comparison.  data_type: arm_level (events ai/ci of n1i/n2i, or means m1i/m2i with sd1i/sd2i), effect (estimate with ci_low and ci_high), p_value_only, qualitative.  Group 1 is the intervention.  Example (delete the leading #):
# R1,Smith2020,outcome1,long_term,control,arm_level,RR,4,123,11,139,,,,,,,,,"Smith 2020, Table 2"
'''

REVIEWS_CSV = '''\
review_row_id,review_id,citation,outcome,timepoint,comparison,population,reported_as,measure,estimate,ci_low,ci_high,k,participants,direction_note,source
# one row per pooled result of a published review.  reported_as: numeric (estimate with CI) or qualitative (direction_note only).  population: all (or an id of [[populations]]).  Example (delete the leading #):
# V1,Jones2021,"Jones A et al. A review. 2021",outcome1,long_term,control,all,numeric,RR,0.5,0.3,0.8,12,3000,,"Jones 2021, Figure 2"
'''

#: file name -> text of what ``write_template`` writes
TEMPLATE_FILES = {"pack.toml": PACK_TOML, "results.csv": RESULTS_CSV, "reviews.csv": REVIEWS_CSV}


def write_template(folder: str | Path, *, force: bool = False) -> tuple[Path, ...]:
    """Write the template pack into ``folder`` (created when missing) and return the paths written.

    A folder that already holds anything is refused (nothing is written) unless ``force``; with ``force``
    the template's three files are written over any of the same name, and other files are left alone."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise InputError("is a file, not a folder", file=str(path), fix="give the name of a new folder")
    if path.is_dir() and not force:
        held = sorted(p.name for p in path.iterdir())
        if held:
            shown = ", ".join(held[:3]) + (f" and {len(held) - 3} more" if len(held) > 3 else "")
            raise InputError(f"is not empty (holds {shown})", file=str(path),
                             fix="choose a new or empty folder, or add --force to write the template files over "
                                 "any of the same name (nothing was written)")
    out = []
    try:
        path.mkdir(parents=True, exist_ok=True)
        for name, text in TEMPLATE_FILES.items():
            (path / name).write_text(text, encoding="utf-8")
            out.append(path / name)
    except OSError as exc:
        raise InputError(f"cannot be written ({exc.strerror or exc})", file=str(path),
                         fix="choose a folder you can write to") from exc
    return tuple(out)
