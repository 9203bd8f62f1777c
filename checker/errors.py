"""mlcheck's own errors: problems with the tool or how it was called, each with help text.

A problem in a submission is never one of these; it is a Finding.
"""

from __future__ import annotations


class MlcheckError(Exception):
    """Base class: a message and help for the person who hit it. Exit code 2 unless said otherwise."""

    exit_code = 2

    def __init__(self, message: str, help: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.help = help


class UsageError(MlcheckError):
    """The command line or a path given to it does not make sense."""


class NotASubmission(UsageError):
    """The path given is not a submission tree mlcheck recognises."""


class RulesetError(MlcheckError):
    """A rules file is invalid: unknown rule kind, schema violation, bad extends chain."""


class IntegrityError(MlcheckError):
    """A package's signature or content does not match (verify)."""

    exit_code = 4
