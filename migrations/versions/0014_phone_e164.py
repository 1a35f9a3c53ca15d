"""phones in E.164

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 11:40:00

Members' phones were stored as typed digits ("89161234567"); they are now E.164
("+79161234567"), so one phone is one member whatever the format. A phone whose E.164 form
another member of the program already has is left as it was (the two members are kept apart,
not merged behind the merchant's back).
"""

from collections.abc import Sequence

import phonenumbers
import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _e164(phone: str) -> str | None:
    try:
        parsed = phonenumbers.parse(phone, "RU")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_possible_number_with_reason(parsed) != phonenumbers.ValidationResult.IS_POSSIBLE:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def upgrade() -> None:
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, program_id, phone FROM member WHERE phone IS NOT NULL")).all()
    taken = {(str(program), phone) for _, program, phone in rows}
    for member_id, program_id, phone in rows:
        new = _e164(phone)
        if new is None or new == phone or (str(program_id), new) in taken:
            continue
        bind.execute(sa.text("UPDATE member SET phone = :phone WHERE id = :id"),
                     {"phone": new, "id": member_id})
        taken.add((str(program_id), new))


def downgrade() -> None:
    pass  # E.164 is a valid stored form for the old code too
