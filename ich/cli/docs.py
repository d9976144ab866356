"""Rewrite the figures the docs quote from the files they come from (README.md, docs/*.md):
every `<!-- generated: NAME -->` block. Run it after `dvc repro` changes the committed outputs.

    python -m ich docs            # rewrite the blocks
    python -m ich docs --check    # list stale blocks, exit 1 if any (the tests do this)
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ich.cli import command


def add_parser(commands) -> None:
    ap = command(commands, "docs", "regenerate the figures the docs quote", __doc__)
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 if stale")
    ap.add_argument("--root", type=Path, default=Path("."), help="the repository")
    ap.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from ich.docs import pages, render, stale

    if args.check:
        problems = stale(args.root)
        for p in problems:
            print(p)
        return int(bool(problems))
    for page in pages(args.root):
        text = render(page, args.root)
        if text != page.read_text():
            page.write_text(text)
            print(f"docs: rewrote {page}")
    return 0
