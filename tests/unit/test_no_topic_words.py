"""Any treatment is just another pack (issue 14): no word or rule about the bundled pack's topic lives in the
code.  Every .py file under src/evigrade (docstrings and comments included) is searched for the bundled
topic's words; the bundled pack's own data folder (packs/bundled/) is the only place they belong."""
from __future__ import annotations

import pathlib
import re

import evigrade

SRC = pathlib.Path(evigrade.__file__).resolve().parent
BUNDLED_DATA = SRC / "packs" / "bundled"

#: the bundled pack's topic words (case-insensitive); "DN" only as a word
TOPIC_WORDS = re.compile(r"dry[\s_-]*needl|needling|trigger[\s_-]*point|myofascial|neck|shoulder|pneumothora|twitch"
                         r"|\bdn\b", re.I)

#: lines allowed to name the topic (none: even the bundled pack's id is read from its data folder)
ALLOWED_LINES: set[tuple[str, str]] = set()



def _hits() -> list[str]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        if BUNDLED_DATA in path.parents:
            continue
        rel = path.relative_to(SRC).as_posix()
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            m = TOPIC_WORDS.search(line)
            if m and (rel, line.strip()) not in ALLOWED_LINES:
                out.append(f"{rel}:{i}: {m.group(0)!r} in {line.strip()[:100]}")
    return out


def test_no_topic_word_in_the_code():
    assert _hits() == []


def test_the_search_finds_topic_words():
    # the pattern itself: it must catch each word (else the test above proves nothing)
    for text in ("dry needling", "Dry-Needling", "needling", "trigger-point", "Trigger point", "myofascial", "neck",
                 "shoulder", "pneumothorax", "pneumothoraces", "local twitch response", "favours DN", "(dn|"):
        assert TOPIC_WORDS.search(text), text
    for text in ("the intervention", "DNA", "dnorm", "trPV", "hidden", "between_forms"):
        assert not TOPIC_WORDS.search(text), text


def test_the_allowed_exception_is_still_needed():
    # an allowed line that no longer exists is stale: remove it from ALLOWED_LINES
    for rel, line in ALLOWED_LINES:
        assert line in (SRC / rel).read_text(encoding="utf-8"), (rel, line)


def test_the_bundled_pack_ids_come_from_the_data_folder():
    from evigrade.packs.loader import BUNDLED_PACKS, bundled_pack_path

    folders = sorted(d.name for d in BUNDLED_DATA.iterdir() if (d / "pack.toml").is_file())
    assert BUNDLED_PACKS == tuple(folders) and len(folders) >= 1
    assert bundled_pack_path() == BUNDLED_DATA / folders[0]
