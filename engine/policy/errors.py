"""Errors of the policy core."""

from schemas.errors import AureusError


class PolicyError(AureusError):
    """A policy operation that cannot be done (unknown version, empty history)."""


class PolicyBoundsError(PolicyError):
    """An update or answer outside the contract: a parameter out of its bounds, a name that is not a
    tunable, an unknown instrument or feature. The whole update is rejected; ``problems`` lists each one."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = tuple(problems)
