"""`python -m ich COMMAND`: the tools beside the pipeline, one module per command.

Each module has `add_parser(commands)`, which registers its arguments and sets `run`; heavy
imports wait inside `run`, so `--help` stays fast.
"""

import argparse


def command(commands, name: str, help: str, doc: str | None) -> argparse.ArgumentParser:
    """A subcommand whose --help shows the module docstring as written (its usage examples)."""
    return commands.add_parser(
        name, help=help, description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
