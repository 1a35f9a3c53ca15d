"""Errors of the actions that earn points."""

from api.errors import Conflict, InvalidRequest, NotFound


class ActionRuleNotFound(NotFound):
    """An action rule id that is unknown, of another program, or another merchant's."""

    code, title = "action_rule_not_found", "Action rule not found"


class ActionRuleExists(Conflict):
    """A second rule for an action kind the program has a rule for (change it instead)."""

    code, title = "action_rule_exists", "The program already has a rule for this action kind"


class ActionNotEarning(InvalidRequest):
    """`POST /members/{id}/actions` with a kind the member's program has no active rule for."""

    code, title = "action_not_earning", "The program has no active rule for this action kind"


class FeedbackNotAllowed(Conflict):
    """Feedback from the card page on a purchase that is not the card's or already rated."""

    code = "feedback_not_allowed"
    title = "This purchase cannot be rated (not the member's, or already rated)"
