"""Signed passes per second: our builder against stock py-pkpass and the signing ceiling.

All four are measured in one run, on the same development certificates and the same coffee
design images, with distinct serials and balances per pass:

  (a) ours        build_pkpass() with the signer and template built once, 1 core
  (b) py-pkpass   stock py-pkpass as its README shows: Pass.create() with file paths, 1 core
  (c) ours x2     build_pkpass() in 2 processes (both cores)
  (d) ceiling     PKCS#7 signature of a manifest + zipping the same files, nothing else, 1 core
                  (d1 zips with our archive writer, d2 with the stdlib zipfile as a lean
                  reference implementation would)

Run: .venv/bin/python bench/pkpass.py [--quick]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import multiprocessing
import os
import statistics
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from py_pkpass.models import Barcode, BarcodeFormat, Location, Pass, StoreCard

from api.devcerts import write_dev_certs
from api.settings import DEV_PASS_TYPE_ID, DEV_TEAM_ID
from passes import ApplePassTemplate, LoyaltyCard, Signer, load_design
from passes import Location as CardLocation
from passes.apple.archive import make_entry, write_zip
from passes.apple.manifest import build_manifest, sha1_hex

ROOT = Path(__file__).resolve().parent.parent
DESIGN = ROOT / "templates" / "cards" / "coffee"


def pin(cpu: int) -> None:
    if hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def make_signer(pki: Path) -> Signer:
    return Signer.from_files(
        pki / "apple" / "pass.pem",
        pki / "apple" / "pass.key",
        pki / "apple" / "wwdr.pem",
        pass_type_identifier=DEV_PASS_TYPE_ID,
        team_identifier=DEV_TEAM_ID,
    )


def make_template() -> ApplePassTemplate:
    return ApplePassTemplate.create(
        load_design(DESIGN), pass_type_identifier=DEV_PASS_TYPE_ID, team_identifier=DEV_TEAM_ID
    )


def card(i: int) -> LoyaltyCard:
    return LoyaltyCard(
        serial_number=f"{100000000000 + i}",
        member_name="Anna Petrova",
        barcode_message=f"{100000000000 + i}",
        points=i % 997,
        stamps=i % 10,
        stamps_required=10,
        locations=(CardLocation(55.7651, 37.6056, "Coffee on Tverskaya"),),
        web_service_url="https://loyalpass.example/apple",
        authentication_token="t" * 32,
    )


def rate(count: int, work: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(count):
        work(i)
    return count / (time.perf_counter() - start)


def ours(pki: Path, count: int) -> float:
    from passes import build_pkpass

    signer, template = make_signer(pki), make_template()
    return rate(count, lambda i: build_pkpass(card(i), template, signer))


def stock_pypkpass(pki: Path, count: int) -> float:
    apple = pki / "apple"
    images = sorted(p for p in DESIGN.glob("*.png") if not p.name.startswith("google_"))

    def one(i: int) -> bytes:
        info = StoreCard()
        info.addPrimaryField("stamps", f"{i % 10}/10", "COFFEES")
        info.addHeaderField("points", i % 997, "POINTS")
        info.addSecondaryField("member", "Anna Petrova", "MEMBER")
        info.addSecondaryField("next_reward", 10 - i % 10, "FREE COFFEE IN")
        info.addBackField("card_number", f"{100000000000 + i}", "Card number")
        passfile = Pass(
            info,
            passTypeIdentifier=DEV_PASS_TYPE_ID,
            organizationName="Bean & Brew",
            teamIdentifier=DEV_TEAM_ID,
        )
        passfile.serialNumber = f"{100000000000 + i}"
        passfile.description = "Bean & Brew coffee loyalty card"
        passfile.barcode = Barcode(message=passfile.serialNumber, format=BarcodeFormat.QR)
        passfile.locations = [Location(55.7651, 37.6056)]
        passfile.webServiceURL = "https://loyalpass.example/apple"
        passfile.authenticationToken = "t" * 32
        for image in images:
            with image.open("rb") as handle:
                passfile.addFile(image.name, handle)
        out: io.BytesIO = passfile.create(
            str(apple / "pass.pem"), str(apple / "pass.key"), str(apple / "wwdr.pem"), None
        )
        return out.getvalue()

    return rate(count, one)


def _worker(args: tuple[str, int, int]) -> float:
    pki, count, cpu = args
    pin(cpu)
    from passes import build_pkpass

    signer, template = make_signer(Path(pki)), make_template()
    start = time.perf_counter()
    for i in range(count):
        build_pkpass(card(i), template, signer)
    return time.perf_counter() - start


def ours_two_processes(pki: Path, count: int) -> float:
    half = count // 2
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        pool.map(_worker, [(str(pki), 5, 0), (str(pki), 5, 1)])  # warm up imports and keys
        start = time.perf_counter()
        pool.map(_worker, [(str(pki), half, 0), (str(pki), half, 1)])
        return 2 * half / (time.perf_counter() - start)


def ceiling(pki: Path, count: int, *, stdlib_zip: bool) -> float:
    """Only the unavoidable: one PKCS#7 signature and one zip per pass."""
    signer, template = make_signer(pki), make_template()
    from passes import render_pass_json

    pass_json = render_pass_json(card(0), template)
    manifest = build_manifest({**template.image_hashes, "pass.json": sha1_hex(pass_json)})
    images = {
        name: data
        for name, data in load_design(DESIGN).images.items()
        if not name.startswith("google_")
    }

    def ours_zip(_: int) -> bytes:
        return write_zip(
            (
                make_entry("pass.json", pass_json, is_deflated=True),
                make_entry("manifest.json", manifest, is_deflated=True),
                make_entry("signature", signer.sign(manifest), is_deflated=False),
                *template.image_entries,
            )
        )

    def zipfile_zip(_: int) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("pass.json", pass_json, zipfile.ZIP_DEFLATED)
            archive.writestr("manifest.json", manifest, zipfile.ZIP_DEFLATED)
            archive.writestr("signature", signer.sign(manifest))
            for name, data in images.items():
                archive.writestr(name, data)
        return buffer.getvalue()

    return rate(count, zipfile_zip if stdlib_zip else ours_zip)


