"""The answering model's file: joined from part packages in order, kept only when size and sha256 match.

Real files and real hashing: the part "packages" are folders put on ``sys.path`` the way pip installs them
(``NAME/data/partNN.bin``), found by import machinery without importing anything.
"""

from __future__ import annotations

import hashlib
import sys

import pytest

from rag.ask.model_files import ModelFile, cached_path, install, installed, parts
from rag.errors import UsageError
from rag.settings import Settings

CHUNKS = [b"GGUF" + bytes(range(200)) * 3, b"second part" * 50, b"third and last"]


@pytest.fixture
def packages(tmp_path, monkeypatch):
    """Three part packages (the middle one split into two numbered files, as a chunk may be)."""
    site = tmp_path / "site"
    layout = {"fakemodel_part1": [CHUNKS[0]], "fakemodel_part2": [CHUNKS[1][:100], CHUNKS[1][100:]],
              "fakemodel_part3": [CHUNKS[2]]}
    number = 0
    for package, pieces in layout.items():
        (site / package / "data").mkdir(parents=True)
        (site / package / "__init__.py").write_text("")
        for piece in pieces:
            number += 1
            (site / package / "data" / f"part{number:02d}.bin").write_bytes(piece)
    monkeypatch.syspath_prepend(str(site))
    yield tuple(layout)
    for package in layout:
        sys.modules.pop(package, None)


def model(packages, data: bytes) -> ModelFile:
    return ModelFile("fake.gguf", len(data), hashlib.sha256(data).hexdigest(), packages, "model")


def test_parts_join_in_order_and_are_kept_once_verified(packages, tmp_path):
    settings = Settings(model_cache_dir=tmp_path / "cache")
    whole = b"".join(CHUNKS)
    fake = model(packages, whole)
    assert [p.name for p in parts(fake)] == ["part01.bin", "part02.bin", "part03.bin", "part04.bin"]
    assert installed(settings, fake) is None
    seen = []
    path = install(settings, fake, progress=lambda done, total: seen.append((done, total)))
    assert path == cached_path(settings, fake) and path.read_bytes() == whole
    assert seen[-1] == (len(whole), len(whole))
    assert installed(settings, fake) == path
    assert sorted(p.name for p in path.parent.iterdir()) == ["fake.gguf", "fake.verified"]  # nothing half-written


def test_a_file_that_does_not_match_is_never_kept(packages, tmp_path):
    settings = Settings(model_cache_dir=tmp_path / "cache")
    wrong = model(packages, b"".join(CHUNKS) + b"x")  # the published file differs from what the parts join to
    with pytest.raises(UsageError, match="not the published file"):
        install(settings, wrong)
    assert list(cached_path(settings, wrong).parent.iterdir()) == []
    assert installed(settings, wrong) is None


def test_a_changed_file_is_no_longer_trusted(packages, tmp_path):
    settings = Settings(model_cache_dir=tmp_path / "cache")
    fake = model(packages, b"".join(CHUNKS))
    path = install(settings, fake)
    path.write_bytes(path.read_bytes()[::-1])  # same size, other bytes, new mtime: its stamp no longer holds
    assert installed(settings, fake) is None
    assert install(settings, fake).read_bytes() == b"".join(CHUNKS)  # joined and verified again


def test_a_missing_part_names_the_package_and_the_extra(packages, tmp_path):
    fake = model(packages + ("fakemodel_part4",), b"".join(CHUNKS))
    with pytest.raises(UsageError, match=r"fakemodel_part4 is not installed: pip install '\.\[model\]'"):
        parts(fake)
