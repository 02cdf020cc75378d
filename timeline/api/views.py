"""The API's resources: read for everyone (published data), write for editors."""

import hashlib
import re

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Prefetch, Q
from django.http import HttpResponse
from django.template import engines
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, parse_etags
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularRedocView
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from timeline import services
from timeline.models import (
    Actor,
    Claim,
    ClaimEvidence,
    Entry,
    EntryActor,
    Figure,
    Place,
    Source,
    entry_is_published,
)

from . import filters, serializers
from .pagination import CursorPage
from .permissions import ModelPermissionsOrAnonReadOnly, can_view_drafts

SLUG_PATTERN = r"[-a-zA-Z0-9_]+"
ID_PATTERN = r"[0-9]{1,18}"
# Any path segment reaches the view, so a malformed slug or id is the API's JSON 404 (not
# the site's HTML page, nor a database error for a NUL byte or an id past 64 bits).
ANY_SEGMENT = r"[^/]+"


def reject_nul_parameters(request):
    """PostgreSQL refuses NUL in text: answer 400 rather than let the database raise."""
    for name, values in request.query_params.lists():
        if any("\x00" in value for value in values):
            raise exceptions.ValidationError({name: ["Null characters are not allowed."]})


def nul_fields(data, prefix=""):
    """Names of the body fields holding a NUL character, at any depth."""
    if hasattr(data, "lists"):  # a form's QueryDict: every value of every key
        data = dict(data.lists())
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return [prefix or "non_field_errors"] if isinstance(data, str) and "\x00" in data else []
    found = []
    for key, value in items:
        name = str(key) if not prefix else f"{prefix}.{key}"
        if "\x00" in str(key):
            found.append(prefix or "non_field_errors")
        found += nul_fields(value, name)
    return found


def visible_entries(user):
    """Drafts for callers who may view them; for everyone else the one public gate."""
    return Entry.objects.all() if can_view_drafts(user) else Entry.objects.published()


def visible_sources(user):
    """Sources are shown to the public once something published cites them.

    A source recorded only for a draft could announce the story before it is published.
    """
    if can_view_drafts(user):
        return Source.objects.all()
    return Source.objects.filter(
        Exists(
            Entry.sources.through.objects.filter(source=OuterRef("pk")).filter(entry_is_published())
        )
        | Exists(
            Claim.sources.through.objects.filter(source=OuterRef("pk")).filter(
                entry_is_published("claim__entry_id")
            )
        )
        | Exists(Figure.objects.filter(source=OuterRef("pk")).filter(entry_is_published()))
    )


def version_etag(version, content):
    """`W/"<version>.<digest>"`: the row's version, then a digest of the body.

    The version is what If-Match compares (the row a write would change); the digest makes a
    304 exact when something shown with the row changed (an entry's claims, an actor's name).
    """
    digest = hashlib.md5(content, usedforsecurity=False).hexdigest()
    return f'W/"{version}.{digest}"' if version is not None else f'W/"{digest}"'


def etag_versions(header):
    """The versions named by an If-Match header; ["*"] for any."""
    if header.strip() == "*":
        return ["*"]
    versions = []
    for tag in parse_etags(header.replace('W/"', '"')):
        tag = tag.strip('"')
        versions.append(tag.split(".", 1)[0] if "." in tag else None)
    return versions


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = (
        "Someone changed this since you read it: your change was not saved. Fetch it again "
        "(the ETag header is the current one), reapply your change and send it with that ETag "
        "in If-Match."
    )
    default_code = "precondition_failed"


