"""Card images before and after the image pipeline: pass sizes, quality, and the signing rate.

"Before" is what templates/cards/draw.py drew, saved as Pillow's full-colour PNG (the bytes
shipped until the pipeline existed); "after" is the same render through
``passes.encode_png`` (the bytes shipped now). Both are made in this run from the drawing
itself, then:

  sizes     each design's images, Apple images and signed .pkpass, before and after
  quality   every image's palette size, SSIM and PSNR against the full-colour render
  signing   build_pkpass() passes per second with the before and the after images, the two
            series interleaved round by round (same signer, same cards, 1 core), and the ratio
  upload    how long the pipeline takes to make each slot from an uploaded PNG

Run: .venv/bin/python bench/images.py [--quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import io
import os
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

from PIL import Image

from api.devcerts import write_dev_certs
from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from bench.pkpass import card
from bench.rates import report
from passes import (
    ApplePassTemplate,
    CardDesign,
    EncodedPng,
    Signer,
    build_pkpass,
    encode_png,
    load_design,
    prepare_image,
)

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "templates" / "cards"
APPLE = ("icon", "logo", "strip")


def load_draw() -> ModuleType:
    spec = importlib.util.spec_from_file_location("draw", CARDS / "draw.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["draw"] = module  # the new designs' drawing modules import its shapes
    spec.loader.exec_module(module)
    return module


def renders() -> dict[str, dict[str, Image.Image]]:
    """Every design's full-colour renders by file name, drawn without writing a file."""
    draw = load_draw()
    drawn: dict[str, dict[str, Image.Image]] = {}

    def capture(img: Image.Image, path: Path) -> None:
        drawn.setdefault(path.parent.name, {})[path.name] = img

    draw.write = capture
    draw.main()
    return drawn


def full_colour(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)  # what draw.py wrote before the pipeline
    return buffer.getvalue()


def make_signer(pki: Path) -> Signer:
    return Signer.from_files(
        pki / "apple" / "pass.pem",
        pki / "apple" / "pass.key",
        pki / "apple" / "wwdr.pem",
        pass_type_identifier=DEV_PASS_TYPE_ID,
        team_identifier=DEV_TEAM_ID,
    )


def template(design: CardDesign, images: dict[str, bytes]) -> ApplePassTemplate:
    return ApplePassTemplate.create(
        dataclasses.replace(design, images=images),
        pass_type_identifier=DEV_PASS_TYPE_ID,
        team_identifier=DEV_TEAM_ID,
    )


def rate(count: int, signer: Signer, pass_template: ApplePassTemplate) -> tuple[float, float]:
    """Passes per wall-clock second and per CPU second of this process (the machine is
    shared: CPU time is what other load disturbs least)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        build_pkpass(card(i), pass_template, signer)
    return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)


def kib(size: int) -> str:
    return f"{size / 1024:,.1f} KiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer passes, for a smoke run")
    args = parser.parse_args()
    rounds, count = (3, 200) if args.quick else (7, 1000)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})

    started = time.perf_counter()
    drawn = renders()
    print(f"drew {sum(map(len, drawn.values()))} images in {time.perf_counter() - started:.1f} s")
    before: dict[str, dict[str, bytes]] = {}
    after: dict[str, dict[str, EncodedPng]] = {}
    print("\nquality (after, against the full-colour render)")
    print(f"{'image':<28} {'before':>10} {'after':>10} {'colours':>8} {'SSIM':>7} {'PSNR dB':>8}")
    for name, images in sorted(drawn.items()):
        before[name] = {file: full_colour(img) for file, img in sorted(images.items())}
        after[name] = {file: encode_png(img) for file, img in sorted(images.items())}
        shipped = load_design(CARDS / name).images
        for file, png in after[name].items():
            assert shipped[file] == png.data, f"{name}/{file} is not the pipeline's output"
            print(
                f"{name + '/' + file:<28} {len(before[name][file]):>10,} {len(png.data):>10,} "
                f"{png.colours or 'full':>8} {png.ssim:>7.4f} {png.psnr:>8.1f}"
            )
    worst = min(png.ssim for images in after.values() for png in images.values())
    print(f"lowest SSIM of any shipped image: {worst:.4f}")

    with tempfile.TemporaryDirectory() as tmp:
        pki = Path(tmp)
        write_dev_certs(pki)
        signer = make_signer(pki)
        print("\nsizes")
        print(f"{'design':<10} {'images':>22} {'Apple images':>24} {'.pkpass':>24}")
        templates: dict[str, tuple[ApplePassTemplate, ApplePassTemplate]] = {}
        for name in sorted(drawn):
            design = load_design(CARDS / name)
            old = template(design, before[name])
            new = template(design, {file: png.data for file, png in after[name].items()})
            templates[name] = (old, new)
            sizes = []
            for pair in (
                (
                    sum(map(len, before[name].values())),
                    sum(len(p.data) for p in after[name].values()),
                ),
                (
                    sum(len(d) for f, d in before[name].items() if f.startswith(APPLE)),
                    sum(len(p.data) for f, p in after[name].items() if f.startswith(APPLE)),
                ),
                (len(build_pkpass(card(0), old, signer)), len(build_pkpass(card(0), new, signer))),
            ):
                sizes.append(f"{kib(pair[0])} -> {kib(pair[1])}")
            print(f"{name:<10} {sizes[0]:>22} {sizes[1]:>24} {sizes[2]:>24}")

        print(f"\nsigning, coffee design, {rounds} interleaved rounds of {count} passes, 1 core")
        old, new = templates["coffee"]
        rate(50, signer, old), rate(50, signer, new)  # warm up
        runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
        for _ in range(rounds):
            runs["before"].append(rate(count, signer, old))
            runs["after"].append(rate(count, signer, new))
        report(runs, "after", "before", goal="goal: >= 90%")

    print("\nupload: the pipeline on a PNG upload of the coffee hero (1032x336), per slot")
    upload = full_colour(drawn["coffee"]["google_hero.png"])
    for slot in ("icon", "logo", "strip", "google_logo", "google_hero"):
        start = time.perf_counter()
        made = prepare_image(upload, slot, field="upload")
        took = time.perf_counter() - start
        total = sum(len(png.data) for png in made.values())
        print(f"{slot:<12} {took:6.2f} s  {len(made)} file(s), {total:,} B")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
