"""Exceptions the services raise; each carries a message fit to show a user."""


class RegdeskError(Exception):
    """Base class: the message is one clear line meant for a person (CLI stderr or a dialog)."""


class ConfigError(RegdeskError):
    """The configuration (database URL, folders, WeChat settings) is unusable."""


class DatabaseUnavailable(RegdeskError):
    """The database could not be reached."""


class SchemaError(RegdeskError):
    """The database schema is missing, outdated or newer than this program."""


class ValidationError(RegdeskError):
    """Input was rejected; nothing was changed. ``field`` names the input at fault, when there is one
    (e.g. 'id_card'), so a form can show the message by that field."""

    def __init__(self, message: str = "", field: str | None = None):
        super().__init__(message)
        self.field = field


class RuleRefused(ValidationError):
    """The hospital's booking rules refuse this (services.bookings.rules.Refusal); ``overridable``: a head or an
    admin may approve it anyway with a reason (services.bookings.decisions.approve's ``override``)."""

    def __init__(self, message: str, rule: str, overridable: bool):
        super().__init__(message)
        self.rule = rule
        self.overridable = overridable


class NotFound(RegdeskError):
    """The thing asked for does not exist."""


class Conflict(RegdeskError):
    """Someone else changed the row first (e.g. a request was already decided)."""


class PermissionDenied(RegdeskError):
    """The staff member's role does not allow this action."""


class AuthError(RegdeskError):
    """Log-in failed (wrong password, unknown user, locked account)."""
