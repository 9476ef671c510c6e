"""Domain errors raised by the service layer."""


class ResourceNotFoundError(Exception):
    """A requested row does not exist."""

    def __init__(self, resource: str, identifier) -> None:
        super().__init__(f"{resource} {identifier!r} not found")
        self.resource = resource
        self.identifier = identifier


class DuplicateResourceError(Exception):
    """A row with the same unique key already exists."""
