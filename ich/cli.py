"""Running a stage: expected failures (bad params, bad input) as one clear line, not a traceback."""

from __future__ import annotations

import sys
from collections.abc import Callable

from ich.extract import TooManyRejected
from ich.labels import LabelError
from ich.manifest import StaleManifest
from ich.params import ParamError

EXPECTED = (ParamError, LabelError, TooManyRejected, StaleManifest, FileNotFoundError)


def run(main: Callable[[], object]) -> None:
    try:
        main()
    except EXPECTED as e:
        stage = (sys.argv[0].rsplit("/", 1)[-1] or "stage").removesuffix(".py")
        print(f"{stage}: error: {e}", file=sys.stderr)
        sys.exit(1)