class ConditionalGetMixin:
    """ETag and Last-Modified on reads; 304 when they match. If-Match on writes.

    The body is still built: what is saved is the transfer, and the check is exact whatever
    changed (a claim, a figure, a source) because the ETag hashes what the client would get.
    A single object's ETag also carries the row's version (the same on GET, create and
    update), which If-Match on PUT, PATCH and DELETE compares with the row as stored.
    """

    # The version of the object a response shows, set by retrieve, create and update.
    etag_version = None

    def last_modified_of(self, obj):
        """A change time kept on the row itself, if the model has one."""
        return None

    def history_of(self, objects):
        """Querysets of the history rows behind what `objects` show, admin edits included."""
        return []

    def remember_last_modified(self, objects):
        objects = list(objects or [])
        stamps = [stamp for stamp in map(self.last_modified_of, objects) if stamp]
        histories = [qs.order_by().values("history_date") for qs in self.history_of(objects)]
        if objects and histories:
            # One query for the page, whatever its size.
            combined = histories[0].union(*histories[1:], all=True)
            stamps += [row["history_date"] for row in combined.order_by("-history_date")[:1]]
        self.last_modified = max(stamps) if stamps else None

    def check_if_match(self, stored_version):
        """412, with the current ETag, unless If-Match (when sent) names `stored_version`."""
        header = self.request.headers.get("If-Match")
        if header is None:
            return
        versions = etag_versions(header)
        if "*" in versions or str(stored_version) in versions:
            return
        self.etag_version = stored_version
        raise PreconditionFailed()

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # What a caller sees depends on who they are (editors see drafts).
        patch_vary_headers(response, ["Authorization"])
        if response.status_code == 412 and self.etag_version is not None:
            response["ETag"] = self.current_etag()
            return response
        reading = request.method in ("GET", "HEAD")
        if response.status_code not in ((200,) if reading else (200, 201)):
            return response
        if not isinstance(response, Response) or response.streaming:
            return response
        if not reading and self.etag_version is None:
            return response
        response.render()
        etag = version_etag(self.etag_version, response.content)
        response["ETag"] = etag
        if not reading:
            return response
        last_modified = getattr(self, "last_modified", None)
        timestamp = int(last_modified.timestamp()) if last_modified else None
        if timestamp is not None:
            response["Last-Modified"] = http_date(timestamp)
        return get_conditional_response(
            request, etag=etag, last_modified=timestamp, response=response
        )

    def current_etag(self):
        """The ETag a GET would answer now: the body as this caller would read it."""
        instance = self.get_queryset().filter(pk=self.write_target.pk).first()
        if instance is None:
            return f'W/"{self.etag_version}"'
        body = self.get_read_serializer(instance).data
        content = JSONRenderer().render(body, renderer_context={"request": self.request})
        return version_etag(instance.version, content)


