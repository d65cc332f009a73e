"""The package as a user installs it: the wheel carries the ontology, shapes, vocabularies and
reference data (not data/sources/), and installed non-editable in a fresh venv it builds and
serves from a folder of its own, away from the checkout."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from helpers import free_port, wait_for_http

ROOT = Path(__file__).parents[1]
PAGE = Path(__file__).parent / "fixtures" / "pages" / "one-paragraph.txt"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes its build/ folder into the tree it builds, and the
    # checkout's build/ is the user's. The copy keeps src/reviewgraph's symlinks as symlinks.
    tree = folder / "tree"
    for name in ("pyproject.toml", "README.md"):
        tree.mkdir(exist_ok=True)
        shutil.copy2(ROOT / name, tree / name)
    for name in ("src", "ontology", "shapes", "data/vocabularies", "data/reference"):
        shutil.copytree(ROOT / name, tree / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--wheel-dir", str(folder), str(tree)],
                   check=True, capture_output=True, timeout=600)
    (built,) = folder.glob("reviewgraph-*.whl")
    return built


def test_the_wheel_carries_what_the_package_reads(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pattern in [(ROOT / "ontology", "*.ttl"), (ROOT / "shapes", "*.ttl"),
                            (ROOT / "data" / "vocabularies", "*"),
                            (ROOT / "data" / "reference", "*"),
                            (ROOT / "data" / "reference" / "maps", "*")]:
        shipped = folder.relative_to(ROOT)
        files = sorted(path for path in folder.glob(pattern) if path.is_file())
        assert files
        for path in files:
            assert f"reviewgraph/{shipped}/{path.name}" in names
    assert not any("/data/sources" in name for name in names)  # the user's input stays theirs


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh venv with the wheel installed (not editable); its dependencies at the versions
    of constraints.txt, from pip's cache where it has them."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    result = subprocess.run([str(venv / "bin" / "pip"), "install", "--quiet", "-c",
                             str(ROOT / "constraints.txt"), str(wheel)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    yield venv / "bin" / "reviewgraph"


def test_installed_it_builds_and_serves_from_another_folder(installed: Path,
                                                            tmp_path: Path) -> None:
    work = tmp_path / "work"
    (work / "data" / "sources").mkdir(parents=True)
    (work / "data" / "sources" / "page.txt").write_bytes(PAGE.read_bytes())
    env = {key: value for key, value in os.environ.items()
           if key not in ("REVIEWGRAPH_HOME", "PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run([str(installed.parent / "python"), "-c",
                            "import reviewgraph; print(reviewgraph.__file__)"],
                           capture_output=True, text=True, cwd=work, env=env, check=True)
    assert str(ROOT) not in where.stdout  # the installed copy, not the checkout

    built = subprocess.run([str(installed), "build"], capture_output=True, text=True,
                           cwd=work, env=env, timeout=300)
    assert built.returncode in (0, 3), built.stderr
    assert (work / "build" / "reviewgraph.nt").is_file()
    assert "2 reviews" in built.stdout

    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen([str(installed), "serve", "--port", str(port), "--workers",
                                   "1", "--executors", "1"], cwd=work, env=env, stdout=out,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", server, log=log)
        health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).json()
        assert health["triples"] > 0
        # The ontology and shapes pages read what the package ships.
        for path in ("/ontology", "/shapes"):
            assert requests.get(f"http://127.0.0.1:{port}{path}", timeout=30).status_code == 200
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(timeout=10) == 0, log.read_text(errors="replace")
