"""The editors' admin: a whole story recorded from the Entry page."""

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import widgets
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import get_text_list
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .history import entry_histories
from .models import (
    ENTRY_KINDS_BY_TRACK,
    FIGURE_SOURCE_REQUIRED,
    FIGURE_VALUE_FIELDS,
    Actor,
    Claim,
    ClaimEvidence,
    Dataset,
    Entry,
    EntryActor,
    EntryLink,
    Figure,
    ImportRun,
    Place,
    PlaceAlias,
    Source,
    validate_publishable,
)
from .templatetags.timeline_tags import format_when

admin.site.site_header = "Parallax editors"
admin.site.site_title = "Parallax editors"
admin.site.index_title = "Record the story"
# The entry page is wide (figures have ten columns): the full window goes to the form.
admin.site.enable_nav_sidebar = False

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
    # The version of the row the editor opened: a save from an older one is refused, so two
    # editors on the same page never silently overwrite each other (issue 10).
    opened_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Models without a version (datasets) carry the field empty and are not checked.
        if hasattr(self.instance, "version") and self.instance.pk is not None:
            # The row as stored: History → Revert builds the form from an old version.
            self.initial["opened_version"] = (
                type(self.instance)
                .objects.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )

    def clean(self):
        cleaned = super().clean()
        opened = cleaned.get("opened_version")
        versioned = hasattr(self.instance, "version") and self.instance.pk is not None
        if versioned and opened is not None:
            check_not_changed_since(self.instance, opened)
        return cleaned


def check_not_changed_since(instance, opened):
    """Refuse a save made from version `opened` when the row has moved on since.

    The admin saves inside one transaction (ModelAdmin.changeform_view), so the row locked
    here stays locked until this save is written: a second editor waits, then is refused.
    """
    model = type(instance)
    stored = (
        model.objects.select_for_update()
        .filter(pk=instance.pk)
        .values_list("version", flat=True)
        .first()
    )
    if stored is None or stored == opened:
        return
    last = model.history.filter(id=instance.pk).select_related("history_user").first()
    who = "Someone else"
    when = ""
    if last is not None:
        user = last.history_user
        if user is not None:
            who = user.get_full_name() or user.get_username()
        when = f" at {timezone.localtime(last.history_date):%H:%M:%S on %d %b %Y}"
    name = model._meta.verbose_name
    raise ValidationError(
        f"{who} changed this {name}{when}, after you opened it; your changes were not saved; "
        f"reload the page to see them, then make your changes again.",
        code="changed_since_opened",
    )


def revert_reason(request, model):
    """“Reverted to the version of …” when this save is History → Revert, else ""."""
    match = getattr(request, "resolver_match", None)
    if not match or not (match.url_name or "").endswith("_simple_history"):
        return ""
    # simple_history's revert URL passes (object_id, version_id) positionally.
    version_id = match.kwargs.get("version_id") or (match.args[1] if len(match.args) > 1 else None)
    version = model.history.filter(history_id=version_id).first() if version_id else None
    if version is None:
        return "Reverted to an earlier version"
    when = timezone.localtime(version.history_date)
    return f"Reverted to the version of {when:%d %b %Y, %H:%M}"


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


DATE_FORMAT_MESSAGE = "Enter the date as 27.11.2025 or 2025-11-27."
TIME_FORMAT_MESSAGE = "Enter the time as 04:10 (24-hour clock)."


def name_date_formats(field):
    """Dates are typed day first or ISO (config/formats); an error names the formats."""
    if isinstance(field, forms.SplitDateTimeField):
        field.error_messages["invalid_date"] = DATE_FORMAT_MESSAGE
        field.error_messages["invalid_time"] = TIME_FORMAT_MESSAGE
        for part in field.fields:
            is_date = isinstance(part, forms.DateField)
            part.error_messages["invalid"] = DATE_FORMAT_MESSAGE if is_date else TIME_FORMAT_MESSAGE
    elif isinstance(field, forms.DateField):
        field.error_messages["invalid"] = DATE_FORMAT_MESSAGE
    return field


def apply_date_rules(form):
    for field in form.fields.values():
        name_date_formats(field)


