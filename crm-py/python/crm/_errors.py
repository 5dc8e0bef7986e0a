"""The exceptions crm raises: one base class and one subclass per stable kind.

Every exception carries ``code`` (the stable kind, e.g. ``"validation"``) and
the structured fields of its kind as attributes. Messages never hold personal
data: records are named by kind and id.
"""

from __future__ import annotations

from typing import Any, List, Optional


class CrmError(Exception):
    """Base class of every crm error."""

    code: str = "crm"

    def __init__(self, message: str, **fields: Any) -> None:
        super().__init__(message)
        self.message = message
        for name, value in fields.items():
            setattr(self, name, value)


class ValidationError(CrmError, ValueError):
    """Input was rejected. ``fields`` names every offending field."""

    code = "validation"
    fields: List[str]
    value: Optional[str]
    reason: str

    @property
    def field(self) -> str:
        """The first offending field."""
        return self.fields[0]


class InvalidTransitionError(CrmError):
    """The lifecycle does not allow ``action`` from state ``from_state``."""

    code = "invalid_transition"
    entity: str
    id: str
    from_state: str
    action: str


class NotFoundError(CrmError, LookupError):
    """No record of kind ``entity`` has this ``id``."""

    code = "not_found"
    entity: str
    id: str


class ConflictError(CrmError):
    """A write was based on version ``expected_version`` but ``found`` is stored."""

    code = "conflict"
    entity: str
    id: str
    expected_version: int
    found: Optional[int]


class ForbiddenError(CrmError, PermissionError):
    """``actor`` may not ``action`` this ``entity``."""

    code = "forbidden"
    actor: str
    action: str
    entity: str
    id: Optional[str]


class StorageError(CrmError):
    """The storage backend failed."""

    code = "storage"
    detail: str


class ConfigError(CrmError):
    """A configuration is invalid at ``path``."""

    code = "config"
    path: str
    reason: str
