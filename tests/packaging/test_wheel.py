"""The package as a user gets it: `python -m build` makes a wheel and an sdist, a fresh virtual
environment installs the wheel from PyPI-style dependencies, and the README's example test suite
(plugin and client only) passes there."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from journeystack import __version__

ROOT = Path(__file__).resolve().parents[2]
# The README's complete example: the python block after this marker.
EXAMPLE_MARKER = "<!-- example: test_welcome.py -->"
PYTEST_INI = """[pytest]
addopts = -p no:cacheprovider --strict-markers
filterwarnings = error
"""


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(re.escape(EXAMPLE_MARKER) + r"\s*```python\n(.*?)```", text, re.DOTALL)
    assert match, f"README.md has no python block after {EXAMPLE_MARKER}"
    return match.group(1)


def clean_env() -> dict[str, str]:
    """This environment without what would make the new one see the project's sources or settings."""
    drop = (
        "PYTHONPATH",
        "VIRTUAL_ENV",
        "PYTHONHOME",
        "PYTEST_ADDOPTS",
        "PYTEST_PLUGINS",
        "PYTEST_XDIST_WORKER",
    )
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("JOURNEYSTACK_")}


def run(*args: str | Path, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=clean_env(), capture_output=True, text=True, timeout=timeout,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} -> {result.returncode}\n{result.stdout}\n{result.stderr}"
    )
    return result


@pytest.mark.slow
def test_the_wheel_installs_and_runs_the_readme_example_suite(tmp_path: Path) -> None:
    started = time.monotonic()
    # Build from a copy of what the sdist is made of, so the working tree gets no build/ or egg-info.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = tmp_path / "dist"
    run(sys.executable, "-m", "build", "--outdir", dist, source, cwd=tmp_path, timeout=300)
    wheel = dist / f"journeystack-{__version__}-py3-none-any.whl"
    assert sorted(p.name for p in dist.iterdir()) == [wheel.name, f"journeystack-{__version__}.tar.gz"]
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"journeystack-{__version__}.dist-info/METADATA").decode()
        entry_points = archive.read(f"journeystack-{__version__}.dist-info/entry_points.txt").decode()
    assert {"journeystack/py.typed", "journeystack/client/__init__.py", "journeystack/testing/plugin.py",
            "journeystack/storage/sql/migrations/script.py.mako",
            "journeystack/console/templates/journey.html", "journeystack/console/static/console.js",
            f"journeystack-{__version__}.dist-info/licenses/LICENSE"} <= names  # fmt: skip
    assert "License-Expression: Apache-2.0" in metadata and "Provides-Extra: pytest" in metadata
    assert "Provides-Extra: console" in metadata
    assert "[pytest11]\njourneystack = journeystack.testing.plugin" in entry_points

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv, cwd=tmp_path, timeout=120)
    python = venv / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{wheel}[pytest]",
        cwd=tmp_path, timeout=600)  # fmt: skip
    version = run(venv / "bin" / "journeystack", "--version", cwd=tmp_path, timeout=60)
    assert version.stdout == f"journeystack {__version__}\n"
    where = run(python, "-c", "import journeystack; print(journeystack.__file__)", cwd=tmp_path, timeout=60)
    assert where.stdout.startswith(str(venv))  # the wheel, not the project's sources

    example = tmp_path / "example"
    example.mkdir()
    (example / "pytest.ini").write_text(PYTEST_INI)
    (example / "test_welcome.py").write_text(readme_example())
    result = run(python, "-m", "pytest", "-q", cwd=example, timeout=300)
    assert re.search(r"\b3 passed\b", result.stdout), result.stdout
    assert time.monotonic() - started < 240, "the wheel test should stay well under a few minutes"
