"""Errors of promo codes; a refusal of a code names the field (``field: "code"``)."""

from api.errors import Conflict, InvalidRequest, NotFound


class PromoNotFound(NotFound):
    """No promo with this id, or no code like this in the member's program (another
    merchant's code is answered the same way, so codes cannot be probed)."""

    code, title = "promo_not_found", "Promo code not found"


class PromoNotStarted(Conflict):
    """Redeeming a code before its promo's ``starts_at``."""

    code, title = "promo_not_started", "This promo code is not valid yet"


class PromoExpired(Conflict):
    """Redeeming a code at or after its promo's ``ends_at``."""

    code, title = "promo_expired", "This promo code has expired"


class PromoUsedUp(Conflict):
    """A unique code already used, or a shared code at its usage limit."""

    code, title = "promo_used_up", "This promo code has been used up"


class PromoMemberLimit(Conflict):
    """The member has redeemed the promo's codes as often as it allows."""

    code, title = "promo_member_limit", "The member has used this promo the maximum times"


class PromoArchived(Conflict):
    """Redeeming a code of a promo the merchant archived (``is_active: false``)."""

    code, title = "promo_archived", "This promo has been withdrawn"


class PromoCodeTaken(Conflict):
    """A shared code the merchant already uses for another promo."""

    code, title = "promo_code_taken", "This promo code is already in use"


class PromoInvalid(InvalidRequest):
    """A promo that breaks a rule the schema cannot express; ``field`` names it."""

    code, title = "promo_invalid", "The promo is not valid"
