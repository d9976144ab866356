"""The one base class of expected failures: bad params or bad input, reported in one line.

Each module raises its own subclass; the stage runner and the command line catch this base,
so they import no stage code.
"""


class InputError(Exception):
    """A value or file the user can fix: the message names the key, file or row."""
