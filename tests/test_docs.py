"""The documentation site builds: every page is in the nav, every figure a page
shows is made by docs/make_figures.py, and `mkdocs build --strict` passes (a
broken link or anchor, a missing figure or a bad mkdocstrings reference fails).

The site has two languages (mkdocs-static-i18n, suffix layout): ``page.md`` is
English, ``page.zh.md`` beside it is its Chinese page, built under ``site/zh/``;
a page without a ``.zh.md`` appears in the Chinese site in English. Every
built page carries material's language switch, linking to the same page in
the other language.

The code blocks of the pages are run by Sybil (the root conftest.py); this file
checks the site around them. The build runs on a copy of docs/ in tmp_path,
with the figures made there by ``make_figures.py --quick`` (the same files as
``make docs``, from a few training iterations), so the tree is left untouched.
"""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CONFIG = ROOT / "mkdocs.yml"
FIGURE = re.compile(r"\]\((figures/[^)\s]+)\)")
ZH = ".zh.md"
# The pages the Chinese site must have in Chinese (issue 14, then the tools
# pages, then the performance page): the rest may fall back to English.
ZH_REQUIRED = ["index.md", "tutorial.md", "backprop.md", "notation.md",
               "initialisation.md", "activations.md", "answers.md",
               "testing.md", "gradcheck.md", "cli.md", "gallery.md", "engine.md",
               "performance.md"]


def _config() -> dict:
    # mkdocs.yml uses no !!python tags, so plain YAML reads it
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def _nav_pages(nav) -> list:
    pages = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(_nav_pages(value) if isinstance(value, list) else [value])
    return pages


def _all_pages() -> list:
    return sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
                  if "figures" not in p.relative_to(DOCS).parts)


def _pages() -> list:
    """The English pages: the ones the nav lists."""
    return [p for p in _all_pages() if not p.endswith(ZH)]


def _zh_pages() -> list:
    """The English pages that have a Chinese page beside them."""
    return [p[:-len(ZH)] + ".md" for p in _all_pages() if p.endswith(ZH)]


def _html(page: str) -> str:
    """Where mkdocs writes a page (directory URLs)."""
    return page.replace(".md", "/index.html").replace("index/index.html", "index.html")


def _i18n() -> dict:
    return next(p["i18n"] for p in _config()["plugins"] if isinstance(p, dict) and "i18n" in p)


def test_every_page_is_in_the_nav_and_every_nav_entry_is_a_page():
    nav = _nav_pages(_config()["nav"])
    pages = _pages()
    assert sorted(set(pages) - set(nav)) == [], "pages missing from the nav in mkdocs.yml"
    assert sorted(set(nav) - set(pages)) == [], "nav entries with no page in docs/"
    assert len(nav) == len(set(nav)), f"a page is listed twice in the nav: {nav}"


def test_every_chinese_page_translates_an_english_page():
    zh = _zh_pages()
    assert sorted(set(zh) - set(_pages())) == [], "a .zh.md page with no English page beside it"
    missing = sorted(set(ZH_REQUIRED) - set(zh))
    assert missing == [], f"pages the Chinese site must have in Chinese: {missing} (add X.zh.md)"


def test_the_chinese_nav_marks_exactly_the_pages_still_in_english():
    zh = next(lang for lang in _i18n()["languages"] if lang["locale"] == "zh")
    titles = zh["nav_translations"]
    marked, wrong = "（英文）", []
    for entry in _config()["nav"]:
        for section, value in entry.items():
            assert section in titles, f"nav title {section!r} has no Chinese title"
            for item in value if isinstance(value, list) else [{section: value}]:
                (title, page), = item.items()
                assert title in titles, f"nav title {title!r} has no Chinese title"
                if isinstance(page, str) and titles[title].endswith(marked) == (page in _zh_pages()):
                    wrong.append((page, titles[title]))
    assert wrong == [], (f"the Chinese nav title must end in {marked} exactly when the page "
                         f"has no .zh.md yet: {wrong}")
    # and so must a Chinese page's link that says （英文）
    stale = sorted({(page, target) for page in _all_pages() if page.endswith(ZH)
                    for target in re.findall(r"\]\(([\w-]+\.md)[^)]*\)（英文）",
                                             (DOCS / page).read_text(encoding="utf-8"))
                    if target in _zh_pages()})
    assert stale == [], f"links marked （英文） to pages that now have a Chinese page: {stale}"


