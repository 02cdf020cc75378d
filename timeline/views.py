"""The public site: the two-track timeline, entry pages, the claim tracker, actors and places.

Every page reaches entries only through Entry.objects.published(), and runs a fixed number
of queries whatever the amount of data (tests/test_views.py counts them at two sizes).
"""

import datetime as dt

from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.utils import timezone
from django.utils.functional import cached_property
from django.views.decorators.cache import never_cache
from django.views.generic import DetailView, ListView

from . import pictures
from .contrast import contrast_panel
from .counting import COUNT_CAP, CappedCount, capped_count
from .filters import ClaimFilterSet, EntryFilterSet
from .history import public_updates
from .models import (
    Actor,
    Assessment,
    Claim,
    ClaimEvidence,
    Entry,
    EntryLink,
    Figure,
    FilterDayCount,
    FilterTotal,
    KeyIn,
    Place,
    Track,
    entry_is_published,
)
from .pickers import ambiguous_links, suggestions
from .rollup import newest_entry_ids, refresh_stale_days
from .templatetags.timeline_tags import PLACE_KIND_RANK

TIMELINE_PAGE_SIZE = 30
CLAIMS_PAGE_SIZE = 50
# Up to this many matching claims are sorted by their entry's time; beyond, the claim
# tracker reads each page from a window of the timeline (ClaimPaginator).
CLAIMS_SORTED_LIMIT = 2000
# Actor and place pages show the newest entries and claims and link to the full, paged,
# filtered timeline or claim tracker for the rest.
RELATED_LIMIT = 30

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class PublishedEntriesMixin:
    """The one way these views reach entries: published ones, with what a card shows."""

    def get_queryset(self):
        return Entry.objects.published().with_related()


# --- Keyset paging ---------------------------------------------------------------------


class InvalidCursor(ValueError):
    pass


def encode_cursor(entry):
    """A position on the timeline: the last entry's time (µs since 1970) and id."""
    delta = entry.occurred_at - EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}_{entry.pk}"


def decode_cursor(value):
    try:
        micros, pk = value.split("_")
        moment = EPOCH + dt.timedelta(microseconds=int(micros))
        return moment, int(pk)
    except (ValueError, OverflowError) as exc:
        raise InvalidCursor(value) from exc


def older_than(queryset, cursor):
    """Entries after `cursor` in timeline order (-occurred_at, -id): a keyset, not OFFSET,
    so page 100 costs what page 1 does."""
    moment, pk = cursor
    return queryset.filter(Q(occurred_at__lt=moment) | Q(occurred_at=moment, pk__lt=pk))


def group_by_day(entries):
    """[{date, diplomacy: [...], military: [...], before: {track: entry}}, ...] in the
    entries' order (newest first). For a track with nothing that day, `before` holds the
    latest earlier entry of that track on the same page, so an empty column still says what
    last happened there ("talks in Geneva, two days earlier")."""
    days = []
    for entry in entries:
        day = timezone.localdate(entry.occurred_at)
        if not days or days[-1]["date"] != day:
            days.append({"date": day, Track.DIPLOMACY: [], Track.MILITARY: [], "before": {}})
        days[-1][entry.track].append(entry)
    latest = {}
    for day in reversed(days):
        for track in Track.values:
            if not day[track] and track in latest:
                day["before"][track] = latest[track]
            if day[track]:
                latest[track] = day[track][0]
    return days


