"""Errors about members, shared by the services that read or change them."""

from api.errors import InvalidRequest, NotFound


class MemberNotFound(NotFound):
    code, title = "member_not_found", "Member not found"


class UnknownReferralCode(InvalidRequest):
    code, title = "unknown_referral_code", "No member of this program has that referral code"
