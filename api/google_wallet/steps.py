"""The calls to Google that bring one card's object up to date, as steps, and the two ways of
sending them: alone through ``WalletClient`` (a small pool of cards at once), or step by step
for a whole batch of cards through Google's batch endpoint (``batch``).

A card's steps come from its ``budget.plan``: the insert (a new object, with its first
messages) or one PATCH (none when its body is the one Google has, as after a design change
only the class shows), then each new message. Every step has the call as the batch endpoint
sends it and the same call sent alone with the client's care: 409 on an insert patches, 404 on
a PATCH inserts, a notification Google refuses (quota) goes out silently, 429/5xx are retried.
A step that fails inside a batch is sent again alone, so a batch changes how fast, never what.
No database here: the coordinator (``sync``) claims before and records after.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from google.auth.exceptions import GoogleAuthError, RefreshError

from api.google_wallet import batch, budget
from api.google_wallet.batch import Call
from api.google_wallet.budget import Message
from api.google_wallet.service import REFUSED_STATUSES, SyncWork
from api.google_wallet.wallet import digest
from api.logs import bound_request_id
from passes import (
    GoogleNotFound,
    GoogleWalletError,
    NotificationQuotaExceeded,
    WalletClient,
    object_message,
)

Notice = tuple[str, int]  # (kind, the outbox row it was for)


@dataclass(slots=True)
class Step:
    call: Call
    notice: Notice | None  # spent when the call notifies
    alone: Callable[[], bool]  # the call through WalletClient; True when it notified


@dataclass(slots=True)
class CardPush:
    """One card's steps and how far they got."""

    work: SyncWork
    points: str
    body_digest: str
    steps: list[Step]
    done: int = 0
    notices: list[Notice] = field(default_factory=list)
    error: GoogleWalletError | None = None

    @property
    def is_finished(self) -> bool:
        return self.error is None and self.done == len(self.steps)

    def run_step_alone(self) -> None:
        try:
            try:
                notified = self.steps[self.done].alone()
            except GoogleAuthError as auth_error:  # the token fetch failed, not the call
                raise as_wallet_error(auth_error) from auth_error
        except GoogleWalletError as exc:
            self.error = exc
            return
        self.step_done(notified=notified)

    def step_done(self, *, notified: bool) -> None:
        notice = self.steps[self.done].notice
        if notified and notice is not None:
            self.notices.append(notice)
        self.done += 1


def card_push(client: WalletClient, work: SyncWork, *, message_lifetime: timedelta) -> CardPush:
    """The steps that bring ``work``'s object up to date (none when Google has it as is)."""
    body = work.object_body
    object_id = body["id"]
    points = budget.points_key(body)
    plan = budget.plan(
        synced_version=work.synced_version, synced_points=work.synced_points, points=points,
        wants_notification=work.wants_notification,
        notifications_left=work.notifications_left, new_messages=work.new_messages,
        kept_messages=work.kept_messages,
    )  # fmt: skip

    def message(item: Message, *, notify: bool = False) -> dict[str, Any]:
        return object_message(
            message_id=f"lp-{item.event_id}", header=work.header, body=item.text,
            language=work.language, translations=_translations(work, item),
            start=item.created_at, lifetime=message_lifetime, notify=notify,
        )  # fmt: skip

    body_digest = digest(body)
    steps: list[Step] = []
    unchanged = (body_digest == work.object_digest and plan.kept_messages is None
                 and not plan.added_messages)  # fmt: skip
    if plan.is_new:  # a new object: no one holds it yet, nothing to notify
        if plan.initial_messages:
            body = {**body, "messages": [message(m) for m in plan.initial_messages]}
        steps.append(Step(Call("POST", "loyaltyObject", body), None,
                          lambda: _upsert(client, body)))  # fmt: skip
    elif not unchanged:
        fields = {k: v for k, v in body.items() if k not in ("id", "classId")}
        if plan.kept_messages is not None:
            fields["messages"] = [message(m) for m in plan.kept_messages]
        notify = plan.patch_notifies
        sent = {**fields, "notifyPreference": "NOTIFY_ON_UPDATE"} if notify else fields
        steps.append(Step(
            Call("PATCH", f"loyaltyObject/{object_id}", sent),
            ("update", work.last_event_id) if notify else None,
            lambda: _patch(client, body, fields, notify=notify),
        ))  # fmt: skip
    for index, item in enumerate(plan.added_messages):
        notify = plan.first_message_notifies and index == 0
        steps.append(Step(
            Call("POST", f"loyaltyObject/{object_id}/addMessage",
                 {"message": message(item, notify=notify)}),
            ("message", item.event_id) if notify else None,
            _add_message(client, object_id, message(item, notify=notify), message(item), notify),
        ))  # fmt: skip
    return CardPush(work, points, body_digest, steps)


