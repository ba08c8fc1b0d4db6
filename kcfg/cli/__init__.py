"""The typer command-line layer: parse arguments, call a stage, print, exit with the right code."""
