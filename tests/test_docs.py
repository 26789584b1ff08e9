"""The documentation site builds: every page is in the nav, every figure a page
shows is made by docs/make_figures.py, and `mkdocs build --strict` passes (a
broken link or anchor, a missing figure or a bad mkdocstrings reference fails).

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


def _config() -> dict:
    # mkdocs.yml uses no !!python tags, so plain YAML reads it
    return yaml.safe_load(CONFIG.read_text(encoding="utf-8"))


def _nav_pages(nav) -> list:
    pages = []
    for entry in nav:
        value = next(iter(entry.values())) if isinstance(entry, dict) else entry
        pages.extend(_nav_pages(value) if isinstance(value, list) else [value])
    return pages


def _pages() -> list:
    return sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")
                  if "figures" not in p.relative_to(DOCS).parts)


def test_every_page_is_in_the_nav_and_every_nav_entry_is_a_page():
    nav = _nav_pages(_config()["nav"])
    pages = _pages()
    assert sorted(set(pages) - set(nav)) == [], "pages missing from the nav in mkdocs.yml"
    assert sorted(set(nav) - set(pages)) == [], "nav entries with no page in docs/"
    assert len(nav) == len(set(nav)), f"a page is listed twice in the nav: {nav}"


SHELL_BLOCK = re.compile(r"```(?:bash|console|shell|sh)\n(.*?)```", re.S)


def test_shell_blocks_list_commands_and_show_no_output():
    # an output shown in a shell session is run by nobody and drifts (issue 10):
    # outputs belong in ```python blocks, which Sybil runs and checks
    sessions = [(page, line) for page in _pages()
                for block in SHELL_BLOCK.findall((DOCS / page).read_text(encoding="utf-8"))
                for line in block.splitlines() if line.startswith("$ ")]
    assert sessions == [], f"shell sessions with outputs no test runs: {sessions}"


def test_pages_are_flat_so_the_sybil_pattern_docs_star_md_runs_their_code():
    nested = [p for p in _pages() if "/" in p]
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
    shown = {(page, match) for page in _pages()
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
        html = site / page.replace(".md", "/index.html").replace("index/index.html", "index.html")
        assert html.is_file(), f"{page} was not built ({html} missing)"


def test_the_api_reference_renders_the_promised_names(built_site):
    html = (built_site["site"] / "api" / "index.html").read_text(encoding="utf-8")
    promised = ["minigrad.tensor.tensor", "minigrad.tensor.Tensor", "minigrad.tensor.no_grad",
                "minigrad.tensor.detect_anomaly", "minigrad.gradcheck.gradcheck",
                "minigrad.gradcheck.numerical_grad", "minigrad.viz.draw",
                "minigrad.viz.save_graph", "minigrad.viz.summary",
                "minigrad.functional.binary_cross_entropy", "nets.TwoLayerNet",
                "nets.LogisticRegression", "nets.DeepNet", "nets.check_backprop",
                "nets.accuracy", "nets.data.flower", "nets.testing.assert_backprop_matches"]
    absent = [name for name in promised if f'id="{name}"' not in html]
    assert absent == [], f"the API reference lacks {absent}"
