"""The one exception type for bad user input (missing files, unknown names, bad values).

The CLI turns it into a one-line message on stderr and exit status 2; anything else that
escapes is an internal failure (exit status 1, with its traceback).
"""

from __future__ import annotations


class BadInputError(ValueError):
    """User input that cannot be used; the message names the problem in one line."""
