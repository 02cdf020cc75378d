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

        # Any write to a row readers see (or to an entry's places, sources or actors) makes
        # every cached page stale. Connected per model: derived rows (the pulse roll-up,
        # history) do not bump, and other models keep Django's fast bulk delete. Bulk
        # writers (generate_entries) bump once at the end; an import bumps with its run.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import models
        from .pagecache import data_version_bump

        content = [
            models.Side,
            models.Actor,
            models.Place,
            models.PlaceAlias,
            models.Source,
            models.Dataset,
            models.ImportRun,
            models.Entry,
            models.EntryActor,
            models.EntryLink,
            models.Claim,
            models.ClaimEvidence,
            models.Figure,
        ]
        for model in content:
            for signal in (post_save, post_delete):
                signal.connect(
                    data_version_bump,
                    sender=model,
                    weak=False,
                    dispatch_uid=f"page_cache.{signal}.{model.__name__}",
                )
        for through in (models.Entry.places.through, models.Entry.sources.through):
            m2m_changed.connect(
                data_version_bump,
                sender=through,
                weak=False,
                dispatch_uid=f"page_cache.m2m.{through.__name__}",
            )
        m2m_changed.connect(
            data_version_bump,
            sender=models.Claim.sources.through,
            weak=False,
            dispatch_uid="page_cache.m2m.claim_sources",
        )
