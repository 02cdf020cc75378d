"""The editors' admin: a whole story recorded from the Entry page."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Count
from django.utils.text import get_text_list
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .models import (
    FIGURE_SOURCE_REQUIRED,
    FIGURE_VALUE_FIELDS,
    Actor,
    Claim,
    ClaimEvidence,
    Entry,
    EntryActor,
    EntryLink,
    Figure,
    Place,
    Source,
    validate_publishable,
)
from .templatetags.timeline_tags import format_when

admin.site.site_header = "Parallax editors"
admin.site.site_title = "Parallax editors"
admin.site.index_title = "Record the story"

CHANGE_REASON_HELP = (
    "Why you made this change, kept in the history with your name "
    "(e.g. “Mayor revised the injured count”). Optional."
)


class ChangeReasonForm(forms.ModelForm):
    change_reason = forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=100,
        help_text=CHANGE_REASON_HELP,
    )


def change_reason_for(form, change):
    given = (form.cleaned_data.get("change_reason") or "").strip() if form else ""
    if given:
        return given
    if not change:
        return "Created in the admin"
    changed = [
        str(form.fields[name].label or name).lower()
        for name in form.changed_data
        if name != "change_reason" and name in form.fields
    ]
    if not changed:
        return "Saved in the admin"
    return f"Changed {get_text_list(changed, 'and')} in the admin"[:100]


class HistoryAdmin(SimpleHistoryAdmin):
    """Records the editor's reason with every save, for the object and its inlines."""

    form = ChangeReasonForm

    def save_model(self, request, obj, form, change):
        obj._change_reason = change_reason_for(form, change)
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        reason = change_reason_for(form, change)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            obj._change_reason = reason
            obj.delete()
        for obj in instances:
            obj._change_reason = reason
            obj.save()
        formset.save_m2m()


# --- Inlines ------------------------------------------------------------------------------


CLAIM_SOURCE_REQUIRED = "A claim needs at least one source."


class ClaimInlineForm(forms.ModelForm):
    class Meta:
        model = Claim
        fields = "__all__"
        error_messages = {"sources": {"required": CLAIM_SOURCE_REQUIRED}}


class FigureForm(forms.ModelForm):
    class Meta:
        model = Figure
        fields = "__all__"
        error_messages = {"source": {"required": FIGURE_SOURCE_REQUIRED}}


