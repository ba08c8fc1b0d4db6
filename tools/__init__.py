"""Developer-only generators (`make catalog`, `make docs`): not part of the installed package."""
