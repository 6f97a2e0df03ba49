from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from jalon.access.choices import Role
from jalon.access.models import Access
from jalon.organisation.models import Entity


class AccessForm(forms.Form):
    """A role on the plan, with the entity a contributor reports for."""

    # The least power by default: a steward is named on purpose.
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)
    entity = forms.ModelChoiceField(
        label=_("Entity (contributors)"),
        queryset=Entity.objects.none(),
        required=False,
        to_field_name="code",
    )

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.fields["entity"].queryset = Entity.objects.within(plan.organisation).order_by("name")

    def clean(self):
        cleaned = super().clean()
        role, entity = cleaned.get("role"), cleaned.get("entity")
        if role == Role.CONTRIBUTOR and entity is None:
            self.add_error("entity", _("A contributor reports for an entity: choose it."))
        if role in (Role.STEWARD, Role.VIEWER) and entity is not None:
            self.add_error("entity", _("Stewards and viewers read the whole plan: no entity."))
        return cleaned


class GrantForm(AccessForm):
    """Access for an account that exists already."""

    username = forms.CharField(label=_("Username"), max_length=150)
    field_order = ["username", "role", "entity"]

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        self.user = get_user_model().objects.filter(username=username).first()
        if self.user is None:
            raise forms.ValidationError(_("No account has this username: invite them by e-mail."))
        return username


class InviteForm(AccessForm):
    """Access for a person by e-mail: an account is made if there is none."""

    email = forms.EmailField(label=_("E-mail"))
    field_order = ["email", "role", "entity"]


class RevokeForm(forms.Form):
    """Which access of the plan to take away."""

    access = forms.ModelChoiceField(queryset=Access.objects.none())

    def __init__(self, *args, plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["access"].queryset = Access.objects.filter(plan=plan)
