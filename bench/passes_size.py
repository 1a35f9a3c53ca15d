"""Every starter template's signed passes: sizes, the stamp pictures' encoder, the signing rate.

  sizes     per starter, the points pass and the stamp pass at 0, half and all stamps (and 13
            of 20), Google's stamp hero, against the 60,000-byte budget
  encoder   the stamp pictures as ``passes.stamps`` encodes them (64-colour fast octree, no
            dithering) against the image pipeline's ``passes.encode_png`` (fewest colours above
            SSIM 0.99, then oxipng): bytes, SSIM against the unquantised picture, and the time
            to draw one (design, count), which happens once per design version and count
  signing   build_pkpass() passes per second on one core for the coffee points pass and the
            coffee stamp pass (whose three strips are hashed and copied per pass), interleaved
            round by round in the same run, and their ratio

Run: .venv/bin/python bench/passes_size.py [--quick]
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image

import passes.stamps as stamps_module
from api.devcerts import write_dev_certs
from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from bench.rates import report
from passes import (
    ApplePassTemplate,
    CardDesign,
    LoyaltyCard,
    Signer,
    build_pkpass,
    encode_png,
    image_ssim,
    load_design,
)
from passes import Location as CardLocation
from passes.stamps import render_hero, render_strips

ROOT = Path(__file__).resolve().parent.parent
CARDS = ROOT / "templates" / "cards"
BUDGET = 60_000


def make_signer(pki: Path) -> Signer:
    return Signer.from_files(
        pki / "apple" / "pass.pem",
        pki / "apple" / "pass.key",
        pki / "apple" / "wwdr.pem",
        pass_type_identifier=DEV_PASS_TYPE_ID,
        team_identifier=DEV_TEAM_ID,
    )


def template_of(design: CardDesign) -> ApplePassTemplate:
    return ApplePassTemplate.create(
        design, pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID
    )


def card(i: int, *, stamps: int = 0, required: int | None = None) -> LoyaltyCard:
    return LoyaltyCard(
        serial_number=f"{100000000000 + i}",
        member_name="Anna Petrova",
        barcode_message=f"{100000000000 + i}",
        points=i % 997,
        stamps=stamps,
        stamps_required=required,
        tier="Gold",
        locations=(CardLocation(55.7651, 37.6056, "Coffee on Tverskaya"),),
        web_service_url="https://loyalpass.example/apple",
        authentication_token="t" * 32,
    )


def sizes(designs: dict[str, CardDesign], signer: Signer) -> None:
    print(f"sizes: signed .pkpass bytes (budget {BUDGET:,}); Google stamp hero bytes")
    print(
        f"{'starter':<10} {'points':>8} {'0 of M':>8} {'M/2':>8} {'M of M':>8} {'13/20':>8}  hero"
    )
    worst = 0
    for name, design in designs.items():
        template = template_of(design)
        required = design.stamps_required or 10
        row = [len(build_pkpass(card(0), template, signer))]
        for count, total in ((0, required), (required // 2, required), (required, required)):
            strips = render_strips(design, count, total)
            row.append(
                len(build_pkpass(card(0, stamps=count, required=total), template, signer, strips))
            )
        strips = render_strips(design, 13, 20)
        row.append(len(build_pkpass(card(0, stamps=13, required=20), template, signer, strips)))
        heroes = [len(render_hero(design, count, required)) for count in (0, required)]
        worst = max(worst, *row)
        cells = " ".join(f"{size:>8,}" for size in row)
        print(f"{name:<10} {cells}  {min(heroes):,}-{max(heroes):,} (M = {required})")
    print(f"largest pass: {worst:,} bytes ({worst / BUDGET:.1%} of the budget)")


def encoder(designs: dict[str, CardDesign], counts: Callable[[int], list[int]]) -> None:
    """Draw each picture once, keeping the unquantised canvas, then encode it both ways."""
    canvases: list[Image.Image] = []
    shipped_encoder = stamps_module.encode_picture

    def keep(image: Image.Image) -> bytes:
        canvases.append(image.convert("RGB"))
        return shipped_encoder(image)

    print("\nencoder: one (design, count) = 3 strips + 1 hero; SSIM against the unquantised")
    print(
        f"{'starter':<10} {'N/M':>6} {'ours B':>8} {'ours s':>7} {'SSIM':>13}"
        f" {'pipeline B':>11} {'pipeline s':>11} {'SSIM':>13}"
    )
    for name, design in designs.items():
        required = design.stamps_required or 10
        for count in counts(required):
            canvases.clear()
            stamps_module.encode_picture = keep
            try:
                started = time.perf_counter()
                ours = [*render_strips(design, count, required).values()]
                ours.append(render_hero(design, count, required))
                ours_time = time.perf_counter() - started
            finally:
                stamps_module.encode_picture = shipped_encoder
            ours_ssim = [
                image_ssim(canvas, Image.open(io.BytesIO(data)).convert("RGB"))
                for canvas, data in zip(canvases, ours, strict=True)
            ]
            started = time.perf_counter()
            pipeline = [encode_png(canvas) for canvas in canvases]
            pipeline_time = time.perf_counter() - started
            print(
                f"{name:<10} {f'{count}/{required}':>6} {sum(map(len, ours)):>8,} "
                f"{ours_time:>7.2f} {min(ours_ssim):.4f}-{max(ours_ssim):.4f} "
                f"{sum(len(p.data) for p in pipeline):>11,} {pipeline_time:>11.2f} "
                f"{min(p.ssim for p in pipeline):.4f}-{max(p.ssim for p in pipeline):.4f}"
            )


def signing(designs: dict[str, CardDesign], signer: Signer, rounds: int, count: int) -> None:
    coffee = designs["coffee"]
    template = template_of(coffee)
    required = coffee.stamps_required or 10
    strips = {n: render_strips(coffee, n, required) for n in range(required + 1)}

    def points(i: int) -> None:
        build_pkpass(card(i), template, signer)

    def stamp(i: int) -> None:
        n = i % (required + 1)
        build_pkpass(card(i, stamps=n, required=required), template, signer, strips[n])

    def rate(build: Callable[[int], None]) -> tuple[float, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        for i in range(count):
            build(i)
        return count / (time.perf_counter() - wall), count / (time.process_time() - cpu)

    print(f"\nsigning, coffee, {rounds} interleaved rounds of {count} passes, 1 core")
    rate(points), rate(stamp)  # warm up
    runs: dict[str, list[tuple[float, float]]] = {"points": [], "stamps": []}
    for _ in range(rounds):
        runs["points"].append(rate(points))
        runs["stamps"].append(rate(stamp))
    report(runs, "stamps", "points")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer passes and counts")
    args = parser.parse_args()
    rounds, count = (3, 200) if args.quick else (7, 1000)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {0})
    designs = {
        path.parent.name: load_design(path.parent) for path in sorted(CARDS.glob("*/design.toml"))
    }
    with tempfile.TemporaryDirectory() as tmp:
        pki = Path(tmp)
        write_dev_certs(pki)
        signer = make_signer(pki)
        sizes(designs, signer)
        encoder(designs, (lambda m: [m // 2]) if args.quick else (lambda m: [0, m // 2, m]))
        signing(designs, signer, rounds, count)


if __name__ == "__main__":
    main()
