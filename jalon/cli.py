"""The ``jalon`` command: Jalon's own commands first, and every Django management command.

``jalon`` or ``jalon --help`` lists Jalon's commands, a line each; ``jalon django --help``
lists Django's; ``jalon --version`` prints the version. A database not set up yet is said
in a sentence with the command to run, not a traceback.
"""

import os
import sys

# Jalon's commands, in the order people need them; each one's `help` says what it does.
OWN = (
    "demo", "serve", "worker", "plan", "values", "access", "status", "remind",
    "report", "createsuperuser", "migrate", "examples", "bench",
)  # fmt: skip


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("jalon")
    except PackageNotFoundError:  # run from a checkout that is not installed
        return "unknown"


def _first_line(text: str) -> str:
    """Return a command's help as one short line: its first clause."""
    line = " ".join(str(text).split()).split(". ")[0].rstrip(".")
    for stop in (": ", "; ", ", on "):
        line = line.split(stop)[0]
    return line


def usage() -> str:
    """Return the list of Jalon's commands, a line each."""
    from django.core.management import get_commands, load_command_class

    commands = get_commands()
    width = max(len(name) for name in OWN)
    lines = [
        f"jalon {_version()} — strategic-plan execution: consolidate, forecast, report.",
        "",
        "Usage: jalon <command> [options]      jalon <command> --help for its options",
        "",
        "Commands:",
    ]
    for name in OWN:
        if name in commands:
            command = load_command_class(commands[name], name)
            lines.append(f"  {name.ljust(width)}  {_first_line(command.help)}")
    lines += [
        "",
        "Django's other commands (check, collectstatic, changepassword, shell, …):",
        "  jalon django --help",
    ]
    return "\n".join(lines)


def _not_set_up(error: Exception) -> bool:
    text = str(error)
    return "no such table" in text or ("relation" in text and "does not exist" in text)


def main(argv: list[str] | None = None) -> None:
    """Run ``jalon <command> …``: Jalon's own commands and Django's management commands."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jalon.settings")
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["--version"], ["version"]):
        print(f"jalon {_version()}")
        return
    import django

    if not args or args[0] in ("-h", "--help", "help"):
        django.setup()
        print(usage())
        return
    if args[0] == "django":  # Django's own list and commands, as `django-admin` has them
        args = args[1:] or ["help"]
    from django.core.management import execute_from_command_line
    from django.db import OperationalError, ProgrammingError

    try:
        execute_from_command_line(["jalon", *args])
    except (OperationalError, ProgrammingError) as error:
        if not _not_set_up(error):
            raise
        from django.conf import settings

        where = settings.DATABASES["default"]["NAME"]
        sys.stderr.write(
            f"jalon: the database ({where}) is not set up yet: run `jalon migrate` first"
            " (`jalon demo` does it for the demo).\n"
        )
        sys.exit(1)


if __name__ == "__main__":
    main()
