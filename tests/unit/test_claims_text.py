"""Sentence splitting for Markdown and plain text (evigrade.claims.text)."""
from __future__ import annotations

import pytest

from evigrade.claims.text import split_sentences, strip_markdown_line


def texts(s: str) -> list[str]:
    return [x.text for x in split_sentences(s)]


def test_plain_sentences_split_on_terminal_punctuation():
    assert texts("It works. Does it? Yes!  Maybe.") == ["It works.", "Does it?", "Yes!", "Maybe."]


def test_abbreviations_and_decimals_do_not_split():
    s = "Smith et al. found an MD of -1.53 vs. sham, e.g. in neck pain, i.e. short term. Next one."
    assert texts(s) == ["Smith et al. found an MD of -1.53 vs. sham, e.g. in neck pain, i.e. short term.", "Next one."]


def test_initials_and_dr_do_not_split():
    assert texts("Dr. J. Smith treats neck pain. Book now.") == ["Dr. J. Smith treats neck pain.", "Book now."]


def test_markdown_headings_bullets_links_emphasis_are_stripped():
    md = """# Dry needling **works**

Read [our guide](https://example.com/guide) on *neck pain*.

- First bullet point
* Second bullet
1. Numbered item

> Quoted claim here.
"""
    assert texts(md) == ["Dry needling works", "Read our guide on neck pain.", "First bullet point", "Second bullet",
                         "Numbered item", "Quoted claim here."]


def test_heading_is_not_glued_to_next_paragraph_and_lines_are_reported():
    out = split_sentences("Title\n=====\nBody text here.\n")
    assert [(s.text, s.line) for s in out] == [("Title", 1), ("Body text here.", 3)]


def test_code_fences_tables_and_html_are_handled():
    md = "```\ncode. not prose.\n```\n| a | b |\n|---|---|\n| cell one | cell two |\n<b>Bold</b> text.\n"
    assert texts(md) == ["a", "b", "cell one", "cell two", "Bold text."]


def test_images_and_inline_code_stripped():
    assert strip_markdown_line("![alt text](x.png) and `code` and ~~gone~~") == "alt text and code and gone"


def test_soft_wrapped_paragraph_is_joined():
    assert texts("Dry needling may reduce\nneck pain in the short\nterm.") == ["Dry needling may reduce neck pain in the short term."]


def test_crlf_and_empty_input():
    assert texts("One.\r\nTwo.\r\n") == ["One.", "Two."]
    assert split_sentences("") == ()
    assert split_sentences("   \n\n ---\n") == ()


def test_each_sentence_reports_the_line_it_starts_on():
    # a manual check once found every sentence reported as "line 1": sentences of a soft-wrapped
    # paragraph must point at their own line
    text = ("Dry needling cures neck pain. It is proven to work.\n"
            "It has no side effects. And it\n"
            "resets the nervous system. Mild bruising is common.\n"
            "\n"
            "A **bold\n"
            "claim** here. See [the review](https://example.com/a-long-address) for\n"
            "details. Last one.\n")
    out = [(s.text, s.line) for s in split_sentences(text)]
    assert out == [("Dry needling cures neck pain.", 1), ("It is proven to work.", 1),
                   ("It has no side effects.", 2), ("And it resets the nervous system.", 2),
                   ("Mild bruising is common.", 3), ("A bold claim here.", 5),
                   ("See the review for details.", 6), ("Last one.", 7)]


def test_lines_in_lists_quotes_and_crlf_files():
    text = "Intro line.\r\n\r\n- First item. Second\r\n  sentence of it.\r\n> Quoted one.\r\n> Quoted two.\r\n"
    out = [(s.text, s.line) for s in split_sentences(text)]
    assert out == [("Intro line.", 1), ("First item.", 3), ("Second sentence of it.", 3),
                   ("Quoted one.", 5), ("Quoted two.", 6)]


@pytest.mark.slow
def test_a_long_paragraph_is_split_in_linear_time():
    """A text without blank lines is one paragraph; splitting it used to be quadratic (a 200 kB
    paragraph took 20 s).  No wall-clock limit (speed is for benchmarks/): the CPU time of a 4x longer
    paragraph must grow like 4x (linear), not 16x (quadratic); the bound 9x sits between the two."""
    import time

    unit = "Dry needling may reduce neck pain (e.g. in the short term) vs. sham, Smith et al. found.\n"

    def cpu(n_bytes: int) -> tuple[float, list]:
        text = unit * (n_bytes // len(unit))
        best, out = float("inf"), []
        for _ in range(2):  # the faster of two runs: a busy machine slows a run down, never speeds it up
            start = time.process_time()
            out = split_sentences(text)
            best = min(best, time.process_time() - start)
        assert len(out) == text.count("\n")
        assert out[-1].line == text.count("\n") and out[1234].line == 1235
        return best, out

    small, _ = cpu(250_000)
    large, out = cpu(1_000_000)
    assert out[10000].line == 10001
    assert large < 9 * max(small, 0.01), (small, large)
