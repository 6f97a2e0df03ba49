from django import forms
from django.utils.translation import gettext_lazy as _

from jalon.core.widgets import DayInput


class FiltersForm(forms.Form):
    """The period and the "as of" date a page is shown for, and whether submitted figures
    count beside the approved ones (marked unapproved); all optional."""

    year = forms.TypedChoiceField(label=_("Period"), required=False, coerce=int, empty_value=None)
    as_of = forms.DateField(label=_("As of"), required=False, widget=DayInput())
    submitted = forms.BooleanField(label=_("With submitted figures"), required=False)

    def __init__(self, *args, plan, whole=True, **kwargs):
        super().__init__(*args, **kwargs)
        # The plan's years, and a few before it for the history that explains the baseline.
        years = range(plan.horizon_start - 5, plan.horizon_end + 1)
        self.fields["year"].choices = [("", _("Latest figures"))] + [(y, str(y)) for y in years]
        if not whole:
            # A reader who may not see every member (a contributor) compares no two
            # moments, nor totals with and without the proposals: the difference would be
            # one member's figure, withheld or not (disclosure control).
            del self.fields["as_of"], self.fields["submitted"]


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), min_length=2, max_length=100, strip=True)
