"""`python -m kcfg` runs the command line."""

from kcfg.cli.app import main

main()