class DateRulesMixin:
    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        return name_date_formats(field) if field is not None else None


class HistoryAdmin(DateRulesMixin, SimpleHistoryAdmin):
    """Records the editor's reason with every save, for the object and its inlines."""

    form = ChangeReasonForm

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        # One transaction, as the change form has: the version check's lock lasts until the
        # reverted row is written.
        with transaction.atomic():
            return super().history_form_view(request, object_id, version_id, extra_context)

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


class ClaimInline(DateRulesMixin, admin.StackedInline):
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


def figure_report_links(figure, *, can_publish):
    """“New report” (and “Mark as error” for publishers) beside a recorded figure."""
    if not figure or not figure.pk:
        return ""
    if figure.is_error:
        return format_html(
            '<span class="figure-error" title="{}">Marked as error</span>', figure.error_reason
        )
    links = [
        format_html(
            '<a class="button figure-new-report" href="{}">New report</a>',
            reverse("admin:timeline_figure_new_report", args=[figure.pk]),
        )
    ]
    if can_publish:
        links.append(
            format_html(
                '<a class="figure-mark-error" href="{}">Mark as error</a>',
                reverse("admin:timeline_figure_mark_error", args=[figure.pk]),
            )
        )
    return format_html_join(" ", "{}", ((link,) for link in links))


class FigureInline(DateRulesMixin, admin.TabularInline):
    model = Figure
    form = FigureInlineForm
    extra = 0
    can_delete = False
    classes = ["figures-inline"]
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
        "report_links",
    ]
    readonly_fields = ["report_links"]
    verbose_name_plural = (
        "Figures (recorded numbers are never changed: “New report” records a revision, and "
        "earlier reports stay as its history)"
    )

    def get_formset(self, request, obj=None, **kwargs):
        self._can_publish = services.user_can_publish(request.user)
        return super().get_formset(request, obj, **kwargs)

    @admin.display(description="")
    def report_links(self, figure):
        return figure_report_links(figure, can_publish=getattr(self, "_can_publish", False))


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

    # Set by EntryAdmin.get_form: the editor saving the form, and whether it restores an old
    # version (History → Revert).
    request_user = None
    reverting = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.reverting and "status" in self.fields:
            # An old version's status is history: reverting restores content, and the entry
            # stays published or unpublished as it is now.
            self.initial["status"] = services.stored_status(self.instance)
            self.fields[
                "status"
            ].help_text = (
                "Reverting restores the entry's text, not its status: it stays as it is now."
            )
        if "kind" in self.fields:
            self.fields["kind"].widget.attrs["data-kinds-by-track"] = json.dumps(
                {track: sorted(kinds) for track, kinds in ENTRY_KINDS_BY_TRACK.items()}
            )

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        # The row as stored: a form built from an old version (History → Revert) carries that
        # version's status, which must not count as where the entry is now.
        old_status = services.stored_status(self.instance)
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
        "page_link",
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
            {
                "fields": [
                    "status",
                    ("published_at", "created_at", "updated_at"),
                    "change_reason",
                    "opened_version",
                ]
            },
        ),
    ]

    object_history_template = "admin/timeline/entry/object_history.html"

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request_user = request.user
        form.reverting = bool(revert_reason(request, Entry))
        return form

    def history_view(self, request, object_id, extra_context=None):
        entry = self.get_object(request, object_id)
        rows = entry_histories([entry])[entry.pk] if entry is not None else []
        return super().history_view(
            request, object_id, extra_context={**(extra_context or {}), "entry_history": rows}
        )

    def save_model(self, request, obj, form, change):
        """Everything but the status is saved as the form says; the status moves only
        through services.entry_set_status, which checks the row as stored."""
        wanted = obj.status
        obj.status = services.stored_status(obj, lock=True)
        reverting = revert_reason(request, Entry)
        if reverting and not form.cleaned_data.get("change_reason"):
            form.cleaned_data["change_reason"] = reverting
        super().save_model(request, obj, form, change)
        if wanted != obj.status:
            # Publishing needs the sources as submitted, so they are saved first.
            form.save_m2m()
            reason = change_reason_for(form, change)
            services.entry_set_status(entry=obj, status=wanted, user=request.user, reason=reason)

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

    @admin.display(description="Page")
    def page_link(self, entry):
        label = "View" if entry.is_published else "Preview"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', entry.get_absolute_url(), label
        )

    def has_publish_permission(self, request):
        return services.user_can_publish(request.user)

    def _apply_status(self, request, queryset, operation, verb):
        done = unchanged = 0
        for entry in queryset:
            before = entry.status
            try:
                operation(entry=entry, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", [str(error)]))
                self.message_user(request, f"“{entry}” was not {verb}: {text}", messages.ERROR)
                continue
            if entry.status != before:
                done += 1
            else:
                unchanged += 1
        if done:
            noun = "entry" if done == 1 else "entries"
            self.message_user(request, f"{done} {noun} {verb}.", messages.SUCCESS)
        if unchanged:
            noun = "entry was" if unchanged == 1 else "entries were"
            self.message_user(
                request, f"{unchanged} {noun} already {verb} and left as is.", messages.INFO
            )

    @admin.action(description="Send selected entries to review")
    def send_to_review(self, request, queryset):
        self._apply_status(request, queryset, services.entry_send_to_review, "sent to review")

    @admin.action(description="Publish selected entries", permissions=["publish"])
    def publish(self, request, queryset):
        """Shows what will go live, and publishes only once the publisher confirms."""
        if request.POST.get("confirmed") == "yes":
            self._apply_status(request, queryset, services.entry_publish, "published")
            return None
        entries = list(
            queryset.annotate(source_total=Count("sources", distinct=True)).order_by(
                "-occurred_at", "-id"
            )
        )
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish these entries?",
            "opts": self.opts,
            "entries": entries,
            "going_live": [entry for entry in entries if entry.status != "published"],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/timeline/entry/publish_confirmation.html", context)

    @admin.action(description="Unpublish selected entries", permissions=["publish"])
    def unpublish(self, request, queryset):
        published = queryset.filter(status=Entry.Status.PUBLISHED)
        skipped = queryset.exclude(status=Entry.Status.PUBLISHED).count()
        self._apply_status(request, published, services.entry_unpublish, "unpublished")
        if skipped:
            noun = "entry was" if skipped == 1 else "entries were"
            self.message_user(
                request, f"{skipped} {noun} not published and left as is.", messages.INFO
            )


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
        (None, {"fields": ["position", "change_reason", "opened_version"]}),
    ]

    @admin.display(description="Claim")
    def short_text(self, claim):
        text = claim.quote or claim.paraphrase
        return text if len(text) <= 90 else text[:87] + "…"


