"""The hostile-input suite (issue 19); a package so that its conftest is ``hostile.conftest``."""