class TimelineView(PublishedEntriesMixin, ListView):
    template_name = "timeline/entry_list.html"

    def get_queryset(self):
        self.filterset = EntryFilterSet(self.request.GET or None, queryset=super().get_queryset())
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        queryset = self.object_list.order_by("-occurred_at", "-id")
        match_count = self.match_count(queryset)  # brings a filter's roll-up up to date
        cursor_error = ""
        cursor = None
        raw_cursor = self.request.GET.get("cursor", "")
        if raw_cursor:
            try:
                cursor = decode_cursor(raw_cursor)
            except InvalidCursor:
                cursor_error = (
                    "That “older entries” link is broken or out of date, "
                    "so here are the newest entries instead."
                )
        page = self.newest_of_filter(cursor)
        if page is None:
            page = queryset
        if cursor is not None:
            page = older_than(page, cursor)
        entries = list(page[: TIMELINE_PAGE_SIZE + 1])
        next_cursor = None
        if len(entries) > TIMELINE_PAGE_SIZE:
            entries = entries[:TIMELINE_PAGE_SIZE]
            next_cursor = encode_cursor(entries[-1])
        return {
            "form": self.filterset.form,
            "filtering": self.filterset.is_filtering,
            "shown_track": self.filterset.valid_data.get("track", ""),
            "match_count": match_count,
            "days": group_by_day(entries),
            "entries": entries,
            "next_cursor": next_cursor,
            "is_first_page": not raw_cursor or bool(cursor_error),
            "cursor_error": cursor_error,
            "ambiguous": ambiguous_links(self.filterset.form, self.request.GET),
            "pulse": self.pulse(queryset),
        }

    def match_count(self, queryset):
        """Exact from the roll-up for one place, actor or grade and nothing else; for a
        search alone, what the search found; else counted, to a cap."""
        if self.filterset.applied_alone:
            if self.filterset.search_matches is not None:
                return self.filterset.search_matches
            chosen = pictures.single_filter(self.filterset)
            if chosen is not None:
                return published_total(*chosen)
        return capped_count(queryset)

    def newest_of_filter(self, cursor):
        """One place, actor or grade and nothing else: the page's candidates from the
        roll-up's newest days (rollup.newest_entry_ids), or None (the filtered timeline
        finds the page). After match_count, which refreshed the roll-up."""
        chosen = pictures.single_filter(self.filterset) if self.filterset.applied_alone else None
        if chosen is None:
            return None
        before = cursor[0] if cursor is not None else None
        return newest_of(FilterDayCount.objects.of(*chosen), TIMELINE_PAGE_SIZE + 1, before=before)

    def pulse(self, queryset):
        data = self.filterset.valid_data
        return pictures.pulse(
            self.request,
            queryset,
            rollup=pictures.rollup_for(self.filterset),
            track=data.get("track", ""),
            start=data.get("from"),
            end=data.get("to"),
            link_params=pictures.timeline_link_params(self.filterset),
        )


# --- Entry page --------------------------------------------------------------------------


# schema.org ratings run worst (1) to best (5); alternateName carries our own word.
RATING_VALUES = {
    Assessment.CORROBORATED: 5,
    Assessment.DISPUTED: 3,
    Assessment.CONTRADICTED: 2,
    Assessment.FALSE: 1,
    Assessment.RETRACTED: 1,
}


def claim_review(request, entry, claim):
    """A schema.org ClaimReview for an assessed claim (https://schema.org/ClaimReview)."""
    url = request.build_absolute_uri(f"{entry.get_absolute_url()}#claim-{claim.pk}")
    claimant = claim.claimant
    item = {
        "@type": "Claim",
        "author": {
            "@type": "Person" if claimant.kind == Actor.Kind.OFFICIAL else "Organization",
            "name": claimant.name,
        },
        "appearance": [
            {"@type": "CreativeWork", "url": source.url, "name": source.title}
            for source in claim.sources.all()
            if source.url
        ],
    }
    if claim.said_at:
        item["datePublished"] = claim.said_at.isoformat()
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim.quote or claim.paraphrase,
        "itemReviewed": item,
        "author": {"@type": "Organization", "name": "Parallax"},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": RATING_VALUES.get(claim.assessment, 3),
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": claim.get_assessment_display(),
        },
        "reviewBody": claim.assessment_reason,
    }
    if claim.assessed_on:
        review["datePublished"] = claim.assessed_on.isoformat()
    return review


def can_preview(user):
    """Signed-in staff who may view entries see drafts and entries in review at their URL."""
    return bool(user.is_active and user.is_staff and user.has_perm("timeline.view_entry"))


class EntryDetailView(PublishedEntriesMixin, DetailView):
    """One published entry. Drafts and entries in review are not found (404), except for
    signed-in staff, who see them as a preview that is never cached or indexed."""

    def get_queryset(self):
        # Evidence and links count only when what they point to is published too.
        evidence = ClaimEvidence.objects.filter(
            entry_is_published("entry_id") | entry_is_published("other_claim__entry_id")
        ).select_related("entry", "other_claim__claimant__side", "other_claim__entry")
        visible = (
            Entry.objects.with_related()
            if can_preview(self.request.user)
            else super().get_queryset()
        )
        return visible.prefetch_related(
            "claims__sources",
            Prefetch("claims__evidence", queryset=evidence),
            Prefetch(
                "links_out",
                queryset=EntryLink.objects.filter(entry_is_published("to_entry_id")).select_related(
                    "to_entry"
                ),
            ),
            Prefetch(
                "links_in",
                queryset=EntryLink.objects.filter(
                    entry_is_published("from_entry_id")
                ).select_related("from_entry"),
            ),
        )

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["preview"]:
            response["Cache-Control"] = "private, no-store"
            response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entry = self.object
        claims = list(entry.claims.all())
        context["preview"] = not entry.is_published
        context["updates"] = (
            public_updates([entry])[entry.pk] if entry.published_at is not None else []
        )
        histories = list(entry.figure_histories().values())
        histories.sort(key=lambda group: _history_sort_key(group[-1]))
        context.update(
            claims=claims,
            figure_histories=histories,
            contrast=contrast_panel(entry),
            claim_reviews=[
                claim_review(self.request, entry, claim)
                for claim in claims
                if claim.assessment != Assessment.UNVERIFIED
            ],
        )
        return context


