"""Docs are code: every ```python block in README.md, README.zh-CN.md and docs/
(docs/*.md matches the Chinese pages, page.zh.md, too) runs as a test
(Sybil; blocks of one file share a namespace, `>>>` lines check their output)."""
from doctest import ELLIPSIS, NORMALIZE_WHITESPACE

from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

pytest_collect_file = Sybil(
    parsers=[PythonCodeBlockParser(doctest_optionflags=ELLIPSIS | NORMALIZE_WHITESPACE),
             SkipParser()],
    patterns=["README.md", "README.zh-CN.md", "docs/*.md"],
).pytest()
