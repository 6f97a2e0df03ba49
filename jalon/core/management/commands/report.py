import datetime as dt
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from jalon.access.models import Access
from jalon.dashboard.views import restricted
from jalon.plans.models import Plan


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(
            f"'{text}' is not a date: write it YYYY-MM-DD, e.g. 2022-06-30"
        ) from None


class Command(BaseCommand):
    help = (
        "Make the board report of a plan as PDF or HTML: summary, axes and levers with their"
        " charts and commentary, the members' annex, sources and methods."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="The plan's code (default: the only plan).")
        parser.add_argument(
            "--as-of", help="The data as known at the end of this day, YYYY-MM-DD (default: today)."
        )
        parser.add_argument(
            "--period", type=int, help="The reporting year (default: each indicator's latest)."
        )
        parser.add_argument(
            "--since", help="The previous report's date, for what changed (default: 6 months)."
        )
        parser.add_argument("--lang", choices=["fr", "en"], default="fr", help="fr or en.")
        parser.add_argument("--entity", help="One member's report (default: the organisation).")
        parser.add_argument(
            "--user", help="Make it as this user may read it (default: the whole plan)."
        )
        parser.add_argument("--format", choices=["pdf", "html"], required=True, help="pdf or html.")
        parser.add_argument("-o", "--output", required=True, help="The file to write.")

    def handle(self, *args, **options):
        from jalon.reports.content import build_report
        from jalon.reports.render import report_html, report_pdf

        if options["period"] is not None and not 1900 <= options["period"] <= 2200:
            raise CommandError(f"--period {options['period']}: a year from 1900 to 2200")
        plan = self._plan(options["plan"])
        access = self._access(plan, options["user"])
        today = timezone.localdate()
        as_of = _date(options["as_of"]) if options["as_of"] else today
        since = _date(options["since"]) if options["since"] else None
        if as_of > today:
            raise CommandError(
                f"--as-of {as_of}: a day still to come; the data can be as of today ({today})"
                " at the latest"
            )
        if since is not None and since >= as_of:
            raise CommandError(f"--since {since} is not before the report's date ({as_of})")
        if as_of != today and restricted(access, plan):
            # As on the pages, which give them no "as of": what was known then would tell
            # them about other members' figures since withdrawn or corrected.
            raise CommandError(
                f"--as-of: {options['user']} reads the figures as they are now, as on the pages"
            )
        try:
            report = build_report(
                plan,
                access,
                as_of=as_of,
                language=options["lang"],
                year=options["period"],
                entity=options["entity"],
                since=since,
            )
        except PermissionDenied as error:
            raise CommandError(str(error)) from None
        html = report_html(report)
        data = report_pdf(html) if options["format"] == "pdf" else html.encode("utf-8")
        out = Path(options["output"])
        try:
            out.write_bytes(data)
        except OSError as error:
            raise CommandError(f"cannot write {out}: {error.strerror}") from None
        self.stdout.write(f"Wrote {out} ({len(data):,} bytes): {plan.code}, data as of {as_of}.")

    def _plan(self, code: str | None) -> Plan:
        plans = Plan.objects.all() if code is None else Plan.objects.filter(code=code)
        found = list(plans.select_related("organisation")[:2])
        if not found:
            raise CommandError(f"no plan '{code}'" if code else "no plan loaded yet")
        if len(found) > 1:
            raise CommandError("several plans: say which with --plan")
        return found[0]

    def _access(self, plan: Plan, username: str | None) -> Access:
        if username is None:
            return Access(plan=plan, role="steward")  # the whole plan, as its stewards read it
        user = get_user_model().objects.filter(username=username).first()
        access = Access.objects.filter(plan=plan, user=user).select_related("entity").first()
        if user is None or access is None:
            raise CommandError(f"'{username}' has no access to {plan.code}")
        return access
