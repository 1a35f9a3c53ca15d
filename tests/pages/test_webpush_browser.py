"""Web Push end to end in headless Chromium: the member taps "Turn on notifications" on the
card page, a purchase is made through the API, the service's own sender encrypts the
notification and posts it to the fake push service, which checks VAPID and decrypts it, and
the card's service worker shows it.

Headless Chromium's push service is Google's, which the closed test machine cannot reach, so
two browser-side steps are stood in for, and only those: ``PushManager.subscribe`` returns a
subscription the fake minted (it keeps the private key, so it can decrypt, as the browser
would), and the fake's decrypted message is handed to the service worker over the debugging
protocol (``ServiceWorker.deliverPushMessage``), the way the push service's connection would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, CDPSession, Page
from sqlmodel import Session

from api.db import make_engine
from api.merchants import service as merchant_service
from tests.conftest import make_settings
from tests.pages.conftest import PHONE, Site, wait_until, watch_console
from tests.support.fake_webpush import FakeSubscription, FakeWebPush
from tests.support.server import free_port, running_server

ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile"

# PushManager as the page sees it: subscribe() and getSubscription() give the fake's
# subscription (its toJSON() is what a browser sends); permissionState() says granted.
STUB_PUSH_MANAGER = """(() => {
  const sub = %s;
  const given = {endpoint: sub.endpoint, expirationTime: null, options: {userVisibleOnly: true},
    toJSON: () => sub,
    getKey: () => null, unsubscribe: () => Promise.resolve(true)};
  let subscribed = false;
  if (self.PushManager) {
    PushManager.prototype.subscribe = function (options) {
      if (!options || !options.userVisibleOnly || !options.applicationServerKey) {
        return Promise.reject(new DOMException("bad options", "NotAllowedError"));
      }
      subscribed = true;
      self.pushSubscribeCalls = (self.pushSubscribeCalls || 0) + 1;
      return Promise.resolve(given);
    };
    PushManager.prototype.getSubscription = () => Promise.resolve(subscribed ? given : null);
    PushManager.prototype.permissionState = () => Promise.resolve("granted");
  }
})();"""

NOTIFICATIONS = (
    "navigator.serviceWorker.ready.then(r => r.getNotifications())"
    ".then(ns => ns.map(n => ({title: n.title, body: n.body, icon: n.icon})))"
)


@pytest.fixture(scope="module")
def fake_push() -> Iterator[FakeWebPush]:
    with FakeWebPush() as fake:
        yield fake


@pytest.fixture(scope="module")
def push_site(
    tmp_path_factory: pytest.TempPathFactory, pki_dir: Path, fake_push: FakeWebPush
) -> Iterator[Site]:
    """The service with its Web Push loop running and trusting the fake push service."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite:///{tmp_path_factory.mktemp('webpush') / 'webpush.db'}"
    settings = make_settings(
        database_url, pki_dir, public_url=url, webpush_in_process=True,
        webpush_allow_hosts=["127.0.0.1"], webpush_ca_file=Path(fake_push.ca_file),
    )  # fmt: skip
    with running_server(settings, port=port):
        engine = make_engine(database_url)
        with Session(engine) as session, session.begin():
            merchant, key = merchant_service.create_merchant(session, name="Push Coffee")
            merchant_id = str(merchant.id)
        engine.dispose()
        yield Site(url, database_url, key, merchant_id)


def _worker_registration(page: Page, cdp: CDPSession, scope: str, timeout: float = 10.0) -> str:
    """The registration id of the service worker whose scope is ``scope`` (Playwright hands
    over CDP events only while it runs: wait in the page, not in ``time.sleep``)."""
    seen: dict[str, str] = {}

    def on_update(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            seen[registration["scopeURL"]] = registration["registrationId"]

    cdp.on("ServiceWorker.workerRegistrationUpdated", on_update)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + timeout
    while scope not in seen:
        if time.monotonic() > deadline:
            raise AssertionError(f"no service worker registration for {scope}: {seen}")
        page.wait_for_timeout(50)
    return seen[scope]


def test_a_purchase_reaches_the_card_as_a_notification(
    browser: Browser, push_site: Site, fake_push: FakeWebPush
) -> None:
    site = push_site
    rules = {"currency": "RUB", "earn": {"points": 5, "per_amount": "100"}}
    program = site.api(
        "POST", "/api/v1/programs", {"name": "Push Coffee", "kind": "points", "rules": rules}
    )
    member = site.api(
        "POST",
        f"/api/v1/programs/{program['id']}/members",
        {"name": "Nina", "phone": "+79160009912"},
    )
    url = member["card_url"]
    subscription: FakeSubscription = fake_push.new_subscription()

    context = browser.new_context(
        viewport=PHONE, locale="en-US", is_mobile=True, has_touch=True, user_agent=ANDROID
    )
    context.grant_permissions(["notifications"], origin=site.url)
    context.add_init_script(STUB_PUSH_MANAGER % json.dumps(subscription.as_json()))
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors: list[str] = []
    watch_console(page, errors)
    try:
        page.goto(url)
        wait_until(page, "navigator.serviceWorker.controller !== null")
        assert page.evaluate("self.pushSubscribeCalls || 0") == 0  # never on load
        page.locator("#push").click()
        page.locator("#push-result").wait_for()
        assert page.locator("#push-result").inner_text() == (
            page.locator("#push-result").get_attribute("data-on")
        )
        assert page.evaluate("self.pushSubscribeCalls") == 1

        purchase = {"kind": "purchase", "amount": "2400", "currency": "RUB"}
        site.api("POST", f"/api/v1/members/{member['id']}/transactions", purchase)
        arrived = fake_push.wait_for(1, timeout=30)  # the service's loop sends it
        received = [m for m in arrived if m.subscription_id == subscription.id]
        assert len(received) == 1, fake_push.refusals
        message = received[0].json()
        assert message["body"] == "You have 120 points"
        assert received[0].claims["aud"] == fake_push.origin  # VAPID checked by the fake

        cdp = context.new_cdp_session(page)
        registration = _worker_registration(page, cdp, url)
        cdp.send(
            "ServiceWorker.deliverPushMessage",
            {"origin": site.url, "registrationId": registration,
             "data": received[0].payload.decode()},
        )  # fmt: skip
        shown = wait_until(page, f"{NOTIFICATIONS}.then(ns => ns.length ? ns : null)")
        assert [(n["title"], n["body"]) for n in shown] == [("Push Coffee", "You have 120 points")]
        assert shown[0]["icon"].startswith(site.url + "/designs/")
    finally:
        context.close()
    assert errors == []
