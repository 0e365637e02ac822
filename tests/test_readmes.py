"""README.md and README.es.md: the same commands, links to each other and to the tutorial, and
the CI script runs the README's test command verbatim."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT

README_EN = ROOT / "README.md"
README_ES = ROOT / "README.es.md"
TUTORIAL = "docs/tutorial/entrenamiento_word2vec.ipynb"

#: (English heading, Spanish heading) of the sections whose code blocks must hold the same commands
SECTIONS = [("## The two commands", "## Los dos comandos"),
            ("## Command-line tour", "## Recorrido por la línea de comandos")]


def first_code_block(text: str, heading: str) -> str:
    """The first fenced code block after the line ``heading``, before the next ``## `` heading."""
    lines = text.splitlines()
    if heading not in lines:
        raise AssertionError(f"no heading {heading!r}")
    start = lines.index(heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    m = re.search(r"^```[^\n]*\n(.*?)^```", "\n".join(lines[start:end]), re.S | re.M)
    if m is None:
        raise AssertionError(f"no code block under {heading!r}")
    return m.group(1)


def commands(block: str) -> list[str]:
    """The shell lines of a code block: comments (whole lines, or after two spaces) and blank
    lines dropped, trailing spaces stripped. Comments are the only part that may be translated."""
    out = []
    for line in block.splitlines():
        line = re.sub(r"\s{2,}#.*$", "", line).rstrip()
        if line and not line.lstrip().startswith("#"):
            out.append(line)
    return out


def test_commands_helper_keeps_commands_and_drops_comments():
    block = "# 1. set up\npython -m x --a 1   # explained\n\n    [--b 2]\npython -m y\n"
    assert commands(block) == ["python -m x --a 1", "    [--b 2]", "python -m y"]
    assert commands("# 1. instala\npython -m x --a 2   # explicado\n") != commands(block)


@pytest.mark.parametrize(("en", "es"), SECTIONS)
def test_both_readmes_show_the_same_commands(en, es):
    english = commands(first_code_block(README_EN.read_text(encoding="utf-8"), en))
    spanish = commands(first_code_block(README_ES.read_text(encoding="utf-8"), es))
    assert len(english) >= 2
    assert spanish == english


def test_ci_runs_the_readme_test_command():
    two = commands(first_code_block(README_EN.read_text(encoding="utf-8"), SECTIONS[0][0]))
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
          if line and not line.startswith("#")]
    assert two[1] in ci


def _links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text)


@pytest.mark.parametrize("readme", [README_EN, README_ES], ids=["README.md", "README.es.md"])
def test_relative_links_point_to_files_that_exist(readme):
    local = [link.split("#")[0] for link in _links(readme.read_text(encoding="utf-8"))
             if not re.match(r"[a-z]+:", link) and not link.startswith("#")]
    assert local
    missing = [link for link in local if not (ROOT / link).exists()]
    assert missing == []


def test_readmes_link_each_other_and_the_tutorial_from_the_top():
    en = README_EN.read_text(encoding="utf-8").splitlines()
    es = README_ES.read_text(encoding="utf-8").splitlines()
    top_en = "\n".join(en[:5])
    top_es = "\n".join(es[:5])
    assert "(README.es.md)" in top_en and f"({TUTORIAL})" in top_en
    assert "(README.md)" in top_es and f"({TUTORIAL})" in top_es
    notebook = (ROOT / "docs" / "tutorial" / "make_notebook.py").read_text(encoding="utf-8")
    assert "(../../README.es.md)" in notebook
