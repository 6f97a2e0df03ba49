from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from jalon.collection.models import CollectionRound
from jalon.collection.reminders import remind


class Command(BaseCommand):
    help = (
        "E-mail each entity of the open rounds the figures it has not sent. By default at"
        " once; with --due, only the rounds whose reminder falls today (the daily task's rule:"
        " a week and a day before the deadline, the day after, then weekly)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="Only this plan's rounds.")
        parser.add_argument("--year", type=int, help="Only the round of this year.")
        parser.add_argument("--due", action="store_true", help="Only reminders due today.")
        parser.add_argument("--dry-run", action="store_true", help="Say who would be told.")

    def handle(self, *args, plan, year, due, dry_run, **options):
        rounds = CollectionRound.objects.filter(closed_at__isnull=True).select_related("plan")
        if plan:
            rounds = rounds.filter(plan__code=plan)
        if year:
            rounds = rounds.filter(year=year)
        if (plan or year) and not rounds.exists():
            raise CommandError("no open round matches: see the plan's Rounds page")
        with translation.override("en"):
            reminders = remind(rounds, only_due=due, dry_run=dry_run)
        verb = "would remind" if dry_run else "reminded"
        for r in reminders:
            who = ", ".join(r.recipients) or "nobody: no contributor with an e-mail"
            said = verb if r.recipients else "cannot remind"
            if r.error:
                said = f"could not send ({r.error}) to"
            self.stdout.write(
                f"{r.round.plan.code} {r.round.year} · {r.entity.code}: {len(r.missing)} missing"
                f" · {said} {who}"
            )
        sent = sum(1 for r in reminders if r.recipients and not r.error)
        self.stdout.write(f"{sent} reminder(s) {'to send' if dry_run else 'sent'}.")
