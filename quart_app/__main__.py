"""``python -m quart_app`` is the ``quart_app`` command."""

from quart_app.cli import main

main(prog_name="quart_app")