class FigureAdminForm(ChangeReasonForm, FigureForm):
    class Meta(FigureForm.Meta):
        pass


class FigureReportForm(forms.Form):
    """A new report of a recorded number: only what changed is asked for."""

    qualifier = forms.ChoiceField(choices=Figure.Qualifier.choices)
    low = forms.IntegerField(min_value=0, required=False, help_text="Lowest reported value.")
    best = forms.IntegerField(min_value=0, label="New number", help_text="The number readers see.")
    high = forms.IntegerField(min_value=0, required=False, help_text="Highest reported value.")
    as_of = forms.SplitDateTimeField(
        label="Reported at",
        widget=widgets.AdminSplitDateTime,
        help_text="When the new number was reported.",
    )
    reported_by = forms.ModelChoiceField(
        queryset=Actor.objects.all(),
        required=False,
        help_text="Who gave the new number. Empty: the source reports it in its own voice.",
    )
    source = forms.ModelChoiceField(
        queryset=Source.objects.all(), error_messages={"required": FIGURE_SOURCE_REQUIRED}
    )
    note = forms.CharField(max_length=300, required=False)
    change_reason = forms.CharField(
        label="Reason for this change", max_length=100, required=False, help_text=CHANGE_REASON_HELP
    )

    def __init__(self, *args, admin_site, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("reported_by", "source"):
            widget = widgets.AutocompleteSelect(Figure._meta.get_field(name), admin_site)
            widget.choices = self.fields[name].choices
            self.fields[name].widget = widget
        apply_date_rules(self)


class FigureErrorForm(forms.Form):
    error_reason = forms.CharField(
        label="Why the figure is wrong",
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="Readers see this with the figure, e.g. “The mayor's office corrected the "
        "count: two of the injured were counted twice.”",
    )


@admin.register(Figure)
class FigureAdmin(HistoryAdmin):
    form = FigureAdminForm
    list_display = [
        "__str__",
        "entry",
        "metric",
        "qualifier",
        "best",
        "as_of",
        "reported_by",
        "error_flag",
    ]
    list_filter = ["metric", "qualifier", ("scope", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["entry", "scope", "reported_by"]
    search_fields = ["entry__title", "scope__name", "note"]
    autocomplete_fields = ["entry", "scope", "reported_by", "source"]
    date_hierarchy = "as_of"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [*FIGURE_VALUE_FIELDS, "correction", "report_links"]

    def get_fields(self, request, obj=None):
        fields = [*super().get_fields(request, obj)]
        if obj is not None:
            fields = [name for name in fields if name not in ("correction", "report_links")]
            fields += ["correction", "report_links"]
        return fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request, object_id, extra_context=None):
        raise PermissionDenied(
            "A reported figure is never deleted. A publisher can mark it as an error."
        )

    def revert_disabled(self, request, obj=None):
        # Reverting would write an old number over the recorded one.
        return True

    def render_change_form(self, request, context, *args, **kwargs):
        context["show_delete"] = False
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description="Error", boolean=True)
    def error_flag(self, figure):
        return figure.is_error

    @admin.display(description="Correction")
    def correction(self, figure):
        if not figure.is_error:
            return "Stands as reported."
        when = timezone.localtime(figure.marked_error_at)
        return f"Marked as an error on {when:%d %b %Y, %H:%M}: {figure.error_reason}"

    @admin.display(description="")
    def report_links(self, figure):
        return figure_report_links(figure, can_publish=self._can_publish)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._can_publish = services.user_can_publish(request.user)
        return super().change_view(request, object_id, form_url, extra_context)

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/new-report/",
                self.admin_site.admin_view(self.new_report_view),
                name="timeline_figure_new_report",
            ),
            path(
                "<path:object_id>/mark-error/",
                self.admin_site.admin_view(self.mark_error_view),
                name="timeline_figure_mark_error",
            ),
        ]
        return own + super().get_urls()

    def _figure_or_404(self, request, object_id):
        figure = self.get_object(request, object_id)
        if figure is None:
            raise Http404("No such figure.")
        return figure

    def new_report_view(self, request, object_id):
        previous = self._figure_or_404(request, object_id)
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {
            "qualifier": previous.qualifier,
            "best": previous.best,
            "as_of": timezone.localtime().replace(second=0, microsecond=0),
            "reported_by": previous.reported_by_id,
            "source": previous.source_id,
        }
        form = FigureReportForm(request.POST or None, initial=initial, admin_site=self.admin_site)
        if request.method == "POST" and form.is_valid():
            values = dict(form.cleaned_data)
            reason = values.pop("change_reason") or f"New report of “{previous.display}”"
            try:
                figure = services.figure_record_revision(
                    previous=previous, user=request.user, reason=reason, **values
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                self.message_user(
                    request,
                    f"Recorded “{figure.display}” for {figure.scope_name}; the earlier report "
                    f"“{previous.display}” stays in its history.",
                    messages.SUCCESS,
                )
                return redirect(
                    reverse("admin:timeline_entry_change", args=[previous.entry_id])
                    + "#figures-group"
                )
        return self._figure_page(
            request, previous, form, title=f"New report of {previous.get_metric_display()}"
        )

    def mark_error_view(self, request, object_id):
        figure = self._figure_or_404(request, object_id)
        if not services.user_can_publish(request.user):
            raise PermissionDenied(services.FIGURE_ERROR_PERMISSION_MESSAGE)
        form = FigureErrorForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.figure_mark_error(
                    figure=figure, user=request.user, reason=form.cleaned_data["error_reason"]
                )
            except ValidationError as error:
                add_errors(form, error)
            else:
                self.message_user(
                    request,
                    f"“{figure.display}” is marked as an error; readers see it struck "
                    "through with your reason.",
                    messages.SUCCESS,
                )
                return redirect(
                    reverse("admin:timeline_entry_change", args=[figure.entry_id])
                    + "#figures-group"
                )
        return self._figure_page(request, figure, form, title="Mark a figure as an error")

    def _figure_page(self, request, figure, form, *, title):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "figure": figure,
            "form": form,
            "opts": self.opts,
            "media": self.media + form.media,
            "entry_url": reverse("admin:timeline_entry_change", args=[figure.entry_id]),
        }
        return TemplateResponse(request, "admin/timeline/figure/report_form.html", context)


