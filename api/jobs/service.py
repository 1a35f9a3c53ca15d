"""The scheduler: which tasks run on each tick of the worker, and a report of what they did.

Each job is a domain's task (``<domain>/tasks.py``): it opens its own short transactions and
calls that domain's session-first service. Running a job twice at the same moment changes
nothing the second time. A failing job is logged and does not stop the others.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine

from api.apple_webservice import tasks as apple_tasks
from api.automations import tasks as automation_tasks
from api.campaigns import tasks as campaign_tasks
from api.designs import tasks as design_tasks
from api.google_wallet import tasks as google_tasks
from api.imports import tasks as import_tasks
from api.ledger import tasks as ledger_tasks
from api.metrics import instruments
from api.privacy import tasks as privacy_tasks
from api.privacy.retention import Retention
from api.segments import tasks as segment_tasks
from api.settings import get_settings
from api.status.certificates import WARNINGS, expiries
from api.stores import tasks as store_tasks
from api.transactions import tasks as transaction_tasks

logger = logging.getLogger(__name__)


@dataclass
class JobReport:
    expired_points: int = 0
    expired_members: int = 0
    birthday_bonuses: int = 0
    tier_changes: int = 0
    store_cards_changed: int = 0
    geo_cards_changed: int = 0
    campaign_cards: int = 0
    design_batches: int = 0
    rfm_members: int = 0
    automations_fired: int = 0
    device_logs_deleted: int = 0
    stale_released: int = 0
    imports_resumed: int = 0
    errors: list[str] = field(default_factory=list)


def run_all(engine: Engine, *, now: datetime) -> JobReport:
    """Run every job once, as of ``now``."""
    report = JobReport()
    jobs = (expire_points, birthday_bonuses, tier_downgrades, card_stores, geo_campaigns,
            push_campaigns, design_publishes, rfm_scores, automations, device_logs,
            stale_deliveries, stuck_imports, certificate_expiry)  # fmt: skip
    for job in jobs:
        started = time.perf_counter()
        try:
            job(engine, now=now, report=report)
        except Exception as exc:  # one failing job must not stop the others
            logger.exception("scheduled job failed", extra={"job": job.__name__})
            report.errors.append(f"{job.__name__}: {exc}")
            instruments.job_ran(job.__name__, started, ok=False)
        else:
            instruments.job_ran(job.__name__, started, ok=True)
    return report


def expire_points(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Write ``expire`` entries for every lot past its expiry with points left."""
    points, members = ledger_tasks.expire_points(engine, now=now)
    report.expired_points += points
    report.expired_members += members


def birthday_bonuses(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Give each member their program's birthday bonus once a year, on their birthday."""
    report.birthday_bonuses += ledger_tasks.birthday_bonuses(engine, now=now)


def tier_downgrades(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Re-evaluate tiered members: downgrades by the program's mode, grace periods."""
    report.tier_changes += transaction_tasks.tier_downgrades(engine, now=now)


def card_stores(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Re-choose the stores of the cards of merchants whose stores changed."""
    report.store_cards_changed += store_tasks.run_refreshes(engine, now=now)


def geo_campaigns(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Start and end geo campaign windows."""
    report.geo_cards_changed += campaign_tasks.geo_transitions(engine, now=now)


def push_campaigns(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Send the campaigns that are due (and resume interrupted ones)."""
    report.campaign_cards += campaign_tasks.send_due(engine, now=now)


def design_publishes(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Mark the cards a design publish has not marked yet (the publish marks the first)."""
    report.design_batches += design_tasks.mark_published(engine, now=now)


def rfm_scores(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Recompute each program's RFM scores once a day."""
    report.rfm_members += segment_tasks.run_daily(engine, now=now)


def automations(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Fire the due birthday, expiring-points, win-back and reward-available messages."""
    report.automations_fired += automation_tasks.run_all(engine, now=now)


def device_logs(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """The retention pass: Wallet's device log lines, old deliveries' addresses, the
    registrations of voided cards (api/privacy/retention.py; days from the settings)."""
    settings = get_settings()
    retention = Retention(settings.device_log_retention_days, settings.delivery_log_retention_days)
    report.device_logs_deleted += privacy_tasks.apply_retention(
        engine, retention, now=now
    ).device_logs


def stale_deliveries(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Re-send the stale Apple pushes and Google cards as soon as that wallet answers again
    (they are retried hourly on their own until then)."""
    report.stale_released += apple_tasks.release_stale(engine, now=now)
    report.stale_released += google_tasks.release_stale(engine, now=now)


def stuck_imports(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Resume (from the kept file) or fail the member imports whose process stopped."""
    report.imports_resumed += import_tasks.recover_stuck(engine, now=now)


def certificate_expiry(engine: Engine, *, now: datetime, report: JobReport) -> None:
    """Warn in the log, once a day, of a certificate expiring within 30 days."""
    WARNINGS.check(expiries(get_settings()), now=now)