class ApiViewSet(ConditionalGetMixin, viewsets.ModelViewSet):
    """Shared behaviour: permissions, filters, cursor pages, history-recorded atomic writes."""

    permission_classes = [ModelPermissionsOrAnonReadOnly]
    pagination_class = CursorPage
    filter_backends = [DjangoFilterBackend, SearchFilter, filters.StableOrderingFilter]
    lookup_value_regex = ANY_SEGMENT
    lookup_pattern = ID_PATTERN
    read_serializer_class = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        reject_nul_parameters(request)
        writing = request.method not in ("GET", "HEAD", "OPTIONS")
        if writing and (fields := nul_fields(request.data)):
            raise exceptions.ValidationError(
                {name: ["Null characters are not allowed."] for name in fields}
            )

    def get_object(self):
        value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field, "")
        if not re.fullmatch(self.lookup_pattern, value):
            raise exceptions.NotFound()
        return super().get_object()

    def get_read_serializer(self, *args, **kwargs):
        serializer_class = self.read_serializer_class or self.get_serializer_class()
        kwargs.setdefault("context", self.get_serializer_context())
        return serializer_class(*args, **kwargs)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        self.remember_last_modified(page)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        self.remember_last_modified([instance])
        self.etag_version = instance.version
        return Response(self.get_serializer(instance).data)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = serializer.save()
            self.after_write(instance)
        data = self.read_representation(instance)
        headers = {"Location": data["api_url"]} if data.get("api_url") else {}
        return Response(data, status=status.HTTP_201_CREATED, headers=headers)

    def lock_for_write(self, instance):
        """Inside the write's transaction: lock the row, check If-Match against the version
        as stored, and carry that version on (a writer waiting for the lock then sees the
        first writer's version, not the one it read). On SQLite the transaction itself is
        the lock: IMMEDIATE (config/settings.py) lets one writer in at a time."""
        self.write_target = instance
        stored = (
            type(instance)
            .objects.select_for_update()
            .filter(pk=instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if stored is None:
            raise exceptions.NotFound()
        self.check_if_match(stored)
        instance.version = stored

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        instance = self.get_object()
        self.write_target = instance
        # Checked first on the row as read (a stale copy fails before validation), then
        # again under the lock, where it counts.
        self.check_if_match(instance.version)
        serializer = self.get_serializer(instance, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            self.lock_for_write(instance)
            instance = serializer.save()
            self.after_write(instance)
        return Response(self.read_representation(instance))

    def perform_destroy(self, instance):
        body = self.request.data if isinstance(self.request.data, dict) else {}
        reason = serializers.change_reason(
            self.request, str(body.get("change_reason", "")), action="delete"
        )
        self.write_target = instance
        self.check_if_match(instance.version)
        with transaction.atomic():
            self.lock_for_write(instance)
            serializers.stamp(instance, user=self.request.user, reason=reason)
            instance.delete()
            self.after_write(instance)

    def after_write(self, instance):
        """Hook: keep what depends on the written object up to date."""

    def read_representation(self, instance):
        # Read back through the queryset: annotations (is_current) and prefetches.
        instance = self.get_queryset().filter(pk=instance.pk).first() or instance
        self.etag_version = instance.version
        return self.get_read_serializer(instance).data


class TouchEntryMixin:
    """A claim or figure is part of its entry: a change through the API also moves the entry's
    updated_at (no history row: the entry itself is unchanged), so `ordering=updated_at`
    puts it last. `updated_since` and Last-Modified read the claim and figure history too."""

    def after_write(self, instance):
        Entry.objects.filter(pk=instance.entry_id).update(updated_at=timezone.now())


ENTRY_WRITE = {
    "request": serializers.EntryWriteSerializer,
    "responses": {200: serializers.EntryDetailSerializer},
}


@extend_schema_view(
    list=extend_schema(
        summary="List entries",
        description="Published entries, newest first, each with its places, actors, claims, "
        "current figures and sources. Callers allowed to view drafts see every status.",
    ),
    retrieve=extend_schema(summary="One entry, with every figure report"),
    create=extend_schema(
        summary="Create an entry",
        request=serializers.EntryWriteSerializer,
        responses={201: serializers.EntryDetailSerializer},
    ),
    update=extend_schema(summary="Replace an entry", **ENTRY_WRITE),
    partial_update=extend_schema(
        summary="Change an entry (publishing: publishers only)", **ENTRY_WRITE
    ),
    destroy=extend_schema(summary="Delete an entry"),
)
class EntryViewSet(ApiViewSet):
    """Entries on the timeline."""

    queryset = Entry.objects.none()
    serializer_class = serializers.EntrySerializer
    read_serializer_class = serializers.EntryDetailSerializer
    filterset_class = filters.EntryFilter
    # `search` is the filter set's: full text on the index (timeline/search.py).
    filter_backends = [DjangoFilterBackend, filters.StableOrderingFilter]
    ordering_fields = ["occurred_at", "updated_at", "title", "id"]
    ordering = ("-occurred_at", "-id")
    lookup_field = "slug"
    lookup_pattern = SLUG_PATTERN

    def get_queryset(self):
        return visible_entries(self.request.user).with_related().prefetch_related("claims__sources")

    def get_serializer_class(self):
        if self.action in ("create", "update", "partial_update"):
            return serializers.EntryWriteSerializer
        if self.action == "retrieve":
            return serializers.EntryDetailSerializer
        return serializers.EntrySerializer

    def last_modified_of(self, entry):
        return entry.updated_at

    def history_of(self, entries):
        ids = [entry.pk for entry in entries]
        return [
            Entry.history.filter(id__in=ids),
            Claim.history.filter(entry_id__in=ids),
            Figure.history.filter(entry_id__in=ids),
            EntryActor.history.filter(entry_id__in=ids),
        ]


@extend_schema_view(
    list=extend_schema(summary="List claims", description="Claims on published entries."),
    retrieve=extend_schema(summary="One claim"),
)
class ClaimViewSet(TouchEntryMixin, ApiViewSet):
    """Statements by actors, graded against the evidence."""

    queryset = Claim.objects.none()
    serializer_class = serializers.ClaimSerializer
    filterset_class = filters.ClaimFilter
    filter_backends = [DjangoFilterBackend, filters.ClaimSearchFilter, filters.StableOrderingFilter]
    search_fields = ["quote", "paraphrase", "claimant__name"]
    ordering_fields = ["id"]
    ordering = ("-id",)

    def history_of(self, claims):
        ids = [claim.pk for claim in claims]
        return [Claim.history.filter(id__in=ids), ClaimEvidence.history.filter(claim_id__in=ids)]

    def get_queryset(self):
        user = self.request.user
        claims = Claim.objects.all()
        evidence = ClaimEvidence.objects.select_related("entry")
        if not can_view_drafts(user):
            claims = claims.filter(entry_is_published())
            evidence = evidence.filter(
                entry_is_published("entry_id") | entry_is_published("other_claim__entry_id")
            )
        return claims.select_related("claimant__side", "entry").prefetch_related(
            "sources", Prefetch("evidence", queryset=evidence)
        )


@extend_schema_view(
    list=extend_schema(summary="List figures", description="Figures on published entries."),
    retrieve=extend_schema(summary="One figure"),
    update=extend_schema(
        summary="Replace a figure's note, reporter or source",
        description="The values (metric, scope, low, best, high, qualifier, as of) are never "
        "overwritten: post a new figure to report a new number.",
    ),
    partial_update=extend_schema(
        summary="Change a figure's note, reporter or source",
        description="The values (metric, scope, low, best, high, qualifier, as of) are never "
        "overwritten: post a new figure to report a new number.",
    ),
)
class FigureViewSet(TouchEntryMixin, ApiViewSet):
    """Reported numbers; the latest per entry, metric and scope is current."""

    @extend_schema(
        summary="Report a new number for this figure (a revision)",
        description="Records a new figure with the same entry, metric and scope through the "
        "same service as the admin; the earlier one stays as its history. Fields not given "
        "are carried over (low and high are cleared, as of defaults to now).",
        request=serializers.FigureRevisionSerializer,
        responses={201: serializers.FigureSerializer},
    )
    @action(detail=True, methods=["post"])
    def revise(self, request, *args, **kwargs):
        previous = self.get_object()
        body = serializers.FigureRevisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data)
        reason = serializers.change_reason(
            request, changes.pop("change_reason", ""), action="update"
        )
        with transaction.atomic():
            figure = services.figure_record_revision(
                previous=previous, user=request.user, reason=reason, **changes
            )
            self.after_write(figure)
        return Response(self.read_representation(figure), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Mark this report as recorded in error (publishers)",
        description="The figure stays visible, marked as an error with the reason, and stops "
        "counting; the number is never edited or deleted. Record the right number with "
        "`revise`.",
        request=serializers.FigureErrorSerializer,
        responses={200: serializers.FigureSerializer},
    )
    @action(detail=True, methods=["post"], url_path="mark-error")
    def mark_error(self, request, *args, **kwargs):
        figure = self.get_object()
        body = serializers.FigureErrorSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            with transaction.atomic():
                figure = services.figure_mark_error(
                    figure=figure, user=request.user, reason=body.validated_data["reason"]
                )
                self.after_write(figure)
        except DjangoPermissionDenied as denied:
            raise exceptions.PermissionDenied(str(denied)) from denied
        except DjangoValidationError as error:
            raise exceptions.ValidationError({"reason": error.messages}) from error
        return Response(self.read_representation(figure))

    # A reported figure is never deleted: it is marked as an error, or revised.
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    queryset = Figure.objects.none()
    serializer_class = serializers.FigureSerializer
    filterset_class = filters.FigureFilter
    ordering_fields = ["as_of", "id"]
    ordering = ("-as_of", "-id")

    def history_of(self, figures):
        # A newer report of a sibling changes this one's is_current.
        return [Figure.history.filter(entry_id__in={figure.entry_id for figure in figures})]

    def get_queryset(self):
        figures = Figure.objects.all()
        if not can_view_drafts(self.request.user):
            figures = figures.filter(entry_is_published())
        newer = Figure.objects.filter(
            entry=OuterRef("entry"),
            metric=OuterRef("metric"),
            scope=OuterRef("scope"),
            breakdown=OuterRef("breakdown"),
            marked_error_at__isnull=True,
        ).filter(Q(as_of__gt=OuterRef("as_of")) | Q(as_of=OuterRef("as_of"), pk__gt=OuterRef("pk")))
        standing = ExpressionWrapper(
            ~Exists(newer) & Q(marked_error_at__isnull=True), output_field=BooleanField()
        )
        return figures.annotate(is_current=standing).select_related("entry", "scope", "reported_by")


@extend_schema_view(
    list=extend_schema(summary="List actors"), retrieve=extend_schema(summary="One actor")
)
class ActorViewSet(ApiViewSet):
    """Who acts or speaks. Reference data: every actor is listed, as on the public site."""

    queryset = Actor.objects.none()

    def history_of(self, objects):
        return [Actor.history.filter(id__in=[obj.pk for obj in objects])]

    serializer_class = serializers.ActorSerializer
    filterset_class = filters.ActorFilter
    search_fields = ["name", "aliases", "country"]
    ordering_fields = ["name", "id"]
    ordering = ("name", "id")
    lookup_field = "slug"
    lookup_pattern = SLUG_PATTERN

    def get_queryset(self):
        return Actor.objects.select_related("parent", "side")


@extend_schema_view(
    list=extend_schema(summary="List places"), retrieve=extend_schema(summary="One place")
)
class PlaceViewSet(ApiViewSet):
    """Where things happened. Reference data: every place is listed."""

    queryset = Place.objects.none()

    def history_of(self, objects):
        return [Place.history.filter(id__in=[obj.pk for obj in objects])]

    serializer_class = serializers.PlaceSerializer
    filterset_class = filters.PlaceFilter
    search_fields = ["name"]
    ordering_fields = ["name", "id"]
    ordering = ("name", "id")
    lookup_field = "slug"
    lookup_pattern = SLUG_PATTERN

    def get_queryset(self):
        return Place.objects.select_related("parent")


@extend_schema_view(
    list=extend_schema(
        summary="List sources",
        description="Sources cited by something published (editors see every source).",
    ),
    retrieve=extend_schema(summary="One source"),
)
class SourceViewSet(ApiViewSet):
    """The documents claims and figures stand on."""

    queryset = Source.objects.none()

    def history_of(self, objects):
        return [Source.history.filter(id__in=[obj.pk for obj in objects])]

    serializer_class = serializers.SourceSerializer
    filterset_class = filters.SourceFilter
    search_fields = ["title", "publisher", "url"]
    ordering_fields = ["title", "id"]
    ordering = ("-id",)

    def get_queryset(self):
        return visible_sources(self.request.user)


# drf-spectacular's ReDoc page loads Google Fonts; the docs must work offline (no CDN).
REDOC_TEMPLATE = """{% extends "drf_spectacular/redoc.html" %}
{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
{% endblock head %}"""


class OfflineRedocView(SpectacularRedocView):
    """ReDoc from drf-spectacular-sidecar's bundle, in the system's fonts."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        context = super().get(request, *args, **kwargs).data
        html = engines["django"].from_string(REDOC_TEMPLATE).render(context, request)
        return HttpResponse(html)