def _history_sort_key(figure):
    metric_order = Figure.Metric.values.index(figure.metric)
    return (metric_order, PLACE_KIND_RANK.get(figure.scope.kind, 9), figure.scope.name)


# --- Claim tracker -----------------------------------------------------------------------


class CappedPaginator(Paginator):
    """Numbered pages over at most COUNT_CAP claims: the count never scans the whole table.
    `count`: the number when it is known already (from a roll-up), capped as counted."""

    def __init__(self, object_list, per_page, *, count=None):
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self):
        if self.known_count is not None:
            return self.known_count
        return capped_count(self.object_list)


class ClaimPaginator(CappedPaginator):
    """Claims newest entry first, read from the timeline's index.

    Sorting claims by their entry's time is a sort of every matching claim; but every entry
    that has a matching claim holds at least one, so page n lies among the newest
    n × page-size such entries. When there are many matches the page is read from that
    window (the timeline index walked newest first, each entry probed for a claim), a few
    hundred rows for any page the capped count lets a reader reach; when there are few
    (a claimant, a rare grade), they are simply sorted.

    `rollup`: for one claimant's claims (at one grade or any), FilterDayCount's rows of them
    per grade (claims_rollup); a page is then read from the entries of the newest days that
    hold it (rollup.newest_entry_ids), a few hundred claims whatever the claimant's number,
    and from the timeline window only past the days those rows reach.
    """

    def __init__(self, object_list, per_page, *, count=None, rollup=None):
        super().__init__(object_list, per_page, count=count)
        self.rollup = rollup

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        claims = self.object_list
        ids = newest_entry_ids(self.rollup, top) if self.rollup else None
        if ids is not None:
            claims = claims.filter(KeyIn(ids, field="entry_id"))
        elif self.count > CLAIMS_SORTED_LIMIT:
            entries = (
                Entry.objects.published()
                .filter(Exists(claims.order_by().filter(entry=OuterRef("pk"))))
                .order_by("-occurred_at", "-id")
                .values("pk")[:top]
            )
            claims = claims.filter(entry__in=entries)
        return self._get_page(claims[bottom:top], number, self)


class ClaimListView(ListView):
    """Every claim of a published entry, newest entry first; simple paging (count + page)."""

    template_name = "timeline/claim_list.html"
    paginate_by = CLAIMS_PAGE_SIZE

    def get_queryset(self):
        queryset = (
            Claim.objects.published()
            .select_related("claimant__side", "entry")
            .order_by("-entry__occurred_at", "-entry_id", "position", "id")
        )
        self.filterset = ClaimFilterSet(self.request.GET or None, queryset=queryset)
        return self.filterset.qs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = self.filterset.form
        context["filtering"] = self.filterset.is_filtering
        context["ambiguous"] = ambiguous_links(self.filterset.form, self.request.GET)
        return context

    def claimant_rollup(self):
        """A claimant's claims, at one grade or all, are counted and paged from the roll-up:
        (the count, capped as a counted list is, so are its pages; the rows of them per
        grade). (None, None) for other filters (counted, capped; paged from the timeline)."""
        data = self.filterset.valid_data
        chosen = {name for name, value in data.items() if value not in (None, "")}
        if not chosen or not chosen <= {"claimant", "assessment"} or "claimant" not in chosen:
            return None, None
        refresh_stale_days()
        claimant, assessment = data["claimant"], data.get("assessment")
        by_grade = FilterTotal.objects.claims_by_grade(claimant)
        claims = by_grade.get(assessment, 0) if assessment else sum(by_grade.values())
        count = CappedCount(min(claims, COUNT_CAP), more=claims > COUNT_CAP, cap=COUNT_CAP)
        return count, claims_rollup(claimant, assessment)

    def paginate_queryset(self, queryset, page_size):
        count, rollup = self.claimant_rollup()
        # get_page() turns a bad ?page= into the nearest real page instead of a 404.
        paginator = ClaimPaginator(queryset, page_size, count=count, rollup=rollup)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()


# --- Actors and places -------------------------------------------------------------------


