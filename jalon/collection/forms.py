from django import forms
from django.utils.translation import gettext_lazy as _

from jalon.core.widgets import DayInput
from jalon.organisation.models import Entity
from jalon.values.models import Value


class OpenRoundForm(forms.Form):
    """A new round: the year, its deadline, the indicators and the entities asked."""

    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2200)
    deadline = forms.DateField(label=_("Deadline"), widget=DayInput())
    indicators = forms.ModelMultipleChoiceField(
        label=_("Indicators"), queryset=None, widget=forms.CheckboxSelectMultiple
    )
    entities = forms.ModelMultipleChoiceField(
        label=_("Entities"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        asked = plan.indicators.exclude(kind__in=["qualitative", "ratio", "formula"])
        members = Entity.objects.within(plan.organisation).exclude(pk=plan.organisation_id)
        self.fields["indicators"].queryset = asked.order_by("order", "code")
        self.fields["entities"].queryset = members.order_by("name")
        # By default, every figure members enter, from every member.
        self.fields["indicators"].initial = list(asked.values_list("pk", flat=True))
        self.fields["entities"].initial = list(members.values_list("pk", flat=True))
        self.fields["indicators"].label_from_instance = lambda i: f"{i.code} — {i.label}"
        self.fields["entities"].label_from_instance = lambda e: e.name


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen it"), max_length=500)


class ReviewForm(forms.Form):
    """Submitted figures to approve, or to return with a comment."""

    figures = forms.ModelMultipleChoiceField(queryset=Value.objects.none())
    decision = forms.ChoiceField(choices=[("approved", _("Approve")), ("returned", _("Return"))])
    comment = forms.CharField(
        label=_("Comment (required to return)"), required=False, max_length=2000
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["figures"].queryset = Value.objects.current().filter(
            indicator__plan=plan, state="submitted"
        )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("decision") == "returned" and not (cleaned.get("comment") or "").strip():
            self.add_error("comment", _("Say why the figures are returned."))
        return cleaned


class UploadForm(forms.Form):
    """A file of figures to check, then import: CSV, XLSX or a YAML value file."""

    file = forms.FileField(
        label=_("File (CSV, XLSX or a YAML value file)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.xlsm,.ods,.yaml,.yml"}),
    )
    state = forms.ChoiceField(label=_("State of the figures that give none"))

    def __init__(self, *args, states, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            "submitted": _("Submitted for approval"),
            "draft": _("Draft"),
            "approved": _("Approved (stewards)"),
        }
        self.fields["state"].choices = [(s, labels[s]) for s in labels if s in states]

    def clean_file(self):
        from jalon.collection.sheets import MAX_BYTES

        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(mb)s MB.") % {"mb": MAX_BYTES // 2**20}
            )
        suffix = upload.name.rsplit(".", 1)[-1].casefold() if "." in upload.name else ""
        if suffix not in ("csv", "xlsx", "xlsm", "ods", "yaml", "yml"):
            raise forms.ValidationError(_("Send a .csv, .xlsx, .ods or .yaml file."))
        return upload
