"""Errors that mean envdoctor itself could not run (exit 2), and the exit codes."""

__all__ = ["EXIT_OK", "EXIT_PROBLEMS", "EXIT_ERROR", "EnvdoctorError", "UsageError"]

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


class EnvdoctorError(Exception):
    """Base of every error that ends a command with exit 2 and a one-line message."""


class UsageError(EnvdoctorError):
    """envdoctor cannot run as asked."""
