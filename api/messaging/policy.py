"""When a marketing message may go out: the sender's ``SendPolicy``.

Two rules, both from the program's rules document (``ProgramRules.messaging``):

- quiet hours, local time in the program's time zone (21:00 to 09:00 by default): a message
  due inside them waits until they end;
- a frequency cap per member across every channel (3 marketing messages in any 7 days by
  default): a message over the cap waits until the oldest of those 7 days' messages is a week
  old, and is then asked about again (quiet hours included).

Held-back messages are deferred, never dropped: they stay ``queued`` in the outbox with their
``next_attempt_at`` moved, so nothing disappears without a trace, and the member still gets
every message they consented to, only spaced out. Service messages (codes, the card link) are
never held back: the sender asks the policy about marketing only, and the policy answers None
for anything else.

Two senders may claim messages of one member at the same time. The member's row is locked
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL) while the cap is counted, so the second sender
does not count without seeing the first one's claims: when the row is taken, the message waits
a few seconds and is asked about again. SQLite runs one writing transaction at a time anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from api.members.models import Member
from api.messaging import repository
from api.messaging.models import Kind, Message
from api.programs.models import Program
from api.programs.rules import rules_of

CAP_WINDOW = timedelta(days=7)
BUSY_RETRY = timedelta(seconds=10)


def quiet_until(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (UTC), or None outside them. ``start``
    and ``end`` are local times in ``zone``; a window past midnight (21:00-09:00) ends the
    next morning; ``start == end`` means no quiet hours."""
    if start == end:
        return None
    local = now.astimezone(zone)
    at = local.time().replace(tzinfo=None)
    is_quiet = start <= at < end if start < end else (at >= start or at < end)
    if not is_quiet:
        return None
    day = local.date() if at < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=zone).astimezone(UTC)


def cap_until(sent: list[datetime], *, cap: int, now: datetime) -> datetime | None:
    """When the member may get another marketing message, given when the ones of the last
    7 days went out (oldest first), or None when they are under ``cap`` now."""
    recent = [t for t in sent if t > now - CAP_WINDOW]
    if len(recent) < cap:
        return None
    return recent[len(recent) - cap] + CAP_WINDOW


@dataclass(frozen=True, slots=True)
class MarketingPolicy:
    """Quiet hours and the per-member frequency cap, as the sender's ``SendPolicy``."""

    def defer_until(self, session: Session, message: Message, *, now: datetime) -> datetime | None:
        if message.kind != Kind.marketing:
            return None
        program = session.get(Program, message.program_id)
        if program is None:
            return None
        rules = rules_of(program)
        settings = rules.messaging
        quiet = quiet_until(now, rules.zone, settings.quiet_start, settings.quiet_end)
        if quiet is not None:
            return quiet
        locked = session.exec(
            select(Member.id)
            .where(col(Member.id) == message.member_id)
            .with_for_update(skip_locked=True)
        ).first()
        if locked is None:  # another sender is deciding about this member right now
            return now + BUSY_RETRY
        since = now - CAP_WINDOW
        sent = repository.marketing_times(
            session, message.member_id, since=since, besides=message.id
        )
        return cap_until(sent, cap=settings.max_marketing_per_week, now=now)