SHELL_BLOCK = re.compile(r"```(?:bash|console|shell|sh)\n(.*?)```", re.S)


def test_shell_blocks_list_commands_and_show_no_output():
    # an output shown in a shell session is run by nobody and drifts (issue 10):
    # outputs belong in ```python blocks, which Sybil runs and checks
    sessions = [(page, line) for page in _all_pages()
                for block in SHELL_BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))
                for line in block.splitlines() if line.startswith("$ ")]
    assert sessions == [], f"shell sessions with outputs no test runs: {sessions}"


PYTHON_BLOCK = re.compile(r"```python\n(.*?)```", re.S)
# numpy 2 shows a scalar with its type (np.float64(1.0), np.False_), numpy 1 as
# a plain number (1.0, False); setup.cfg allows both
NUMPY2_SCALAR = re.compile(r"\bnp\.(?:True_|False_|(?:float|int|uint|complex|bool|str)\w*\()")


def test_shown_outputs_are_the_same_under_numpy_1_and_2():
    # CI installs the newest numpy only, so this is what keeps a learner on
    # numpy 1.26 from seeing a page's example fail (float(...), bool(...) and
    # int(...) show the same under both)
    texts = {p: (DOCS / p).read_text(encoding="utf-8") for p in _all_pages()}
    texts.update({r: (ROOT / r).read_text(encoding="utf-8")
                  for r in ("README.md", "README.zh-CN.md")})
    shown = [(page, line) for page, text in texts.items()
             for block in PYTHON_BLOCK.findall(text) for line in block.splitlines()
             if not line.startswith((">>>", "...")) and NUMPY2_SCALAR.search(line)]
    assert shown == [], f"outputs only numpy 2 prints: {shown}"


def test_pages_are_flat_so_the_sybil_pattern_docs_star_md_runs_their_code():
    nested = [p for p in _all_pages() if "/" in p]
    assert nested == [], (f"{nested}: the root conftest.py runs the code of docs/*.md "
                          f"only; widen its pattern before nesting pages")


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> dict:
    """Figures made and the site built once, in a tmp copy of docs/."""
    try:
        import mkdocs  # noqa: F401
        import mkdocstrings  # noqa: F401
    except ImportError as error:   # a failure, not a skip: CI installs the docs extra
        pytest.fail(f"{error}: the docs need the project's docs extra: "
                    f"pip install -e '.[docs]' (make test installs it)")
    tmp = tmp_path_factory.mktemp("site")
    docs = tmp / "docs"
    shutil.copytree(DOCS, docs, ignore=shutil.ignore_patterns("figures", "__pycache__"))
    figures = subprocess.run(
        [sys.executable, str(docs / "make_figures.py"), "--quick", "--out", str(docs / "figures")],
        cwd=tmp, capture_output=True, text=True,
        # this checkout's nets, not an installed copy (the script runs from the tmp copy)
        env={**os.environ, "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))})
    assert figures.returncode == 0, f"make_figures.py failed:\n{figures.stdout}\n{figures.stderr}"

    config = _config()
    config["docs_dir"] = str(docs)
    config["site_dir"] = str(tmp / "site")
    python = config["plugins"][[i for i, p in enumerate(config["plugins"])
                                 if isinstance(p, dict) and "mkdocstrings" in p][0]]
    python["mkdocstrings"]["handlers"]["python"]["paths"] = [str(ROOT)]
    tmp_config = tmp / "mkdocs.yml"
    tmp_config.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(tmp_config)],
        cwd=tmp, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return {"figures": docs / "figures", "site": tmp / "site", "build": build}


def test_make_figures_makes_every_figure_a_page_shows(built_site):
    shown = {(page, match) for page in _all_pages()
             for match in FIGURE.findall((DOCS / page).read_text(encoding="utf-8"))}
    assert shown, "no page shows a figure: the pattern is broken"
    missing = sorted((page, f) for page, f in shown
                     if not (built_site["figures"].parent / f).is_file())
    assert missing == [], f"figures shown by a page but not made by make_figures.py: {missing}"


def test_mkdocs_build_strict_passes(built_site):
    build = built_site["build"]
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr}"
    site = built_site["site"]
    for page in _pages():
        for html in (site / _html(page), site / "zh" / _html(page)):
            assert html.is_file(), f"{page} was not built ({html} missing)"


