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

        # Any write to a timeline row (or to an entry's places, sources or actors) makes
        # every cached page stale. Bulk writers (import, generate) bump once at the end.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .pagecache import data_version_bump

        def bump(sender, **kwargs):
            meta = sender._meta
            if meta.app_label == "timeline" and not meta.model_name.startswith("historical"):
                data_version_bump()

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(bump, weak=False, dispatch_uid=f"timeline.page_cache.{signal}")
