"""The ``jalon`` command: every Django management command, plus Jalon's own."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run ``jalon <command> …`` as a Django management command."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jalon.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["jalon", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
