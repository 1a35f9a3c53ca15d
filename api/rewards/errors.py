"""Errors of the rewards catalogue and coupons."""

from api.errors import Conflict, InvalidRequest, NotFound


class RewardNotFound(NotFound):
    code, title = "reward_not_found", "Reward not found"


class CouponNotFound(NotFound):
    code, title = "coupon_not_found", "Coupon not found"


class RewardNotAvailable(Conflict):
    code, title = "reward_not_available", "This reward cannot be redeemed"


class RewardLimitReached(Conflict):
    code, title = "reward_limit_reached", "The member has redeemed this reward the maximum times"


class RewardOutOfStock(Conflict):
    code, title = "reward_out_of_stock", "This reward has no coupons left to issue"


class CouponAlreadyUsed(Conflict):
    code, title = "coupon_already_used", "This coupon has already been used"


class CouponExpired(Conflict):
    code, title = "coupon_expired", "This coupon has expired"


class RewardNeedsStamps(InvalidRequest):
    code, title = "reward_needs_stamps", "A full-card reward needs a stamps program"


class RewardInvalid(InvalidRequest):
    """The reward after the change breaks a rule; ``field`` names it."""

    code, title = "reward_invalid", "The reward is not valid"
