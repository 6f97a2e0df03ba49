"""Form widgets that several apps use."""

from django import forms


class DayInput(forms.DateInput):
    """A day picked in the browser's calendar (`<input type="date">`). Its value is written
    as the browser reads it, YYYY-MM-DD, in every language: a French page wrote 27/11/2026,
    which the browser refused and showed empty (a required date could not be sent). What
    the browser sends back is ISO too, which Django reads in every language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