def add_errors(form, error):
    for field, texts in error.message_dict.items():
        form.add_error(field if field in form.fields else None, texts)


# --- Reference data -------------------------------------------------------------------------


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        help_text="The others are merged into it and deleted; their names become its aliases.",
    )

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = queryset


class MergeActionMixin:
    """An action that merges the selected strays into the one the editor picks to keep."""

    merge_service = None

    @admin.action(description="Merge the selected into one (keeps the others' names as aliases)")
    def merge(self, request, queryset):
        opts = self.model._meta
        if queryset.count() < 2:
            self.message_user(request, "Select two or more to merge.", messages.WARNING)
            return None
        form = MergeForm(
            request.POST if "keep" in request.POST else None, queryset=queryset.order_by("pk")
        )
        if form.is_valid():
            keep = form.cleaned_data["keep"]
            strays = list(queryset.exclude(pk=keep.pk))
            try:
                merged = type(self).merge_service(keep=keep, merge=strays, user=request.user)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
                return None
            self.message_user(request, f"Merged {merged} {opts.verbose_name_plural} into “{keep}”.")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Merge {opts.verbose_name_plural}",
            "opts": opts,
            "form": form,
            "objects": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/timeline/merge_confirmation.html", context)


@admin.register(Actor)
class ActorAdmin(MergeActionMixin, HistoryAdmin):
    list_display = ["name", "kind", "side", "country", "parent"]
    list_filter = ["kind", "side"]
    list_select_related = ["parent"]
    search_fields = ["name", "aliases", "country"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    actions = ["merge"]
    merge_service = staticmethod(services.actor_merge)


class PlaceAliasInline(admin.TabularInline):
    model = PlaceAlias
    extra = 1
    fields = ["name"]
    verbose_name = "other name"
    verbose_name_plural = "Other names (matched when data is imported: “Kiev”, “Kyiv City”)"


@admin.register(Place)
class PlaceAdmin(MergeActionMixin, HistoryAdmin):
    list_display = ["name", "kind", "parent", "latitude", "longitude"]
    list_filter = ["kind"]
    list_select_related = ["parent"]
    search_fields = ["name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["parent"]
    inlines = [PlaceAliasInline]
    actions = ["merge"]
    merge_service = staticmethod(services.place_merge)


class ImportRunInline(admin.TabularInline):
    model = ImportRun
    extra = 0
    fields = ["started_at", "file_name", "outcome", "ran_by_name", "message"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True
    ordering = ["-started_at"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dataset)
class DatasetAdmin(HistoryAdmin):
    list_display = ["name", "licence", "redistributable", "entry_count"]
    list_filter = ["redistributable"]
    search_fields = ["name", "attribution"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ImportRunInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(entry_total=Count("entries"))

    @admin.display(description="Entries", ordering="entry_total")
    def entry_count(self, dataset):
        return dataset.entry_total


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """The record of each import: read-only, as it happened."""

    list_display = ["started_at", "dataset", "file_name", "outcome", "ran_by_name", "message"]
    list_filter = ["outcome", "dataset"]
    list_select_related = ["dataset"]
    search_fields = ["file_name", "file_sha256", "message"]
    date_hierarchy = "started_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Source)
class SourceAdmin(HistoryAdmin):
    list_display = ["title", "publisher", "source_type", "published_at", "url"]
    list_filter = ["source_type"]
    search_fields = ["title", "publisher", "url"]
    date_hierarchy = "published_at"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
