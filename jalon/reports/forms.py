from django import forms
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from jalon.core.widgets import DayInput
from jalon.reports.models import Subject


class ReportForm(forms.Form):
    """What a board report covers: its period, its date, its language, its scope."""

    year = forms.TypedChoiceField(
        label=_("Reporting period"), required=False, coerce=int, empty_value=None
    )
    as_of = forms.DateField(label=_("Data as of"), widget=DayInput())
    language = forms.ChoiceField(
        label=_("Language"), choices=[("fr", "français"), ("en", "English")]
    )
    entity = forms.ChoiceField(label=_("Scope"))
    kind = forms.ChoiceField(label=_("Format"), choices=[("pdf", "PDF"), ("html", "HTML")])

    def __init__(self, *args, plan, entities, whole=True, **kwargs):
        super().__init__(*args, **kwargs)
        years = range(plan.horizon_start - 5, plan.horizon_end + 1)
        self.first_year = years[0]
        self.fields["year"].choices = [("", _("Latest figures"))] + [(y, str(y)) for y in years]
        self.fields["entity"].choices = [(e.code, e.name) for e in entities]
        self.fields["as_of"].initial = timezone.localdate()
        self.fields["language"].initial = (get_language() or "fr")[:2]
        if not whole:
            # A contributor reads the figures as they are now (no "as of", as on the pages).
            del self.fields["as_of"]

    def clean_as_of(self):
        day = self.cleaned_data["as_of"]
        if day > timezone.localdate():
            raise forms.ValidationError(_("The data cannot be as of a day still to come."))
        if day.year < self.first_year:
            raise forms.ValidationError(
                _("The data can be as of %(year)s at the earliest.") % {"year": self.first_year}
            )
        return day


class CommentaryForm(forms.Form):
    """A steward's text on the plan, an axis, a lever or an indicator, for a year."""

    subject = forms.ChoiceField(choices=Subject.choices, widget=forms.HiddenInput)
    code = forms.SlugField(required=False, max_length=64, widget=forms.HiddenInput)
    year = forms.IntegerField(min_value=1900, max_value=2200, widget=forms.HiddenInput)
    text = forms.CharField(
        label=_("In the plan's language"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    text_en = forms.CharField(
        label=_("In English"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
