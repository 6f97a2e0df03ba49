from django.apps import AppConfig


class ValuesConfig(AppConfig):
    name = "jalon.values"
    label = "values"

    def ready(self):
        from jalon.plans.models import figures_shared
        from jalon.values.sharing import take_figures

        figures_shared.connect(take_figures, dispatch_uid="jalon.values.take_figures")
