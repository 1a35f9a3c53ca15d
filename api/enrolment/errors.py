"""Errors of enrolment."""

from api.errors import NotFound


class JoinLinkNotFound(NotFound):
    code, title = "join_link_not_found", "No program has this join link"