@dataclasses.dataclass
class Series:
    name: str
    runs: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def row(self) -> str:
        low, high = min(self.runs), max(self.runs)
        return f"{self.name:<44} {low:>9.1f} {self.median:>9.1f} {high:>9.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer passes, for a smoke run")
    args = parser.parse_args()
    repeats, n, n_stock = (2, 200, 10) if args.quick else (5, 1000, 40)
    with tempfile.TemporaryDirectory() as tmp:
        pki = Path(tmp)
        write_dev_certs(pki)
        pin(0)
        results = [
            Series("(a) ours, 1 core", [ours(pki, n) for _ in range(repeats)]),
            Series("(b) stock py-pkpass, 1 core", [stock_pypkpass(pki, n_stock) for _ in range(3)]),
            Series(
                "(c) ours, 2 processes", [ours_two_processes(pki, 2 * n) for _ in range(repeats)]
            ),
            Series(
                "(d1) ceiling: PKCS#7 + our zip, 1 core",
                [ceiling(pki, n, stdlib_zip=False) for _ in range(repeats)],
            ),
            Series(
                "(d2) ceiling: PKCS#7 + stdlib zipfile, 1 core",
                [ceiling(pki, n, stdlib_zip=True) for _ in range(repeats)],
            ),
        ]
    by_key = {s.name[:4].strip(): s for s in results}
    print(f"signed passes per second ({repeats} runs of {n}; py-pkpass 3 runs of {n_stock})")
    print(f"{'':<44} {'min':>9} {'median':>9} {'max':>9}")
    for series in results:
        print(series.row())
    a, b, c = by_key["(a)"].median, by_key["(b)"].median, by_key["(c)"].median
    d1, d2 = by_key["(d1)"].median, by_key["(d2)"].median
    print()
    print(f"ours / stock py-pkpass            {a / b:6.1f}x   (goal >= 40x)")
    print(f"ours / ceiling (PKCS#7 + our zip) {a / d1:6.1%}   (goal >= 90%)")
    print(f"ours / ceiling (PKCS#7 + zipfile) {a / d2:6.1%}")
    print(f"2 processes / 1 core              {c / a:6.2f}x")


if __name__ == "__main__":
    main()
