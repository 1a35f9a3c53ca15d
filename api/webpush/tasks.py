"""Starting Web Push in a process: the VAPID keys (the settings' key, else the stored one,
made on first start) and the sending loop in its own thread."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.polling import PollingThread
from api.settings import Settings
from api.webpush.keys import VapidKeys, stored_private_pem
from api.webpush.pusher import WebPushPusher
from api.webpush.sender import WebPushSender


def load_keys(engine: Engine, settings: Settings) -> VapidKeys:
    """The installation's VAPID keys."""
    subject = settings.vapid_subject or _default_subject(settings.public_url)
    if settings.vapid_private_key is not None:
        return VapidKeys(settings.vapid_private_key.get_secret_value().encode(), subject)
    with Session(engine) as session, session.begin():
        return VapidKeys(stored_private_pem(session), subject)


def start_thread(engine: Engine, settings: Settings, keys: VapidKeys) -> PollingThread | None:
    """The in-process Web Push loop, unless left to `loyalpass worker`."""
    if not settings.webpush_in_process:
        return None
    return build_thread(engine, settings, keys)


def build_thread(engine: Engine, settings: Settings, keys: VapidKeys) -> PollingThread:
    """A started Web Push loop with its own connections (closed when it stops)."""
    verify: bool | str = str(settings.webpush_ca_file) if settings.webpush_ca_file else True
    sender = WebPushSender(keys, verify=verify, allow_hosts=settings.webpush_allow_hosts)
    pusher = WebPushPusher(
        engine, sender.send, public_url=settings.public_url, lease=timedelta(seconds=60)
    )
    thread = PollingThread(
        "webpush", has_work=pusher.has_work, run_once=pusher.run_once, on_stop=sender.close
    )
    thread.start()
    return thread


def _default_subject(public_url: str) -> str:
    """The service's own https origin; in development (http) a local mailbox."""
    host = urlsplit(public_url).hostname or ""
    if public_url.startswith("https://") and "." in host:
        return f"https://{host}"
    return "mailto:webpush@localhost"
