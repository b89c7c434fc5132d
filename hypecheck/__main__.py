"""``python -m hypecheck`` runs the command line."""

from hypecheck.cli import main

main()
