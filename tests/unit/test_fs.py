"""The shared file-system helpers: bounded reads and listings that never follow links."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checker.fs import list_dir, read_text, read_upto


@pytest.mark.parametrize("limit", [0, 1, 99, 100, 101, 4096])
def test_read_upto_reads_the_file_or_one_byte_past_the_limit(tmp_path: Path, limit: int) -> None:
    data = bytes(range(100))
    (tmp_path / "f").write_bytes(data)
    with (tmp_path / "f").open("rb") as fh:
        got = read_upto(fh, limit)
    assert got == data[:limit + 1]


def test_read_upto_reads_on_past_the_size_it_was_told() -> None:
    # a pipe's size is 0: the first read asks for one byte, and what follows is read on to the limit
    r, w = os.pipe()
    os.write(w, b"x" * 5000)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        assert read_upto(fh, 10_000) == b"x" * 5000
    r, w = os.pipe()
    os.write(w, b"y" * 5000)
    os.close(w)
    with os.fdopen(r, "rb") as fh:
        assert read_upto(fh, 1000) == b"y" * 1001


def test_read_text_refuses_a_file_over_its_limit_and_reads_one_at_it(tmp_path: Path) -> None:
    (tmp_path / "f.txt").write_bytes(b"a\r\nb\x00c\n")
    assert read_text(tmp_path / "f.txt", 7).text == "a\nbc\n"
    over = read_text(tmp_path / "f.txt", 6)
    assert over.text is None and "over the 6-byte limit" in over.problems[0]


def test_list_dir_sorts_kinds_without_following_links(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("x")
    (tmp_path / "a").mkdir()
    (tmp_path / "to_a").symlink_to(tmp_path / "a")
    (tmp_path / "to_b").symlink_to(tmp_path / "b.txt")
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    os.mkfifo(tmp_path / "fifo")
    got = list_dir(tmp_path)
    assert got.files == ["b.txt"] and got.dirs == ["a"]
    assert got.others == [("fifo", "special file (FIFO, socket or device)"), ("gone", "symbolic link"),
                          ("to_a", "symbolic link"), ("to_b", "symbolic link")]
    assert got.error is None
    assert list_dir(tmp_path / "missing").error