class FigureInlineForm(FigureForm):
    """A reported number is never overwritten: a new report is a new row."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for name in FIGURE_VALUE_FIELDS:
                if name in self.fields:
                    self.fields[name].disabled = True
                    self.fields[name].help_text = ""


class EntryActorInline(admin.TabularInline):
    model = EntryActor
    extra = 0
    autocomplete_fields = ["actor"]
    verbose_name = "actor"
    verbose_name_plural = "Actors and their roles"


COMPACT_TEXT = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 90})}}


class ClaimInline(admin.StackedInline):
    model = Claim
    form = ClaimInlineForm
    extra = 0
    formfield_overrides = COMPACT_TEXT
    autocomplete_fields = ["claimant", "sources"]
    show_change_link = True
    fields = [
        ("claimant", "kind", "said_at"),
        "quote",
        "paraphrase",
        "sources",
        ("assessment", "assessed_on"),
        "assessment_reason",
        "position",
    ]


class FigureInline(admin.TabularInline):
    model = Figure
    form = FigureInlineForm
    extra = 0
    autocomplete_fields = ["scope", "reported_by", "source"]
    fields = [
        "metric",
        "scope",
        "qualifier",
        "low",
        "best",
        "high",
        "as_of",
        "reported_by",
        "source",
        "note",
    ]
    verbose_name_plural = "Figures (a new report is a new row: earlier rows stay as its history)"


class EntryLinkInline(admin.TabularInline):
    model = EntryLink
    fk_name = "from_entry"
    extra = 0
    autocomplete_fields = ["to_entry"]
    verbose_name = "link to another entry"
    verbose_name_plural = "Links to other entries"


class ClaimEvidenceInline(admin.TabularInline):
    model = ClaimEvidence
    fk_name = "claim"
    extra = 0
    autocomplete_fields = ["entry", "other_claim"]


# --- Entry --------------------------------------------------------------------------------


class EntryAdminForm(ChangeReasonForm):
    class Meta:
        model = Entry
        fields = "__all__"

    # Set by EntryAdmin.get_form: the editor saving the form.
    request_user = None

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        old_status = self.instance.status if self.instance.pk else Entry.Status.DRAFT
        if status:
            try:
                services.check_status_change(
                    user=self.request_user, old_status=old_status, new_status=status
                )
            except PermissionDenied as denied:
                self.add_error("status", str(denied))
                return cleaned
            if "sources" in self.fields:
                try:
                    validate_publishable(status=status, sources=cleaned.get("sources") or [])
                except ValidationError as error:
                    self.add_error("sources", error.message_dict["sources"])
        return cleaned


@admin.register(Entry)
class EntryAdmin(HistoryAdmin):
    form = EntryAdminForm
    inlines = [EntryActorInline, ClaimInline, FigureInline, EntryLinkInline]
    list_display = [
        "title",
        "track",
        "kind",
        "when",
        "status",
        "claim_count",
        "figure_count",
    ]
    list_filter = [
        "track",
        "status",
        "kind",
        ("actors", admin.RelatedOnlyFieldListFilter),
        ("places", admin.RelatedOnlyFieldListFilter),
        "claims__assessment",
    ]
    search_fields = ["title", "summary", "slug", "claims__quote", "claims__paraphrase"]
    date_hierarchy = "occurred_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["places", "sources"]
    readonly_fields = ["published_at", "created_at", "updated_at"]
    actions = ["send_to_review", "publish", "unpublish"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "track", "kind", "summary"]}),
        ("When", {"fields": [("occurred_at", "precision"), "ended_at", "time_note"]}),
        ("Where and on what source", {"fields": ["places", "sources"]}),
        (
            "Publication",
            {"fields": ["status", ("published_at", "created_at", "updated_at"), "change_reason"]},
        ),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        return form

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                claim_total=Count("claims", distinct=True),
                figure_total=Count("figures", distinct=True),
            )
        )

    @admin.display(description="When", ordering="occurred_at")
    def when(self, entry):
        return format_when(entry.occurred_at, entry.precision, entry.ended_at)

    @admin.display(description="Claims", ordering="claim_total")
    def claim_count(self, entry):
        return entry.claim_total

    @admin.display(description="Figures", ordering="figure_total")
    def figure_count(self, entry):
        return entry.figure_total

    def has_publish_permission(self, request):
        return services.user_can_publish(request.user)

    def _apply_status(self, request, queryset, operation, verb):
        done = 0
        for entry in queryset:
            try:
                operation(entry=entry, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, f"“{entry}” was not {verb}: {text}", messages.ERROR)
            else:
                done += 1
        if done:
            noun = "entry" if done == 1 else "entries"
            self.message_user(request, f"{done} {noun} {verb}.", messages.SUCCESS)

    @admin.action(description="Send selected entries to review")
    def send_to_review(self, request, queryset):
        self._apply_status(request, queryset, services.entry_send_to_review, "sent to review")

    @admin.action(description="Publish selected entries", permissions=["publish"])
    def publish(self, request, queryset):
        self._apply_status(request, queryset, services.entry_publish, "published")

    @admin.action(description="Unpublish selected entries", permissions=["publish"])
    def unpublish(self, request, queryset):
        self._apply_status(request, queryset, services.entry_unpublish, "unpublished")


# --- Claims and figures on their own pages ------------------------------------------------


class ClaimAdminForm(ChangeReasonForm, ClaimInlineForm):
    class Meta(ClaimInlineForm.Meta):
        pass


@admin.register(Claim)
class ClaimAdmin(HistoryAdmin):
    form = ClaimAdminForm
    inlines = [ClaimEvidenceInline]
    list_display = ["short_text", "claimant", "assessment", "assessed_on", "entry"]
    list_filter = [
        "assessment",
        "kind",
        "entry__track",
        ("claimant", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["claimant__side", "entry"]
    search_fields = ["quote", "paraphrase", "claimant__name", "entry__title"]
    autocomplete_fields = ["entry", "claimant", "sources"]
    fieldsets = [
        (None, {"fields": ["entry", ("claimant", "kind", "said_at"), "quote", "paraphrase"]}),
        ("Sources", {"fields": ["sources"]}),
        ("Assessment", {"fields": [("assessment", "assessed_on"), "assessment_reason"]}),
        (None, {"fields": ["position", "change_reason"]}),
    ]

    @admin.display(description="Claim")
    def short_text(self, claim):
        text = claim.quote or claim.paraphrase
        return text if len(text) <= 90 else text[:87] + "…"


class FigureAdminForm(ChangeReasonForm, FigureForm):
    class Meta(FigureForm.Meta):
        pass


@admin.register(Figure)
class FigureAdmin(HistoryAdmin):
    form = FigureAdminForm
    list_display = ["__str__", "entry", "metric", "qualifier", "best", "as_of", "reported_by"]
    list_filter = ["metric", "qualifier", ("scope", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["entry", "scope", "reported_by"]
    search_fields = ["entry__title", "scope__name", "note"]
    autocomplete_fields = ["entry", "scope", "reported_by", "source"]
    date_hierarchy = "as_of"


# --- Reference data -------------------------------------------------------------------------


@admin.register(Actor)
class ActorAdmin(HistoryAdmin):
    list_display = ["name", "kind", "side", "country", "parent"]
    list_filter = ["kind", "side"]
    list_select_related = ["parent"]
    search_fields = ["name", "aliases", "country"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Place)
class PlaceAdmin(HistoryAdmin):
    list_display = ["name", "kind", "parent", "latitude", "longitude"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    list_display = ["title", "publisher", "source_type", "published_at", "url"]
    list_filter = ["source_type"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_at"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
