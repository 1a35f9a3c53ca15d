"""Imports every table module so that ``SQLModel.metadata`` knows the whole schema
(Alembic's autogenerate and the tests read it)."""

from sqlmodel import SQLModel

from api.accounts.models import Account, AccountSession, Invitation, PasswordReset
from api.actions.models import ActionEvent, ActionRule, Feedback
from api.apple_webservice.models import AppleDevice, AppleDeviceLog, ApplePush, AppleRegistration
from api.apple_webservice.passfiles import StoredPass
from api.audit.models import AuditEntry
from api.automations.models import Automation, AutomationFired, PurchaseMessagePending
from api.campaigns.models import Campaign, CampaignRecipient, GeoCampaign
from api.console.models import ConsoleSession
from api.designs.models import DesignDraft, DesignImage, DesignVersion
from api.enrolment.models import MemberConsent
from api.google_wallet.models import (
    GoogleCallbackNonce,
    GoogleClass,
    GoogleNotification,
    GoogleObject,
)
from api.idempotency.models import IdempotencyRecord
from api.imports.models import MemberImport, MemberImportUpload
from api.ledger.models import LedgerEntry, LotAllocation, PointLot, Transaction
from api.mechanics.models import RulesVersion
from api.members.models import Card, Member, MemberTag
from api.merchants.models import ApiKey, Merchant
from api.messaging.models import ChannelConsent, Message
from api.outbound.models import OutboundChannel
from api.outbox.models import OutboxEvent
from api.programs.models import Program
from api.promos.models import Promo, PromoCode, PromoRedemption
from api.ratelimits.models import RateLimit
from api.rewards.models import Coupon, Reward
from api.segments.models import MemberRfm, Segment
from api.staff.models import Staff, StaffAction, StaffSession
from api.stores.models import Store
from api.transactions.models import SurpriseBudget
from api.verification.models import ContactChallenge
from api.webhooks.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.webpush.models import WebPushKey, WebPushSubscription
from api.wheel.models import Wheel, WheelSpin

metadata = SQLModel.metadata

__all__ = [
    "Account",
    "AccountSession",
    "ActionEvent",
    "ActionRule",
    "ApiKey",
    "AppleDevice",
    "AppleDeviceLog",
    "ApplePush",
    "AppleRegistration",
    "AuditEntry",
    "Automation",
    "AutomationFired",
    "Campaign",
    "CampaignRecipient",
    "Card",
    "ChannelConsent",
    "ConsoleSession",
    "ContactChallenge",
    "Coupon",
    "DesignDraft",
    "DesignImage",
    "DesignVersion",
    "Feedback",
    "GeoCampaign",
    "GoogleCallbackNonce",
    "GoogleClass",
    "GoogleNotification",
    "GoogleObject",
    "IdempotencyRecord",
    "Invitation",
    "LedgerEntry",
    "LotAllocation",
    "Member",
    "MemberTag",
    "MemberConsent",
    "MemberImport",
    "MemberImportUpload",
    "MemberRfm",
    "Merchant",
    "Message",
    "OutboundChannel",
    "OutboxEvent",
    "PasswordReset",
    "PointLot",
    "Program",
    "Promo",
    "PromoCode",
    "PromoRedemption",
    "PurchaseMessagePending",
    "RateLimit",
    "Reward",
    "RulesVersion",
    "Segment",
    "Staff",
    "StaffAction",
    "StaffSession",
    "Store",
    "StoredPass",
    "SurpriseBudget",
    "Transaction",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebPushKey",
    "WebPushSubscription",
    "Wheel",
    "WheelSpin",
    "metadata",
]
