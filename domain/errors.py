"""Typed errors the domain raises; each carries the sentence a person will read."""


class DeskError(Exception):
    """A refused or impossible action, with a message fit to show the user.

    Whatever the use case changed is rolled back, unless the error `keeps_changes`: a
    refusal that recorded something (a wrong code counted, the desk told of a limit).
    """

    keeps_changes = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(DeskError):
    """The named incident, person, team or service does not exist."""


class PermissionDenied(DeskError):
    """The acting person may not do this."""


class InvalidTransition(DeskError):
    """The incident's state does not allow this action."""


class InvalidInput(DeskError):
    """A value is out of range or malformed (title too long, unknown impact…)."""
