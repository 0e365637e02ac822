"""Every option of every command is documented with its default, and every repository file
a help text or the README names exists."""

import argparse
import re
from pathlib import Path

import pytest

from conftest import ROOT
from palabra2vec.cli.main import build_parser


def _parsers(parser: argparse.ArgumentParser, name: str = "palabra2vec"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


PARSERS = dict(_parsers(build_parser()))
#: flags that only switch something on or off: their default (off) needs no saying
SWITCHES = (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._HelpAction, argparse._VersionAction,
            argparse._SubParsersAction)


def test_every_command_is_checked():
    assert {"palabra2vec train", "palabra2vec stats", "palabra2vec similar", "palabra2vec analogy",
            "palabra2vec evaluate", "palabra2vec export", "palabra2vec plot", "palabra2vec plot lengths",
            "palabra2vec plot frequencies", "palabra2vec plot loss", "palabra2vec plot words"} <= set(PARSERS)


@pytest.mark.parametrize("command", sorted(PARSERS))
def test_every_option_has_help_and_a_shown_default(command):
    parser = PARSERS[command]
    formatter = parser._get_formatter()
    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            continue
        name = "/".join(action.option_strings) or action.dest
        text = formatter._expand_help(action) if action.help else ""
        if not text.strip():
            missing.append(f"{name}: no help")
        elif action.option_strings and not isinstance(action, SWITCHES) and not action.required:
            if "default" not in text.lower():
                missing.append(f"{name}: no default shown in {text!r}")
        if "%(" in text or "KIND.png" in text:
            missing.append(f"{name}: unexpanded placeholder in {text!r}")
    assert not missing, f"{command}: " + "; ".join(missing)


#: repository paths as a help text or the README writes them
PATH = re.compile(r"(?<![\w./-])((?:docs|benchmarks|palabra2vec|tests|\.ci)/[\w./-]*[\w/])")


def _named_paths(text: str) -> set[str]:
    return {m.rstrip("/") for m in PATH.findall(text)}


def test_files_named_in_help_texts_exist():
    named = set()
    for parser in PARSERS.values():
        named |= _named_paths(parser.format_help())
    absent = sorted(p for p in named if not (ROOT / p).exists())
    assert not absent, f"help texts name files that do not exist: {absent}"


def test_files_named_in_the_readme_exist():
    named = _named_paths((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "docs/img/lengths.png" in named  # the pattern finds what it should
    absent = sorted(p for p in named if not (ROOT / p).exists())
    assert not absent, f"README.md names files that do not exist: {absent}"


def test_the_path_pattern():
    text = "see docs/readme-distributed.md, (code: `palabra2vec/training/train.py`) and ../shared/data/x"
    assert _named_paths(text) == {"docs/readme-distributed.md", "palabra2vec/training/train.py"}


def test_what_the_readme_imports_exists():
    """Every ``from palabra2vec... import names`` of the README (code and prose) works."""
    import importlib

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"from (palabra2vec[\w.]*) import ([\w, ]+)", text)
    assert len(found) >= 5
    broken = []
    for module, names in found:
        try:
            mod = importlib.import_module(module)
        except ImportError as e:
            broken.append(f"{module}: {e}")
            continue
        for n in (x.strip() for x in names.split(",")):
            if n and not hasattr(mod, n):
                try:  # a submodule: `from palabra2vec import plots`
                    importlib.import_module(f"{module}.{n}")
                except ImportError:
                    broken.append(f"{module}.{n}")
    assert not broken, f"README.md imports what does not exist: {broken}"


def test_what_the_readme_examples_write_is_ignored_by_git():
    """Model directories, exports and figures that the README's commands write into the
    checkout are covered by .gitignore (figures meant for docs/ excepted)."""
    import shutil
    import subprocess

    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    outputs = set(re.findall(r"(?:-o|--output) ([\w./-]+)", text))
    outputs |= set(re.findall(r'(?:\.save|TrainingLog|Checkpointer)\("([^"]+)"', text))
    outputs |= set(re.findall(r'"([\w-]+\.(?:png|svg))"', text))
    outputs = {o for o in outputs if not o.isupper() and not o.split(".")[0].isupper()
               and not o.startswith(("docs/", "/", "~"))}  # placeholders, figures for docs/, paths elsewhere
    assert {"quijote-model.bin", "loss.png", "mi-modelo", "dia.svg"} <= outputs
    # a name without a suffix is a directory (a model, the projector's): git needs the slash
    outputs = {o if "." in Path(o).name else o + "/" for o in outputs}
    r = subprocess.run(["git", "check-ignore", "--no-index", *sorted(outputs)], cwd=ROOT, capture_output=True, text=True)
    ignored = set(r.stdout.split())
    assert outputs <= ignored, f"not ignored by .gitignore: {sorted(outputs - ignored)}"
