"""Errors that mean "the input is wrong", reported as one line without a traceback, by any layer."""

from __future__ import annotations


class UserError(Exception):
    """Bad input: a config value, a file, a checkpoint, a command argument."""


class ConfigValueError(UserError):
    """A config value that composes but cannot work (e.g. trainer.epochs=0)."""


class DataError(UserError):
    """A data file or table that cannot be used."""


class CheckpointError(UserError):
    """A checkpoint that is missing, corrupt or of another format."""


class FormulaError(UserError):
    """A user's gradient formula that cannot be loaded or returns bad values."""


class OutputError(UserError):
    """A file or directory that cannot be written (a missing or read-only directory, a full disk)."""
