"""The card page as a web app: its weight (page, service worker, manifest, icons and the
design images the page shows, as sent) and its first paint in headless Chromium on emulated
3G (Chrome DevTools' "Fast 3G": 562.5 ms round trip, 1.47 Mbit/s down, 675 kbit/s up), cold
and again once the service worker has cached it; median of --runs.

The card uses the shipped "coffee" design (the neutral design has no images).

Run: .venv/bin/python bench/pwa.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright
from sqlmodel import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from api.db import make_engine  # noqa: E402
from api.devcerts import write_dev_certs  # noqa: E402
from api.merchants import service as merchant_service  # noqa: E402
from tests.conftest import make_settings  # noqa: E402
from tests.pages.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE  # noqa: E402
from tests.support.server import free_port, running_server  # noqa: E402

FAST_3G = {
    "offline": False,
    "latency": 562.5,
    "downloadThroughput": 1_474_560 / 8,
    "uploadThroughput": 675_000 / 8,
}
PAINT = """() => new Promise(done => {
  const found = () => performance.getEntriesByName('first-contentful-paint')[0];
  const wait = () => found() ? done(found().startTime) : setTimeout(wait, 20);
  wait();
})"""


def call(url: str, key: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"{url}{path}", data=json.dumps(body).encode(), method="POST",
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )  # fmt: skip
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def size(url: str) -> int:
    """The bytes ``url`` sends; 0 for an image the design lacks (the page asks, gets 404)."""
    try:
        with urllib.request.urlopen(url) as response:
            return len(response.read())
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return 0
        raise


def weight(base: str, card_url: str) -> dict[str, int]:
    page = urllib.request.urlopen(card_url).read().decode()
    path = card_url.removeprefix(base)
    manifest = json.loads(urllib.request.urlopen(f"{card_url}/manifest.webmanifest").read())
    images = sorted(set(re.findall(r'src="(/designs/[^"]+)"', page)))
    parts = {
        "page": len(page.encode()),
        "sw.js": size(f"{base}{path}/sw.js"),
        "manifest": size(f"{card_url}/manifest.webmanifest"),
    }
    for icon in manifest["icons"]:
        parts[f"icon {icon['sizes']} {icon['purpose']}"] = size(base + icon["src"])
    for image in images:
        parts[image.rsplit("/", 1)[1]] = size(base + image)
    return parts


def first_paints(card_url: str, runs: int) -> tuple[list[float], list[float]]:
    cold: list[float] = []
    cached: list[float] = []
    with sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport=PHONE, is_mobile=True)
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", FAST_3G)
            page.goto(card_url)
            cold.append(page.evaluate(PAINT))
            page.wait_for_function("() => navigator.serviceWorker.controller !== null")
            page.reload()
            cached.append(page.evaluate(PAINT))
            context.close()
        browser.close()
    return cold, cached


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pki = Path(tmp) / "pki"
        write_dev_certs(pki)
        database_url = f"sqlite:///{tmp}/pwa.db"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = make_settings(database_url, pki, public_url=base)
        with running_server(settings, port=port):
            engine = make_engine(database_url)
            with Session(engine) as session, session.begin():
                _, key = merchant_service.create_merchant(session, name="Bean & Brew")
            engine.dispose()
            program = call(
                base,
                key,
                "/api/v1/programs",
                {"name": "Coffee Club", "kind": "points", "design": "coffee"},
            )
            member = call(
                base, key, f"/api/v1/programs/{program['id']}/members",
                {"name": "Nina", "phone": "+79160009911"},
            )  # fmt: skip
            card_url = member["card_url"]
            parts = weight(base, card_url)
            cold, cached = first_paints(card_url, args.runs)
    for name, count in parts.items():
        print(f"{name:32} {count:>8,} B")
    print(f"{'total':32} {sum(parts.values()):>8,} B")
    paint = "first contentful paint, Fast 3G"
    print(f"{paint}, cold: {statistics.median(cold):,.0f} ms (median of {len(cold)})")
    print(f"{paint}, from the worker's cache: {statistics.median(cached):,.0f} ms")


if __name__ == "__main__":
    main()
