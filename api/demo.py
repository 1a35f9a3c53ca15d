"""The demo program: a coffee shop with three stores and one member."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlmodel import Session, col, select

from api.accounts import operator as account_operator
from api.accounts import repository as account_repository
from api.accounts import service as account_service
from api.enrolment import service as enrolment_service
from api.members.schemas import MemberCreate, MemberPublic
from api.merchants import service as merchant_service
from api.merchants.models import Merchant, Role
from api.programs import service as program_service
from api.programs.models import ProgramKind
from api.programs.schemas import ProgramCreate
from api.settings import Settings
from api.staff import service as staff_service
from api.staff.schemas import StaffCreate
from api.stores import service as store_service
from api.stores.models import Store
from passes import load_designs

DEMO_MERCHANT = "Bean & Brew (demo)"
DEMO_OWNER = "owner@bean-and-brew.example"  # the demo owner's console sign-in
DEMO_PIN = "1234"  # the demo cashier's scanner PIN (a demo: printed, never do this for real)
DEMO_STORES = (
    ("Bean & Brew Tverskaya", 55.7651, 37.6056, "Your coffee is ready at Tverskaya."),
    ("Bean & Brew Arbat", 55.7495, 37.5912, "Stop by on Arbat for a stamp."),
    ("Bean & Brew Chistye Prudy", 55.7649, 37.6386, "Fresh brew at Chistye Prudy."),
)


@dataclass(frozen=True, slots=True)
class DemoInfo:
    api_key: str
    public_url: str
    program_id: str
    member: MemberPublic
    join_url: str = ""
    staff_code: str = ""
    owner_password: str = ""

    def describe(self) -> str:
        return "\n".join(
            [
                "",
                "loyalpass demo is ready (development certificates: a FAKE CA signs the passes)",
                f"  service:          {self.public_url}",
                f"  API docs:         {self.public_url}/docs",
                f"  health:           {self.public_url}/healthz",
                f"  demo API key:     {self.api_key}",
                f"  console:          {self.public_url}/console  "
                f"(email {DEMO_OWNER}, password {self.owner_password})",
                f"  demo program:     {self.program_id}",
                f"  demo member card: {self.member.card_url}",
                f"  Apple pass:       {self.member.apple_pass_url}",
                f"  join page:        {self.join_url}  (QR: {self.join_url}/qr.svg)",
                f"  staff scanner:    {self.public_url}/scan  "
                f"(code {self.staff_code}, PIN {DEMO_PIN})",
                "",
                "  try: curl -s -H 'Authorization: Bearer <key>' "
                f"{self.public_url}/api/v1/members/{self.member.id}",
                "",
            ]
        )


def seed_demo(session: Session, settings: Settings) -> DemoInfo:
    designs = load_designs(settings.templates_dir / "cards")
    """Create the demo merchant on first run; later runs reuse it and issue a fresh key."""
    merchant = session.exec(select(Merchant).where(Merchant.name == DEMO_MERCHANT)).first()
    if merchant is None:
        merchant, api_key = merchant_service.create_merchant(session, name=DEMO_MERCHANT)
        program = program_service.create_program(
            session,
            merchant.id,
            ProgramCreate(
                name="Bean & Brew Rewards",
                kind=ProgramKind.stamps,
                stamps_required=10,
                design="coffee",
            ),
            designs=designs,
        )
        for name, latitude, longitude, text in DEMO_STORES:
            store_service.add_store(
                session,
                merchant.id,
                name=name,
                latitude=latitude,
                longitude=longitude,
                relevant_text=text,
            )
    else:
        _, api_key = merchant_service.create_api_key(
            session, merchant.id, name="demo key", role=Role.admin
        )
        program = program_service.list_programs(session, merchant.id)[0]
    member, card, _ = enrolment_service.enrol(
        session,
        merchant.id,
        program.id,
        MemberCreate(name="Demo Customer", email="demo.customer@example.com"),
    )
    staff = staff_service.list_staff(session, merchant.id)
    if not staff:
        first_store = select(Store).where(Store.merchant_id == merchant.id)
        store = session.exec(first_store.order_by(col(Store.created_at))).first()
        assert store is not None  # the demo merchant always has its stores
        staff = [
            staff_service.create_staff(
                session,
                merchant.id,
                StaffCreate(name="Demo Cashier", store_id=store.id, pin=DEMO_PIN),
            )
        ]
    return DemoInfo(
        owner_password=_demo_owner(session, merchant.id),
        join_url=f"{settings.public_url}/join/{program.public_slug}",
        staff_code=staff[0].code,
        api_key=api_key,
        public_url=settings.public_url,
        program_id=str(program.id),
        member=MemberPublic.of(
            member, card, public_url=settings.public_url, google=settings.google_enabled
        ),
    )


def _demo_owner(session: Session, merchant_id: UUID) -> str:
    """The demo owner's password: a fresh random one each run (like the key), printed."""
    password = secrets.token_urlsafe(12)
    account = account_repository.by_email(session, DEMO_OWNER)
    if account is None:
        return account_operator.create_owner(session, merchant_id, DEMO_OWNER, password=password)
    account_service.set_password(session, account, password)
    return password