SWITCH = re.compile(r'<a href="([^"]*)" hreflang="(en|zh)" class="md-select__link"')


def test_both_languages_are_built_and_every_page_links_to_its_other_language(built_site):
    site = built_site["site"]
    assert built_site["build"].returncode == 0, built_site["build"].stderr
    for page in _pages():
        for lang, html in (("en", site / _html(page)), ("zh", site / "zh" / _html(page))):
            text = html.read_text(encoding="utf-8")
            assert f'<html lang="{lang}"' in text, f"{html} is not marked as {lang}"
            links = dict((code, href) for href, code in SWITCH.findall(text))
            assert set(links) == {"en", "zh"}, f"{html}: no language switch (found {links})"
            for code, href in links.items():
                # relative links must land on the same page in that language; the
                # home pages link to the languages' roots, / and /zh/
                target = (site / ("zh" if code == "zh" else "") if href.startswith("/")
                          else (html.parent / href).resolve())
                expected = site / ("zh" if code == "zh" else "") / _html(page)
                assert (target / "index.html").resolve() == expected.resolve(), (
                    f"{html}: the {code} switch goes to {href}, not to {page} in {code}")


def test_the_chinese_pages_are_in_chinese_and_the_others_fall_back_to_english(built_site):
    site = built_site["site"]
    article = re.compile(r"<article[^>]*>(.*?)</article>", re.S)
    h1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for page in _pages():
        zh = article.search((site / "zh" / _html(page)).read_text(encoding="utf-8")).group(1)
        en = article.search((site / _html(page)).read_text(encoding="utf-8")).group(1)
        if page in _zh_pages():
            # the English pages quote the notes in Chinese, so compare, not count
            assert len(cjk.findall(zh)) > max(300, 5 * len(cjk.findall(en))), (
                f"zh/{page} is hardly Chinese, or {page} hardly English")
        else:
            assert h1.search(zh).group(1) == h1.search(en).group(1), (
                f"zh/{page} should be the English page (no {page[:-3]}.zh.md)")
            assert len(cjk.findall(zh)) == len(cjk.findall(en))


# The notes' five open questions, in the notes' own words (their speech-to-text
# slips included: "two函数" is 凸函数, "唯一" is 为一), in the notes' order.
NOTES_TODOS = [
    "TODO: 这里到底是列向量还是行向量",
    "TODO: 不应当是映射为1个概率吗怎么可以映射为-1~1之间呢",
    "TODO: 其他理由呢",
    "TODO: 注意有些教程中说神经网络的损失函数其实未必是two函数，不过我们这里先简单这样理解",
    "TODO: 这是直观理解，如果说将权重初始化为0会出现这种问题，那如果全部将权重初始化，唯一不会出现这种问题吗",
]


def test_the_chinese_answers_quote_each_open_question_verbatim_before_its_answer():
    text = (DOCS / "answers.zh.md").read_text(encoding="utf-8")
    quoted = [line[2:] for line in text.splitlines() if line.startswith("> TODO:")]
    assert quoted == NOTES_TODOS, "each TODO of the notes, quoted exactly, once, in order"
    sections = text.split("\n## ")[1:]
    for todo in NOTES_TODOS:
        section = next(s for s in sections if f"> {todo}" in s)
        after = section.split(f"> {todo}", 1)[1]
        assert "```python" in after, f"no executed evidence after {todo!r}"


# A string literal on one line: a docstring, an f-string, a print label.
STRING = re.compile(r'''(?i:[rbfu]{0,2})(?:"""[^\n]*?"""|\'\'\'[^\n]*?\'\'\'|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')''')
COMMENT = re.compile(rf"({STRING.pattern})|\s*#.*$")
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _examples(page: str) -> list:
    """The page's Python blocks as run and shown: a list of (kind, line) per
    block, kind "code" or "output". Code lines lose their comments (the
    translated part; a # inside a string stays)."""
    text = (DOCS / page).read_text(encoding="utf-8")
    blocks = []
    for block in PYTHON_BLOCK.findall(text):
        lines = block.splitlines()
        doctest = any(line.startswith(">>>") for line in lines)
        blocks.append([("code", COMMENT.sub(lambda m: m.group(1) or "", line).rstrip())
                       if not doctest or line.startswith((">>>", "...")) else ("output", line)
                       for line in lines])
    return blocks


