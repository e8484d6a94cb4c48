"""The built wheel, installed in a fresh environment, answers the seed questions on its own.

A file the wheel leaves out (a prompt template, a word list) breaks only an installed copy,
never the checkout the other tests run from; this test builds the wheel from the project's
files, installs it into a new venv and asks from a folder outside the checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.conftest import REPO

# The CLI loads the real models in a subprocess, which conftest cannot see.
pytestmark = pytest.mark.slow

# What the build reads: the project table, the readme it names, the packages, the templates.
_BUILD_INPUTS = ("pyproject.toml", "README.md", "assistant", "prompts")
_NO_COMMENT = "What did Vladimir Putin say about the ceasefire?"
_SEED_QUESTION = "What did Rubio say about Russia?"


def _run(args: list[str | Path], cwd: Path, env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build_wheel(tmp_path: Path, env: dict[str, str]) -> Path:
    """The wheel, built offline with this environment's setuptools from a copy of the inputs
    (an in-tree build would leave build/ and *.egg-info in the checkout)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in _BUILD_INPUTS:
        path = REPO / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(path, source / name)
    dist = tmp_path / "dist"
    pip = [sys.executable, "-m", "pip"]
    _run([*pip, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", dist, source],
         tmp_path, env)  # fmt: skip
    (wheel,) = dist.glob("assistant-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path, env: dict[str, str]) -> Path:
    """A new venv holding only the wheel; the dependencies (torch, chromadb, ...) are this
    environment's, reached through a .pth file instead of being installed again."""
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], tmp_path, env)
    python = venv / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                tmp_path, env).strip()  # fmt: skip
    # Plain path lines: the project venv's own .pth files (its editable install of the
    # checkout) are not run, so `assistant` can only come from the wheel.
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    Path(site, "project-dependencies.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    _run([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
          "-q", wheel], tmp_path, env)  # fmt: skip
    return venv


def test_wheel_installed_in_a_fresh_venv_answers_the_seed_questions(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and k != "VIRTUAL_ENV"}
    env["HF_HUB_OFFLINE"] = "1"
    wheel = _build_wheel(tmp_path, env)
    venv = _fresh_venv(tmp_path, wheel, env)
    elsewhere = tmp_path / "elsewhere"  # no checkout here or above it
    elsewhere.mkdir()

    where = _run([venv / "bin" / "python", "-c",
                  "import assistant, assistant.prompts as p; print(assistant.__file__); "
                  "print(p._prompt_dirs()[0])"], elsewhere, env).splitlines()  # fmt: skip
    package, prompts = (Path(line).resolve() for line in where)
    assert package.is_relative_to(venv.resolve()), package
    assert prompts.is_relative_to(venv.resolve()) and (prompts / "no_comment.txt").is_file()

    seeds = tmp_path / "seeds"
    shutil.copytree(REPO / "seeds", seeds)
    cli = [venv / "bin" / "assistant", "--seeds", seeds, "--index", tmp_path / "index"]
    _run([*cli, "index"], elsewhere, env)
    lines = _run([*cli, "ask", "--json", "-"], elsewhere, env,
                 stdin=f"{_NO_COMMENT}\n{_SEED_QUESTION}\n").splitlines()  # fmt: skip
    putin, rubio = map(json.loads, lines)

    template = (REPO / "prompts" / "no_comment.txt").read_text(encoding="utf-8")
    assert putin["abstained"]
    assert template.split("{quotes}")[0].strip() in putin["answer"]
    assert not rubio["abstained"] and rubio["citations"]
    assert f"[{rubio['citations'][0]['n']}]" in rubio["answer"]
