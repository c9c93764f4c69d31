"""The command-line tools, one module per subcommand of ``eqtrack`` (``tracker.commands.cli``).

Each module holds argument parsing and printing only, and a ``main(argv) -> int`` that turns bad
input into one ``error:`` line and exit code 2; ``tools/<name>.py`` runs the same ``main`` from
a checkout.
"""