def _translated(kind: str, line: str):
    """What a line that carries Chinese must keep of its English twin: a code
    line, everything but the words of its string literals (docstrings, print
    labels); an output line, its numbers in order."""
    if kind == "output":
        return NUMBER.findall(line)
    return re.sub(r"\s+", "", STRING.sub('""', line))


def _example_differences(page: str) -> list:
    en, zh = _examples(page), _examples(page[:-3] + ZH)
    if len(en) != len(zh):
        return [f"{len(en)} Python blocks in English, {len(zh)} in Chinese"]
    differences = []
    for i, (a, b) in enumerate(zip(en, zh)):
        same = len(a) == len(b) and all(
            x == y or (kx == ky and bool(CJK.search(x) or CJK.search(y))
                       and _translated(kx, x) == _translated(ky, y))
            for (kx, x), (ky, y) in zip(a, b))
        if not same:
            differences.append(f"block {i} differs:\n" + "\n".join(x for _, x in a)
                               + "\n---\n" + "\n".join(y for _, y in b))
    return differences


@pytest.mark.parametrize("page", _zh_pages())
def test_the_english_and_chinese_pages_run_the_same_examples_with_the_same_output(page):
    # an audit found the tutorial's two pages showing different things (Z[1] in
    # full against its op and shape; the logits example and a wrong backprop in
    # Chinese only), then eight more pairs running different examples (a run
    # or a check on one side only, an older API, sections in another order): a
    # learner reading either page must see the same runs. What may differ is
    # what a Chinese reader is meant to read in Chinese: comments, and on a line
    # that carries Chinese, the words of its strings (docstrings, print labels)
    # and so of its output, whose numbers must still be the English ones.
    differences = _example_differences(page)
    assert differences == [], f"{page} and its Chinese page: " + "\n\n".join(differences)


def test_the_chinese_readme_and_pages_are_collected_by_the_suite():
    # `pytest` with no arguments runs testpaths; Sybil collects the files its
    # patterns match. Both must reach README.zh-CN.md and docs/*.zh.md.
    import configparser
    import fnmatch
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg", encoding="utf-8")
    testpaths = setup["tool:pytest"]["testpaths"].split()
    assert "README.zh-CN.md" in testpaths and "docs" in testpaths, testpaths
    patterns = re.search(r"patterns=\[([^\]]*)\]", (ROOT / "conftest.py").read_text(encoding="utf-8"))
    patterns = re.findall(r'"([^"]+)"', patterns.group(1))
    files = ["README.zh-CN.md"] + [f"docs/{p}" for p in _all_pages() if p.endswith(ZH)]
    uncollected = [f for f in files if not any(fnmatch.fnmatch(f, p) for p in patterns)]
    assert uncollected == [], f"Sybil's patterns in conftest.py miss {uncollected}"
    assert "README.zh-CN.md" in (ROOT / "README.md").read_text(encoding="utf-8").split("\n## ")[0], \
        "README.md links to README.zh-CN.md at its top"


def test_the_engine_pages_quote_ops_tanh_as_ops_py_has_it():
    # The pages show tanh "as minigrad/ops.py has it"; an op rewritten for
    # speed once left them showing code that was no longer there.
    import inspect
    from minigrad import ops
    for source in (inspect.getsource(ops.tanh.__wrapped__), inspect.getsource(ops._tanh_vjp)):
        for page in ("engine.md", "engine.zh.md"):
            text = (DOCS / page).read_text(encoding="utf-8")
            assert source in text, (f"docs/{page} no longer quotes minigrad/ops.py verbatim; "
                                    f"it should show:\n{source}")


