"""`reviewgraph serve`'s choice of where its query processes read the graph: in memory while
every copy fits in half the memory available, else the prepared on-disk store."""

from __future__ import annotations

from pathlib import Path

from reviewgraph.web.serve import MEMORY_PER_FILE_BYTE, _available_memory, _in_memory_file
from reviewgraph.web.settings import Settings


def graph_file(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "reviewgraph.nt"
    path.write_bytes(b"#" * size)
    return path


def test_a_small_graph_is_loaded_into_every_query_process(tmp_path: Path) -> None:
    path = graph_file(tmp_path, 1000)
    assert _in_memory_file(Settings(graph_file=path, executors=3), workers=2) == path


def test_copies_that_would_not_fit_leave_the_graph_on_disk(tmp_path: Path, capsys) -> None:
    available = _available_memory()
    assert available is not None  # Linux: /proc/meminfo
    # Enough processes that their copies of a 1 MB file need more than half of what is free.
    executors = int(available / (2 * 1_000_000 * MEMORY_PER_FILE_BYTE[".nt"])) + 1
    path = graph_file(tmp_path, 1_000_000)
    assert _in_memory_file(Settings(graph_file=path, executors=executors), workers=1) is None
    assert "open the on-disk store read-only" in capsys.readouterr().err


def test_an_explicit_executor_file_is_the_one_weighed(tmp_path: Path) -> None:
    served = graph_file(tmp_path, 10)
    other = tmp_path / "other.ttl"
    other.write_text("# a graph\n", encoding="utf-8")
    settings = Settings(graph_file=served, executor_graph_file=other)
    assert _in_memory_file(settings, workers=2) == other


def test_no_graph_file_means_the_on_disk_store(tmp_path: Path) -> None:
    assert _in_memory_file(Settings(store_dir=tmp_path), workers=2) is None
