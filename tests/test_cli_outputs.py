"""Outputs of the `minigrad` commands: default names distinct between commands, never
replacing a file (a name given with --out is replaced, as matplotlib and PyTorch do), and
an output that cannot be written refused before any work, naming the flag that gave it."""
import argparse

import pytest

from nets import cli, experiments
from tests.test_cli import main_with_stderr


def figure_names() -> list:
    sub = next(a for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    figure = sub.choices["figure"]
    return list(next(a for a in figure._actions if a.dest == "name").choices)


def test_no_two_commands_share_a_default_output_name():
    names = {"demo": list(cli.DEFAULT_OUTPUTS["demo"]), "draw": list(cli.DEFAULT_OUTPUTS["draw"])}
    for experiment in experiments.EXPERIMENTS:
        names[f"experiment {experiment}"] = [cli.DEFAULT_OUTPUTS["experiment"][0].format(
            name=experiment)]
    for figure in figure_names():
        names[f"figure {figure}"] = [cli.DEFAULT_OUTPUTS["figure"][0].format(name=figure)]
    every = [name for files in names.values() for name in files]
    assert len(every) == len(set(every)), names
    # the collision that was reported: both wrote activations.png
    assert names["figure activations"] != names["experiment activations"]


def test_a_default_name_that_exists_is_kept_and_the_next_free_name_written(tmp_path, monkeypatch,
                                                                           capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "draw.png").write_bytes(b"mine")
    (tmp_path / "draw-2.png").write_bytes(b"mine too")
    assert main_with_stderr(["draw", "--hidden", "2"])[0] == 0
    assert capsys.readouterr().out == "Wrote draw-3.png (draw.png exists and was kept)\n"
    assert (tmp_path / "draw.png").read_bytes() == b"mine"
    assert (tmp_path / "draw-2.png").read_bytes() == b"mine too"
    assert (tmp_path / "draw-3.png").read_bytes()[:4] == b"\x89PNG"


def test_a_figure_default_name_that_exists_is_kept(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "figure-activations.png").write_bytes(b"mine")
    assert main_with_stderr(["figure", "activations"])[0] == 0
    assert capsys.readouterr().out == ("Wrote figure-activations-2.png "
                                       "(figure-activations.png exists and was kept)\n")
    assert (tmp_path / "figure-activations.png").read_bytes() == b"mine"


@pytest.mark.parametrize("taken, written, said", [
    # only graph.png taken: boundary-2.png, not boundary.png, beside graph-2.png
    (["graph.png"], ["graph-2.png", "boundary-2.png"],
     ["graph.png exists and was kept", "numbered to pair with graph-2.png"]),
    (["boundary.png"], ["graph-2.png", "boundary-2.png"],
     ["numbered to pair with boundary-2.png", "boundary.png exists and was kept"]),
    (["graph.png", "boundary.png", "graph-2.png"], ["graph-3.png", "boundary-3.png"],
     ["graph.png exists and was kept",
      "boundary.png exists and was kept; numbered to pair with graph-3.png"]),
    ([], ["graph.png", "boundary.png"], ["", ""]),
])
def test_demo_writes_its_two_pictures_under_one_number_and_says_why(taken, written, said,
                                                                    tmp_path, capsys):
    # graph-2.png was written beside boundary.png when only graph.png was taken: the two
    # pictures of one run no longer paired by name
    for name in taken:
        (tmp_path / name).write_bytes(b"mine")
    code, err = main_with_stderr(["demo", "--iterations", "0", "--out-dir", str(tmp_path)])
    assert code == 0, err
    wrote = [line for line in capsys.readouterr().out.splitlines() if line.startswith("Wrote ")]
    what = ["the computation graph of J, with the gradients of the untrained net",
            "the decision boundary"]
    assert wrote == [f"Wrote {tmp_path / name} ({'; '.join(filter(None, [w, s]))})"
                     for name, w, s in zip(written, what, said)], wrote
    for name in taken:
        assert (tmp_path / name).read_bytes() == b"mine", name
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(taken + written)


def test_a_name_given_with_out_is_replaced(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "mine.dot").write_text("old", encoding="utf-8")
    assert main_with_stderr(["draw", "--out", "mine.dot"])[0] == 0
    assert capsys.readouterr().out == "Wrote mine.dot\n"
    assert (tmp_path / "mine.dot").read_text(encoding="utf-8").startswith("digraph")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.dot"]


def test_the_cli_pages_give_the_default_names_the_commands_use():
    # the figure's section once said activations.png, which the command never wrote
    import re
    from pathlib import Path
    docs = Path(__file__).resolve().parent.parent / "docs"
    expected = {"experiment NAME": cli.DEFAULT_OUTPUTS["experiment"][0].format(name="NAME"),
                "figure activations": cli.DEFAULT_OUTPUTS["figure"][0].format(
                    name="activations")}
    for page, default in (("cli.md", r"default\s+`([\w.-]+\.png)`"),
                          ("cli.zh.md", r"默认是\s*`([\w.-]+\.png)`")):
        text = (docs / page).read_text(encoding="utf-8")
        for command, name in expected.items():
            section = text.split(f"## `minigrad {command}`", 1)[1].split("\n## ", 1)[0]
            assert re.findall(default, " ".join(section.split())) == [name], (page, command)


OUTPUT_FLAGS = [(["train", "--iterations", "1", "--m", "5", "--plot"], "--plot", "b.png", "b.txt"),
                (["draw", "--out"], "--out", "g.dot", "g.jpg"),
                (["draw", "--animate"], "--animate", "b.gif", "b.mp4"),
                (["experiment", "linear", "--iterations", "1", "--m", "5", "--out"], "--out",
                 "x.png", "x.bmp"),
                (["figure", "activations", "--out"], "--out", "x.png", "x.bmp")]


@pytest.mark.parametrize("argv, flag, good, bad_suffix", OUTPUT_FLAGS,
                         ids=[flag + " of " + argv[0] for argv, flag, _, _ in OUTPUT_FLAGS])
def test_an_output_that_cannot_be_written_is_refused_naming_its_flag(argv, flag, good,
                                                                     bad_suffix, tmp_path,
                                                                     monkeypatch):
    # "cannot write 'x.png'" named a path but not the flag that gave it
    monkeypatch.chdir(tmp_path)
    for path, what in ((f"missing/{good}", "cannot write 'missing/"),
                       (bad_suffix, f"cannot tell the picture format of '{bad_suffix}'")):
        code, err = main_with_stderr([*argv, path])
        assert code == 2 and err.count("\n") == 1, err
        assert err.startswith(f"minigrad: error: {flag}: {what}"), err
    assert list(tmp_path.iterdir()) == []


def test_demo_output_folder_that_cannot_be_written_names_out_dir(tmp_path):
    code, err = main_with_stderr(["demo", "--out-dir", "/proc"])
    assert code == 2 and err.startswith("minigrad: error: --out-dir: cannot write "
                                        "'/proc/graph.png'"), err
