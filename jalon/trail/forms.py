from django import forms
from django.utils.translation import gettext_lazy as _

from jalon.core.widgets import DayInput


class TrailFilters(forms.Form):
    """What part of the audit trail to list: an action, who, what, and a span of days."""

    action = forms.ChoiceField(label=_("Action"), required=False)
    who = forms.CharField(label=_("Who"), required=False, max_length=150)
    what = forms.CharField(label=_("What"), required=False, max_length=200)
    since = forms.DateField(label=_("From"), required=False, widget=DayInput())
    until = forms.DateField(label=_("To"), required=False, widget=DayInput())

    def __init__(self, *args, actions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("every action"))] + [(a, a) for a in actions]

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            raise forms.ValidationError(_("The span ends before it starts."))
        return data

    def apply(self, events):
        """Return ``events`` narrowed to what the valid fields ask for."""
        data = self.cleaned_data if self.is_valid() else {}
        if data.get("action"):
            events = events.filter(action=data["action"])
        if data.get("who"):
            events = events.filter(actor_label__icontains=data["who"])
        if data.get("what"):
            events = events.filter(object_key__icontains=data["what"])
        if data.get("since"):
            events = events.filter(at__date__gte=data["since"])
        if data.get("until"):
            events = events.filter(at__date__lte=data["until"])
        return events
