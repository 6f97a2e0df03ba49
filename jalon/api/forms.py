from django import forms
from django.utils.translation import gettext_lazy as _

LIFETIMES = [(30, _("30 days")), (90, _("90 days")), (365, _("a year")), (0, _("no expiry"))]


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What it is for."))
    writes = forms.BooleanField(
        label=_("It may write figures too"), required=False,
        help_text=_("Otherwise it only reads."),
    )  # fmt: skip
    days = forms.TypedChoiceField(label=_("Valid for"), choices=LIFETIMES, coerce=int, initial=90)
