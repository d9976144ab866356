"""Running a stage: expected failures (bad params, bad input) as one clear line, not a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

from ich.errors import InputError


def run(main: Callable[[], object]) -> None:
    try:
        main()
    except (InputError, FileNotFoundError) as e:
        stage = (sys.argv[0].rsplit("/", 1)[-1] or "stage").removesuffix(".py")
        print(f"{stage}: error: {e}", file=sys.stderr)
        sys.exit(1)
