"""Docs are code: every ```python block in README.md and docs/ runs as a test
(Sybil; blocks of one file share a namespace, `>>>` lines check their output)."""
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(doctest_optionflags=ELLIPSIS | NORMALIZE_WHITESPACE),
             SkipParser()],
    patterns=["README.md", "docs/*.md"],
).pytest()