def claims_rollup(actor, assessment=""):
    """The roll-up's rows of the actor's published claims, one set per grade (or just
    `assessment`'s), for ClaimPaginator."""
    grades = [assessment] if assessment else Assessment.values
    return [
        FilterDayCount.objects.filter(
            filter=FilterDayCount.Filter.CLAIMS, value=FilterDayCount.claims_value(actor.pk, grade)
        )
        for grade in grades
    ]


def claim_record(actor):
    """How many of the actor's published claims stand at each assessment, every assessment
    listed, from the roll-up (call refresh_stale_days() first)."""
    counts = FilterTotal.objects.claims_by_grade(actor)
    return [(value, label, counts.get(value, 0)) for value, label in Assessment.choices]


def newest_of(rollup, needed, *, before=None):
    """The published entries (with what a card shows, newest first) of the newest days of
    one place's, actor's or grade's roll-up rows `rollup` that hold `needed` of them before
    `before` (rollup.newest_entry_ids), or None when its rows do not reach that far. Call
    refresh_stale_days() first."""
    ids = newest_entry_ids([rollup], needed, before=before)
    if ids is None:
        return None
    return (
        Entry.objects.published().with_related().filter(KeyIn(ids)).order_by("-occurred_at", "-id")
    )


def newest_entries(entries, rollup):
    """The newest RELATED_LIMIT of `entries` (one place's or actor's, counted by `rollup`):
    from the roll-up's newest days when they hold them, else from `entries`."""
    newest = newest_of(rollup, RELATED_LIMIT)
    if newest is None:
        newest = entries.with_related().order_by("-occurred_at", "-id")
    return list(newest[:RELATED_LIMIT])


def published_total(name, value):
    """A place's, an actor's or a grade's published entries, exact, from the roll-up."""
    refresh_stale_days()
    return CappedCount(FilterTotal.objects.of(name, value))


class ActorDetailView(DetailView):
    model = Actor

    def get_queryset(self):
        return Actor.objects.select_related("parent", "side")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        actor = self.object
        entries = Entry.objects.published().involving(actor, walk_if_dense=True)
        entry_count = published_total("actor", actor)  # brings the roll-up up to date
        record = claim_record(actor)
        claim_count = sum(count for _, _, count in record)
        claims = (
            Claim.objects.published()
            .filter(claimant=actor)
            .select_related("entry", "claimant__side")
            .order_by("-entry__occurred_at", "-entry_id", "position", "id")
        )
        newest_claims = ClaimPaginator(
            claims, RELATED_LIMIT, count=claim_count, rollup=claims_rollup(actor)
        ).page(1)
        context.update(
            entries=newest_entries(entries, FilterDayCount.objects.of("actor", actor)),
            entry_count=entry_count,
            claims=list(newest_claims.object_list),
            claim_count=claim_count,
            claim_record=record,
            claim_bar=pictures.claim_record_bar(record, actor),
            pulse=pictures.pulse(
                self.request,
                entries,
                rollup=FilterDayCount.objects.of("actor", actor),
                link_params={"actor": actor.slug},
            ),
            related_limit=RELATED_LIMIT,
        )
        return context


class PlaceDetailView(DetailView):
    model = Place

    def get_queryset(self):
        return Place.objects.select_related("parent__parent__parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        place = self.object
        # Three generations up, all fetched with the place by select_related above.
        ancestors = []
        node = place
        for _ in range(3):
            node = node.parent
            if node is None:
                break
            ancestors.insert(0, node)
        entries = Entry.objects.published().at_place(place, walk_if_dense=True)
        entry_count = published_total("place", place)  # brings the roll-up up to date
        pulse = pictures.pulse(
            self.request,
            entries,
            rollup=FilterDayCount.objects.of("place", place),
            link_params={"place": place.slug},
            within=place,
        )
        context.update(
            ancestors=ancestors,
            children=list(place.children.order_by("name")),
            entries=newest_entries(entries, FilterDayCount.objects.of("place", place)),
            entry_count=entry_count,
            related_limit=RELATED_LIMIT,
            pulse=pulse,
            casualties=pictures.casualties(entries, place, pulse=pulse),
        )
        return context


# --- Picker suggestions ------------------------------------------------------------------


def suggest(request, what):
    """JSON for the pickers' combobox: up to twenty published actors, claimants or places."""
    if what not in ("actor", "claimant", "place"):
        raise Http404("No such picker.")
    text = request.GET.get("q", "")[:200]
    return JsonResponse({"results": suggestions(what, text)})


# --- Health -------------------------------------------------------------------------------


@never_cache
def healthz(request):
    """200 "ok" when the database answers a SELECT 1; 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse(
            "database unavailable", status=503, content_type="text/plain; charset=utf-8"
        )
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


def favicon(request):
    return redirect(static("timeline/favicon.svg"), permanent=True)
