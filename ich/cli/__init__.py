"""`python -m ich COMMAND`: the tools beside the pipeline, one module per command.

Each module has `add_parser(commands)`, which registers its arguments and sets `run`; heavy
imports wait inside `run`, so `--help` stays fast.
"""
