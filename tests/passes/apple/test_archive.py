"""The ZIP writer: archives that zipfile and unzip read, byte-identical for the same input."""

from __future__ import annotations

import io
import subprocess
import zipfile
from pathlib import Path

import pytest

from passes.apple.archive import deflate_head, make_entry, make_entry_after, write_zip


def sample() -> bytes:
    return write_zip(
        [
            make_entry("pass.json", b'{"a": 1}' * 50, is_deflated=True),
            make_entry("icon.png", bytes(range(256)) * 4, is_deflated=False),
            make_entry("en.lproj/pass.strings", b'"k" = "v";', is_deflated=True),
        ]
    )


def test_zipfile_reads_it_back() -> None:
    archive = zipfile.ZipFile(io.BytesIO(sample()))
    assert archive.testzip() is None
    assert archive.read("pass.json") == b'{"a": 1}' * 50
    assert archive.getinfo("icon.png").compress_type == zipfile.ZIP_STORED
    assert archive.getinfo("pass.json").compress_type == zipfile.ZIP_DEFLATED


def test_unzip_accepts_it(tmp_path: Path) -> None:
    path = tmp_path / "p.zip"
    path.write_bytes(sample())
    result = subprocess.run(["python3", "-m", "zipfile", "-t", str(path)], capture_output=True)
    assert result.returncode == 0, result.stderr


def test_deterministic() -> None:
    assert sample() == sample()


@pytest.mark.parametrize("name", ["/etc/passwd", "../up", "caf\u00e9.png"])
def test_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(ValueError, match="unsafe"):
        make_entry(name, b"x", is_deflated=False)


def test_an_entry_finished_after_a_shared_head_reads_as_the_whole_file() -> None:
    head = deflate_head("Как это работает; ".encode("utf-16-le") * 40)
    archives = [
        write_zip([make_entry_after(f"{lang}.lproj/pass.strings", head, tail)])
        for lang, tail in (("ru", "Золото".encode("utf-16-le")), ("en", b""))
    ]
    for archive_bytes, tail in zip(archives, ("Золото", ""), strict=True):
        archive = zipfile.ZipFile(io.BytesIO(archive_bytes))
        assert archive.testzip() is None  # CRC and sizes agree
        (name,) = archive.namelist()
        text = archive.read(name).decode("utf-16-le")
        assert text == "Как это работает; " * 40 + tail
    # The head is copied, never consumed: it finishes any number of files.
    again = write_zip(
        [make_entry_after("ru.lproj/pass.strings", head, "Золото".encode("utf-16-le"))]
    )
    assert again == archives[0]
