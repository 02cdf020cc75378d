from django.apps import AppConfig


class TimelineConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "timeline"
    verbose_name = "Timeline"

    def ready(self):
        from simple_history.signals import pre_create_historical_record

        from .history import stamp_save_group

        pre_create_historical_record.connect(
            stamp_save_group, dispatch_uid="timeline.stamp_save_group"
        )