def send_alone(pushes: Sequence[CardPush], *, concurrency: int) -> None:
    """Each card's steps in order, ``concurrency`` cards at a time (the client's limiter still
    spaces every call). After a refusal of our key no other card starts."""
    refused = threading.Event()

    def run(push: CardPush) -> None:
        with bound_request_id(push.work.request_id):  # logged and sent as X-Request-ID
            while not refused.is_set() and push.error is None and push.done < len(push.steps):
                push.run_step_alone()
        if push.error is not None and push.error.status in REFUSED_STATUSES:
            refused.set()

    if concurrency <= 1 or len(pushes) <= 1:
        for push in pushes:
            run(push)
        return
    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="google-push") as pool:
        list(pool.map(run, pushes))


def send_batched(client: WalletClient, pushes: Sequence[CardPush], *, concurrency: int) -> None:
    """Step ``k`` of every card in batch requests (of ``batch.calls_per_batch`` calls), then
    step ``k + 1``; a step Google did not accept in the batch is sent again alone. A batch
    that fails as a whole fails each of its cards (a refusal of our key stops the rest).

    Up to ``concurrency`` batches are in flight while the next one takes its places in the
    limiter, so Google's latency does not slow the pace; a batch takes its places only once a
    sender is free for it, and is sent as soon as it has them: its calls reach Google when the
    limiter let the last of them go, as ``batch.calls_per_batch`` assumes."""
    largest = batch.calls_per_batch(client.per_second)
    refused = threading.Event()
    free = threading.BoundedSemaphore(concurrency)

    def send(chunk: list[CardPush], k: int) -> None:
        try:
            _send_chunk(client, chunk, k, refused)
        finally:
            free.release()

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="google-batch") as pool:
        for k in range(max((len(p.steps) for p in pushes), default=0)):
            due = [p for p in pushes if p.error is None and p.done == k < len(p.steps)]
            size = max(1, min(largest, -(-len(due) // concurrency)))  # every sender busy
            sent = []
            for start in range(0, len(due), size):
                free.acquire()
                if refused.is_set():
                    free.release()
                    break
                chunk = due[start : start + size]
                for _ in chunk:  # every call counts against Google's quota
                    client.limiter.wait()
                sent.append(pool.submit(send, chunk, k))
            for future in sent:
                future.result()
            if refused.is_set():
                return


def _send_chunk(
    client: WalletClient, chunk: list[CardPush], k: int, refused: threading.Event
) -> None:
    try:
        try:
            answers = batch.send(client, [p.steps[k].call for p in chunk], paced=False)
        except GoogleAuthError as auth_error:
            raise as_wallet_error(auth_error) from auth_error
    except GoogleWalletError as exc:
        for push in chunk:
            push.error = exc
        if exc.status in REFUSED_STATUSES:
            refused.set()
        return
    for push, answer in zip(chunk, answers, strict=True):
        if answer.ok:
            push.step_done(notified=True)
        elif not refused.is_set():
            push.run_step_alone()
            if push.error is not None and push.error.status in REFUSED_STATUSES:
                refused.set()


def as_wallet_error(error: GoogleAuthError) -> GoogleWalletError:
    """A failed token fetch as the wallet error it amounts to: the token endpoint refused our
    key (a refusal, like a 401), or it could not be reached or timed out (try again)."""
    if isinstance(error, RefreshError) and not error.retryable:
        return GoogleWalletError(401, "tokenRefused", str(error)[:200])
    return GoogleWalletError(0, "unreachable", str(error)[:200])


def _upsert(client: WalletClient, body: dict[str, Any]) -> bool:
    client.upsert_object(body)
    return False


def _patch(
    client: WalletClient, body: dict[str, Any], fields: dict[str, Any], *, notify: bool
) -> bool:
    """PATCH the object; True when it notified."""
    try:
        try:
            client.patch_object(body["id"], fields, notify=notify)
        except NotificationQuotaExceeded:  # Google counted more than we did: go out silently
            client.patch_object(body["id"], fields, notify=False)
            return False
    except GoogleNotFound:  # the object is gone on Google's side: put it back
        client.upsert_object(body)
        return False
    return notify


def _add_message(
    client: WalletClient,
    object_id: str,
    sent: dict[str, Any],
    silent: dict[str, Any],
    notify: bool,
) -> Callable[[], bool]:
    def add() -> bool:
        try:
            client.add_object_message(object_id, sent)
        except NotificationQuotaExceeded:  # Google counted more than we did: go silent
            client.add_object_message(object_id, silent)
            return False
        return notify

    return add


def _translations(work: SyncWork, item: Message) -> dict[str, tuple[str, str]]:
    """A message's (header, body) in the design's other languages: the organisation's name
    as translated in the design, the text as its campaign translated it."""
    bodies = item.translations or {}
    others = (set(work.headers) | set(bodies)) - {work.language}
    return {lang: (work.headers.get(lang, work.header), bodies.get(lang, item.text))
            for lang in sorted(others)}  # fmt: skip
