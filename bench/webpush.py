"""Web pushes per second from one worker to a local fake push service, the payload encryption
(RFC 8291 aes128gcm) and the VAPID header included.

The fake push service (tests/support/fake_webpush.py: HTTPS/1.1, checks the VAPID JWT, TTL,
Urgency, Content-Encoding, and decrypts every payload) runs in its own process. Measured in one
run, interleaved over several rounds:
  (a) web push    WebPushSender.send: encrypt each payload for its subscription, sign (cached
                  per origin) the VAPID header, POST over kept-alive connections
  (b) baseline    the same number of plain POSTs of the same size through the same HTTP
                  session and threads to the same fake, no encryption, no checks
  worker CPU      the same, per second of the worker process's own CPU time (the fake runs
                  in another process): what one worker sustains when it has a core to itself
  (c) encryption  the encryption alone, one thread, no network: ours (http_ece called
                  directly) and pywebpush's WebPusher.encode (the same http_ece underneath)

Run: .venv/bin/python bench/webpush.py [--pushes 3000] [--rounds 3] [--connections 16]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pywebpush import WebPusher  # noqa: E402

from api.webpush.keys import VapidKeys, new_private_pem  # noqa: E402
from api.webpush.sender import WebPushSender, encrypt  # noqa: E402
from api.webpush.service import Notification  # noqa: E402
from tests.support.fake_webpush import FakeWebPush  # noqa: E402

PAYLOAD = json.dumps({"title": "Coffee Club", "body": "You have 120 points",
                      "icon": "https://loyalty.example.com/designs/coffee/icon.png",
                      "url": "https://loyalty.example.com/cards/" + "x" * 32,
                      "tag": str(uuid.uuid4())}).encode()  # fmt: skip


def serve(conn: Any, subscriptions: int) -> None:
    with FakeWebPush() as fake:
        subs = [fake.new_subscription().as_json() for _ in range(subscriptions)]
        conn.send((fake.origin, fake.ca_file, subs))
        conn.recv()  # stop
        conn.send((len(fake.received), fake.refusals[:3], fake.state.requests))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pushes", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(theirs, 200), daemon=True)
    server.start()
    origin, ca_file, subs = ours.recv()
    keys = VapidKeys(new_private_pem(), "mailto:bench@example.com")
    sender = WebPushSender(keys, connections=args.connections, verify=ca_file,
                           allow_hosts=["127.0.0.1"])  # fmt: skip
    notes = [
        Notification(
            subscription_id=uuid.uuid4(),
            generation=0,
            attempts=0,
            endpoint=sub["endpoint"],
            p256dh=sub["keys"]["p256dh"],
            auth=sub["keys"]["auth"],
            payload=PAYLOAD,
            over_budget=False,
        )  # fmt: skip
        for sub in (subs[i % len(subs)] for i in range(args.pushes))
    ]
    plain_body = b"x" * (len(PAYLOAD) + 103)  # the aes128gcm header and tag

    def plain(_: Notification) -> int:
        answer = sender.http.request("POST", f"{origin}/plain", body=plain_body,
                                     headers={"TTL": "60"})  # fmt: skip
        return int(answer.status)

    sender.send(notes[:200])  # warm up connections and the VAPID header
    rates: dict[str, list[float]] = {"web push": [], "worker CPU": [], "baseline": [],
                                     "baseline CPU": [], "encryption": [],
                                     "pywebpush": []}  # fmt: skip
    for _ in range(args.rounds):
        start, cpu = time.perf_counter(), time.process_time()
        outcomes = sender.send(notes)
        rates["web push"].append(args.pushes / (time.perf_counter() - start))
        rates["worker CPU"].append(args.pushes / (time.process_time() - cpu))
        assert all(o.status == 201 for o in outcomes), {o.status for o in outcomes}
        start, cpu = time.perf_counter(), time.process_time()
        statuses = list(sender.pool.map(plain, notes))
        rates["baseline"].append(args.pushes / (time.perf_counter() - start))
        rates["baseline CPU"].append(args.pushes / (time.process_time() - cpu))
        assert set(statuses) == {201}
        start = time.perf_counter()
        for note in notes[:1000]:
            encrypt(note.payload, note.p256dh, note.auth)
        rates["encryption"].append(min(1000, args.pushes) / (time.perf_counter() - start))
        start = time.perf_counter()
        for note in notes[:1000]:
            WebPusher({"endpoint": note.endpoint, "keys": {"p256dh": note.p256dh,
                                                           "auth": note.auth}}).encode(
                note.payload, "aes128gcm")  # fmt: skip
        rates["pywebpush"].append(min(1000, args.pushes) / (time.perf_counter() - start))
    ours.send("stop")
    received, refusals, requests = ours.recv()
    sender.close()
    print(f"pushes per round: {args.pushes}, rounds: {args.rounds}, "
          f"connections: {args.connections}")  # fmt: skip
    for name, values in rates.items():
        print(f"{name:12s} median {statistics.median(values):8.0f}/s  "
              f"(rounds: {', '.join(f'{v:.0f}' for v in values)})")  # fmt: skip
    ratio = statistics.median(rates["web push"]) / statistics.median(rates["baseline"])
    print(f"web push / baseline: {ratio:.2f}")
    print(f"fake: {received} decrypted and delivered, {requests} requests, refusals {refusals}")


if __name__ == "__main__":
    main()
