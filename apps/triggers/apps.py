from django.apps import AppConfig


class TriggersConfig(AppConfig):
    name = "apps.triggers"
    label = "triggers"

    def ready(self) -> None:
        from apps.runs.models import Run
        from apps.runs.signals import run_finished

        from .reactions import on_run_finished

        run_finished.connect(on_run_finished, sender=Run, dispatch_uid="triggers.on_run_finished")
