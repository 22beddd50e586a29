"""Sentence splitting for Markdown and plain text (evigrade.claims.text)."""
from __future__ import annotations

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
