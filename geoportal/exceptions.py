"""Exceptions every app shares. The API maps them once (``geoportal.api.exception_handler``);
pages catch them to show the message next to the form."""
from __future__ import annotations


class Conflict(Exception):
    """The request clashes with the object's current state (HTTP 409): an illegal transition, a
    second ballot, a closed phase. The message is for the person who acted, in their language."""

    http_status = 409