def _files_in_the_code_table(page: str) -> set:
    text = (DOCS / page).read_text(encoding="utf-8")
    heading = r"\n## (?:Where to read the code|到哪里读代码)"
    section = re.split(heading, text, maxsplit=1)[1].split("\n## ")[0]
    rows = [line.split("|")[1] for line in section.splitlines() if line.startswith("| `")]
    return {Path(name).name for cell in rows for name in re.findall(r"`([\w/]+\.py)`", cell)}


def test_the_engine_pages_file_table_names_every_module_of_minigrad():
    # a module split out of another (round_off.py, kinks.py out of gradcheck.py)
    # must not leave the table that says where to read the code behind
    modules = {p.name for p in (ROOT / "minigrad").glob("*.py") if p.name != "__init__.py"}
    for page in ("engine.md", "engine.zh.md"):
        listed = _files_in_the_code_table(page)
        assert listed == modules, (f"docs/{page}'s 'where to read the code' table misses "
                                   f"{sorted(modules - listed)}, names {sorted(listed - modules)} "
                                   f"that minigrad/ does not have")


# The table at the end of the answers pages: each claim of the notes, its tests, its page.
CLAIM_ROW = re.compile(r"^\| (\d+) \|.*\|$", re.M)
TEST_REF = re.compile(r"`(test_\w+\.py)::(test_\w+)`")
LINK = re.compile(r"\]\(([^)]*)\)")
# tests of test_notes_claims.py that check a test helper, not a claim of the notes
NOT_A_CLAIM = {"test_at_a_kink_sees_columns_that_cancel_and_not_exact_zeros"}


def _claim_rows(page: str) -> list:
    text = (DOCS / page).read_text(encoding="utf-8")
    section = text.split("{#every-claim}", 1)[1]
    # the verdict: the first character of the third cell (✔, ≈ or ✘)
    return [(int(m.group(1)), m.group(0).split(" | ")[2][:1], TEST_REF.findall(m.group(0)),
             LINK.findall(m.group(0)))
            for m in CLAIM_ROW.finditer(section)]


def _test_names(file: str) -> set:
    import ast
    tree = ast.parse((ROOT / "tests" / file).read_text(encoding="utf-8"))
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_claims_table_names_tests_that_exist_and_both_languages_agree():
    en, zh = _claim_rows("answers.md"), _claim_rows("answers.zh.md")
    assert [n for n, _, _, _ in en] == list(range(1, len(en) + 1)) and len(en) > 40, en
    unjudged = [n for n, verdict, _, _ in en + zh if verdict not in "✔≈✘"]
    assert unjudged == [], f"claims without a verdict ✔, ≈ or ✘: {unjudged}"
    assert en == zh, ("answers.md and answers.zh.md must list the same claims, verdicts, "
                      "tests and links")
    missing = sorted({(f, t) for _, _, refs, _ in en for f, t in refs if t not in _test_names(f)})
    assert missing == [], f"the claims table names tests that do not exist: {missing}"
    assert all(refs for _, _, refs, _ in en), "a claim without a test"
    named = {t for _, _, refs, _ in en for f, t in refs if f == "test_notes_claims.py"}
    unlisted = sorted(_test_names("test_notes_claims.py") - named - NOT_A_CLAIM
                      - {n for n in _test_names("test_notes_claims.py") if not n.startswith("test_")})
    assert unlisted == [], f"claims tested in test_notes_claims.py but not in the table: {unlisted}"


def test_the_engine_pages_state_the_cores_size_within_a_fifth():
    # "about 900 lines" stayed on the pages while the core grew to 1,363
    core = sum(len((ROOT / "minigrad" / f).read_text(encoding="utf-8").splitlines())
               for f in ("tensor.py", "ops.py", "functional.py"))
    for page, pattern in (("engine.md", r"about ([\d,]+) lines for its core"),
                          ("engine.zh.md", r"大约 ([\d,]+) 行")):
        found = re.search(pattern, (DOCS / page).read_text(encoding="utf-8"))
        assert found, f"docs/{page} no longer states the core's size as {pattern!r}"
        stated = int(found.group(1).replace(",", ""))
        assert abs(core - stated) <= stated / 5, (
            f"docs/{page} says the core is about {stated} lines; "
            f"tensor.py + ops.py + functional.py have {core}")
