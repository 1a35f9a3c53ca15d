"""Errors of programs."""

from api.errors import InvalidRequest, NotFound


class ProgramNotFound(NotFound):
    code, title = "program_not_found", "Program not found"


class UnknownDesign(InvalidRequest):
    code, title = "unknown_design", "No card design has that name"
