"""Explicit serializers: what the API shows, and writes validated exactly as in the admin."""

import copy
from collections.abc import Mapping

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions, serializers

from timeline import services
from timeline.models import (
    FIGURE_SOURCE_REQUIRED,
    FIGURE_VALUE_FIELDS,
    Actor,
    Claim,
    ClaimEvidence,
    Dataset,
    Entry,
    EntryActor,
    Figure,
    Place,
    Source,
    unique_slug,
    validate_has_source,
    validate_publishable,
)

from .exceptions import drf_validation_error

DEFAULT_REASONS = {
    "create": "Created through the API",
    "update": "Changed through the API",
    "delete": "Deleted through the API",
}
CHANGE_REASON_HEADER = "X-Change-Reason"
REVISION_MESSAGE = (
    "A reported figure is never overwritten. To report a new number, post a new figure "
    "(a revision) with the same entry, metric and scope; the latest one becomes current."
)


def change_reason(request, given="", *, action):
    """The editor's reason from the body, else the X-Change-Reason header, else a default."""
    given = (given or "").strip() or request.headers.get(CHANGE_REASON_HEADER, "").strip()
    return (given or DEFAULT_REASONS[action])[:100]


def stamp(instance, *, user, reason):
    """What django-simple-history records with the change: who and why."""
    instance._history_user = user
    instance._change_reason = reason
    return instance


def changed_fields(instance, values):
    if instance.pk is None:
        return list(values)
    return [name for name, value in values.items() if getattr(instance, name) != value]


def write_row(instance, changed, *, creating):
    """Insert, or update only the columns this request changed (and auto_now stamps).

    Saving every column would write back what this request read: an editor fixing a typo
    while a publisher publishes would silently put the entry back in review.
    """
    if creating:
        instance.save()
        return
    stamps = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
    instance.save(update_fields=[*changed, *stamps])


def absolute(request, path):
    return request.build_absolute_uri(path) if request is not None else path


class BlankableURLField(serializers.CharField):
    """A web address that may be empty. An empty string is not a `uri`, so the schema says
    `string`; a non-empty value is still checked as a URL, as DRF's URLField does."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value:
            try:
                URLValidator()(value)
            except DjangoValidationError as error:
                raise serializers.ValidationError("Enter a valid URL.") from error
        return value


URL_FIELDS = {
    "url": {"max_length": 500, "required": False, "allow_blank": True},
    "archive_url": {"max_length": 500, "required": False, "allow_blank": True},
}


# --- Small read-only shapes, nested in others ---------------------------------------------


class ActorSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = Actor
        fields = ("slug", "name", "kind", "side")
        read_only_fields = fields


class PlaceSummarySerializer(serializers.ModelSerializer):
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, read_only=True, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, coerce_to_string=False, read_only=True, allow_null=True
    )
    # Declared: a read-only field generated from the model loses allow_blank, and with it the
    # empty value that a place without coordinates has in the schema's enum.
    coordinate_precision = serializers.ChoiceField(
        choices=Place.CoordinatePrecision.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = Place
        fields = ("slug", "name", "kind", "latitude", "longitude", "coordinate_precision")
        read_only_fields = fields


class DatasetSummarySerializer(serializers.ModelSerializer):
    url = BlankableURLField(read_only=True)
    licence_url = BlankableURLField(read_only=True)

    class Meta:
        model = Dataset
        fields = ("name", "url", "licence", "licence_url", "attribution", "redistributable")
        read_only_fields = fields


class SourceSummarySerializer(serializers.ModelSerializer):
    url = BlankableURLField(read_only=True)
    archive_url = BlankableURLField(read_only=True)

    class Meta:
        model = Source
        fields = ("id", "title", "publisher", "url", "archive_url", "source_type", "published_at")
        read_only_fields = fields


class EntryActorSerializer(serializers.ModelSerializer):
    actor = ActorSummarySerializer(read_only=True)

    class Meta:
        model = EntryActor
        fields = ("actor", "role")
        read_only_fields = fields


class ClaimInEntrySerializer(serializers.ModelSerializer):
    claimant = ActorSummarySerializer(read_only=True)

    class Meta:
        model = Claim
        fields = (
            "id",
            "claimant",
            "said_at",
            "quote",
            "paraphrase",
            "kind",
            "assessment",
            "assessed_on",
            "assessment_reason",
            "sources",
        )
        read_only_fields = fields


class FigureInEntrySerializer(serializers.ModelSerializer):
    scope = PlaceSummarySerializer(read_only=True)
    reported_by = ActorSummarySerializer(read_only=True, allow_null=True)
    display_value = serializers.CharField(read_only=True)

    class Meta:
        model = Figure
        fields = (
            "id",
            "metric",
            "scope",
            "low",
            "best",
            "high",
            "qualifier",
            "display_value",
            "as_of",
            "reported_by",
            "source",
            "note",
        )
        read_only_fields = fields


# --- Writes: the model's own validation, as the admin runs it -----------------------------


LIST_FIELDS = (serializers.ManyRelatedField, serializers.ListSerializer, serializers.ListField)


def is_slug(field):
    child = getattr(field, "child_relation", field)
    return isinstance(child, serializers.SlugRelatedField)


def as_list(value):
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class StrictInput:
    """JSON types as the schema states them. A text field takes a string only (DRF would
    store the number 0 as "0"), and a relation takes its key or null, never "" (which DRF
    would read as null)."""

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name, field in self.fields.items():
                if field.read_only or name not in data:
                    continue
                value = data[name]
                if isinstance(field, serializers.CharField):
                    if value is not None and not isinstance(value, str):
                        errors[name] = ["Give text (a JSON string)."]
                elif isinstance(field, serializers.RelatedField) and value == "":
                    errors[name] = ["Give the key of a record, or null."]
                elif isinstance(field, LIST_FIELDS) and not isinstance(value, list):
                    errors[name] = ["Give a list (a JSON array)."]
                elif is_slug(field) and not all(isinstance(v, str) for v in as_list(value)):
                    errors[name] = ["Give a slug (a JSON string)."]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class CleanModelSerializer(StrictInput, serializers.ModelSerializer):
    """Runs Model.full_clean() (clean(), field validators, constraints) on every write.

    Subclasses add their shared rules in `validate_instance` and list their many-to-many
    fields in Meta.m2m_fields; saves record the user and the reason in the history.
    """

    change_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=100,
        help_text="Why you made this change, kept in the history with your name. Optional; "
        f"the {CHANGE_REASON_HEADER} header works too.",
    )

    m2m_fields = ()

    @property
    def request(self):
        return self.context.get("request")

    def model_fields(self, attrs):
        return {
            name: value
            for name, value in attrs.items()
            if name not in self.m2m_fields and name != "change_reason"
        }

    def build_instance(self, attrs):
        instance = copy.copy(self.instance) if self.instance else self.Meta.model()
        for name, value in self.model_fields(attrs).items():
            setattr(instance, name, value)
        return instance

    def current_m2m(self, attrs, name):
        if name in attrs:
            return attrs[name]
        if self.instance is not None:
            return list(getattr(self.instance, name).all())
        return []

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.build_instance(attrs)
        self.prepare_instance(instance, attrs)
        try:
            instance.full_clean()
            self.validate_instance(instance, attrs)
        except DjangoValidationError as error:
            raise drf_validation_error(error) from error
        return attrs

    def prepare_instance(self, instance, attrs):
        """Derive what save() would derive (a slug), so full_clean() sees the final row."""
        if hasattr(instance, "slug") and not instance.slug:
            source = getattr(instance, "title", None) or getattr(instance, "name", "")
            attrs["slug"] = instance.slug = unique_slug(instance, source)

    def validate_instance(self, instance, attrs):
        """Shared rules beyond the model's clean(): raise Django ValidationError."""

    def reason(self, validated_data, action):
        return change_reason(self.request, validated_data.pop("change_reason", ""), action=action)

    def save_instance(self, instance, validated_data, *, action):
        reason = self.reason(validated_data, action)
        many = {
            name: validated_data.pop(name) for name in self.m2m_fields if name in validated_data
        }
        creating = instance.pk is None
        changed = changed_fields(instance, validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        if creating or changed or many:
            stamp(instance, user=self.request.user, reason=reason)
            write_row(instance, changed, creating=creating)
        for name, value in many.items():
            getattr(instance, name).set(value)
        return instance

    def create(self, validated_data):
        return self.save_instance(self.Meta.model(), validated_data, action="create")

    def update(self, instance, validated_data):
        return self.save_instance(instance, validated_data, action="update")


# --- Entries ----------------------------------------------------------------------------


class EntrySerializer(serializers.ModelSerializer):
    """An entry with everything a client needs to show it without another call."""

    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:entry-detail", lookup_field="slug"
    )
    url = serializers.SerializerMethodField(help_text="The entry's public page.")
    places = PlaceSummarySerializer(many=True, read_only=True)
    actors = EntryActorSerializer(source="entry_actors", many=True, read_only=True)
    claims = ClaimInEntrySerializer(many=True, read_only=True)
    current_figures = serializers.SerializerMethodField(
        help_text="The latest figure per metric and scope; earlier reports are its revisions."
    )
    sources = SourceSummarySerializer(many=True, read_only=True)
    dataset = DatasetSummarySerializer(
        read_only=True,
        allow_null=True,
        help_text="The dataset the entry was imported from, with the credit it asks for; "
        "null for editors' own entries.",
    )
    raw_row = serializers.SerializerMethodField(
        help_text="The dataset's row as it came, when its licence lets it be passed on; null "
        "otherwise (ACLED) and for editors' own entries."
    )

    class Meta:
        model = Entry
        fields = (
            "slug",
            "api_url",
            "url",
            "title",
            "summary",
            "track",
            "kind",
            "status",
            "occurred_at",
            "precision",
            "ended_at",
            "time_note",
            "places",
            "actors",
            "claims",
            "current_figures",
            "sources",
            "dataset",
            "external_id",
            "raw_row",
            "published_at",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields

    @extend_schema_field(
        {"type": "object", "nullable": True, "additionalProperties": {"type": "string"}}
    )
    def get_raw_row(self, entry):
        if entry.dataset_id and entry.dataset.redistributable:
            return entry.raw_row
        return None

    def get_url(self, entry) -> str:
        return absolute(self.context.get("request"), entry.get_absolute_url())

    @extend_schema_field(FigureInEntrySerializer(many=True))
    def get_current_figures(self, entry):
        return FigureInEntrySerializer(
            entry.current_figures(), many=True, context=self.context
        ).data


class EntryDetailSerializer(EntrySerializer):
    figures = FigureInEntrySerializer(
        many=True, read_only=True, help_text="Every reported figure, revisions included."
    )

    class Meta(EntrySerializer.Meta):
        fields = (*EntrySerializer.Meta.fields, "figures")
        read_only_fields = fields


class EntryActorWriteSerializer(StrictInput, serializers.Serializer):
    actor = serializers.SlugRelatedField(slug_field="slug", queryset=Actor.objects.all())
    role = serializers.ChoiceField(choices=EntryActor.Role.choices)

    def validate(self, attrs):
        # A PATCH makes nested fields optional too; an actor's row needs both, always.
        missing = {name: ["This field is required."] for name in self.fields if name not in attrs}
        if missing:
            raise serializers.ValidationError(missing)
        return attrs


class EntryWriteSerializer(CleanModelSerializer):
    """Create or change an entry. Moving the status across "published" needs the publish
    permission; publishing needs a source. The answer is the entry as EntrySerializer shows it."""

    places = serializers.SlugRelatedField(
        many=True,
        slug_field="slug",
        queryset=Place.objects.all(),
        required=False,
        help_text="Slugs of the places.",
    )
    sources = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Source.objects.all(), required=False, help_text="Ids of the sources."
    )
    actors = EntryActorWriteSerializer(
        source="entry_actors",
        many=True,
        required=False,
        help_text="Actors and their roles; when given, replaces the entry's actors.",
    )

    m2m_fields = ("places", "sources", "entry_actors")

    class Meta:
        model = Entry
        fields = (
            "title",
            "slug",
            "summary",
            "track",
            "kind",
            "status",
            "occurred_at",
            "precision",
            "ended_at",
            "time_note",
            "places",
            "sources",
            "actors",
            "change_reason",
        )
        extra_kwargs = {"slug": {"required": False}}

    def validate(self, attrs):
        old_status = services.stored_status(self.instance) if self.instance else Entry.Status.DRAFT
        new_status = attrs.get("status", old_status)
        try:
            services.check_status_change(
                user=self.request.user, old_status=old_status, new_status=new_status
            )
        except DjangoPermissionDenied as denied:
            raise exceptions.PermissionDenied(str(denied)) from denied
        return super().validate(attrs)

    def validate_instance(self, instance, attrs):
        validate_publishable(status=instance.status, sources=self.current_m2m(attrs, "sources"))

    def save_instance(self, instance, validated_data, *, action):
        user = self.request.user
        reason = self.reason(validated_data, action)
        actors = validated_data.pop("entry_actors", None)
        many = {
            name: validated_data.pop(name) for name in self.m2m_fields if name in validated_data
        }
        # The status moves only through the service the admin uses (permission, source).
        status = validated_data.pop("status", None)
        creating = instance.pk is None
        if creating:
            instance.status = Entry.Status.DRAFT
        changed = changed_fields(instance, validated_data)
        for name, value in validated_data.items():
            setattr(instance, name, value)
        if creating or changed or many or actors is not None:
            stamp(instance, user=user, reason=reason)
            write_row(instance, changed, creating=creating)
        for name, value in many.items():
            getattr(instance, name).set(value)
        if actors is not None:
            self.set_actors(instance, actors, user=user, reason=reason)
        if status:
            services.entry_set_status(entry=instance, status=status, user=user, reason=reason)
        return instance

    @staticmethod
    def set_actors(entry, actors, *, user, reason):
        wanted = {(item["actor"].pk, item["role"]) for item in actors}
        existing = {(row.actor_id, row.role): row for row in EntryActor.objects.filter(entry=entry)}
        for key, row in existing.items():
            if key not in wanted:
                stamp(row, user=user, reason=reason).delete()
        for actor_id, role in sorted(wanted - existing.keys()):
            row = EntryActor(entry=entry, actor_id=actor_id, role=role)
            row.full_clean()
            stamp(row, user=user, reason=reason).save()


# --- Claims -----------------------------------------------------------------------------


class ClaimEvidenceSerializer(serializers.ModelSerializer):
    # Null when the evidence is another claim (other_claim), not an entry.
    entry = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)

    class Meta:
        model = ClaimEvidence
        fields = ("relation", "entry", "other_claim", "note")
        read_only_fields = fields


class ClaimSerializer(CleanModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(view_name="api:claim-detail")
    entry = serializers.SlugRelatedField(
        slug_field="slug", queryset=Entry.objects.all(), help_text="Slug of the entry."
    )
    entry_url = serializers.SerializerMethodField(help_text="The claim on the entry's public page.")
    claimant = serializers.SlugRelatedField(
        slug_field="slug", queryset=Actor.objects.all(), help_text="Slug of the claimant."
    )
    claimant_detail = ActorSummarySerializer(source="claimant", read_only=True)
    sources = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=Source.objects.all(),
        required=False,
        help_text="Ids of the sources reporting the claim. At least one.",
    )
    evidence = ClaimEvidenceSerializer(many=True, read_only=True)

    m2m_fields = ("sources",)

    class Meta:
        model = Claim
        fields = (
            "id",
            "api_url",
            "entry",
            "entry_url",
            "claimant",
            "claimant_detail",
            "said_at",
            "quote",
            "paraphrase",
            "kind",
            "sources",
            "assessment",
            "assessed_on",
            "assessment_reason",
            "position",
            "evidence",
            "change_reason",
        )

    def get_entry_url(self, claim) -> str:
        return absolute(self.context.get("request"), claim.get_absolute_url())

    def validate_instance(self, instance, attrs):
        validate_has_source(self.current_m2m(attrs, "sources"), what="claim")


# --- Figures ----------------------------------------------------------------------------


class FigureSerializer(CleanModelSerializer):
    """A reported number. A new report is a new figure: values are never overwritten."""

    api_url = serializers.HyperlinkedIdentityField(view_name="api:figure-detail")
    entry = serializers.SlugRelatedField(
        slug_field="slug", queryset=Entry.objects.all(), help_text="Slug of the entry."
    )
    scope = serializers.SlugRelatedField(
        slug_field="slug", queryset=Place.objects.all(), help_text="Slug of the place counted."
    )
    scope_detail = PlaceSummarySerializer(source="scope", read_only=True)
    reported_by = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Actor.objects.all(),
        required=False,
        allow_null=True,
        help_text="Slug of who gave the number; null when the source reports it in its own voice.",
    )
    reported_by_detail = ActorSummarySerializer(
        source="reported_by", read_only=True, allow_null=True
    )
    display_value = serializers.CharField(read_only=True)
    is_current = serializers.SerializerMethodField(
        help_text="Whether this is the latest report for its entry, metric and scope."
    )

    class Meta:
        model = Figure
        fields = (
            "id",
            "api_url",
            "entry",
            "metric",
            "scope",
            "scope_detail",
            "scope_label",
            "breakdown",
            "low",
            "best",
            "high",
            "qualifier",
            "display_value",
            "as_of",
            "reported_by",
            "reported_by_detail",
            "source",
            "note",
            "is_current",
            "marked_error_at",
            "error_reason",
            "change_reason",
        )
        read_only_fields = ("marked_error_at", "error_reason")
        extra_kwargs = {
            "source": {
                "error_messages": {
                    "required": FIGURE_SOURCE_REQUIRED,
                    "null": FIGURE_SOURCE_REQUIRED,
                }
            }
        }

    def get_is_current(self, figure) -> bool:
        return bool(getattr(figure, "is_current", True))

    def validate(self, attrs):
        if self.instance is not None:
            rewritten = {
                name: [REVISION_MESSAGE]
                for name in FIGURE_VALUE_FIELDS
                if name in attrs and attrs[name] != getattr(self.instance, name)
            }
            if rewritten:
                raise serializers.ValidationError(rewritten)
        return super().validate(attrs)


class FigureErrorSerializer(StrictInput, serializers.Serializer):
    """Mark a report as recorded in error (publishers only)."""

    reason = serializers.CharField(
        max_length=300, help_text="Why the figure is wrong; readers see it with the figure."
    )


class FigureRevisionSerializer(StrictInput, serializers.Serializer):
    """A new report of the same number (same entry, metric and scope): what changed."""

    low = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    best = serializers.IntegerField(min_value=0, required=False)
    high = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    qualifier = serializers.ChoiceField(choices=Figure.Qualifier.choices, required=False)
    as_of = serializers.DateTimeField(
        required=False, help_text="When the new number was reported. Default: now."
    )
    reported_by = serializers.SlugRelatedField(
        slug_field="slug", queryset=Actor.objects.all(), required=False
    )
    source = serializers.PrimaryKeyRelatedField(queryset=Source.objects.all(), required=False)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)
    change_reason = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=100
    )


# --- Reference data ---------------------------------------------------------------------


class ActorSerializer(CleanModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:actor-detail", lookup_field="slug"
    )
    url = serializers.SerializerMethodField(help_text="The actor's public page.")
    parent = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Actor.objects.all(),
        allow_null=True,
        required=False,
        help_text="Slug of the body this actor belongs to.",
    )

    class Meta:
        model = Actor
        fields = (
            "slug",
            "api_url",
            "url",
            "name",
            "kind",
            "side",
            "country",
            "parent",
            "aliases",
            "description",
            "change_reason",
        )
        extra_kwargs = {"slug": {"required": False}}

    def get_url(self, actor) -> str:
        return absolute(self.context.get("request"), actor.get_absolute_url())


class PlaceSerializer(CleanModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(
        view_name="api:place-detail", lookup_field="slug"
    )
    url = serializers.SerializerMethodField(help_text="The place's public page.")
    parent = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Place.objects.all(),
        allow_null=True,
        required=False,
        help_text="Slug of the place this one lies in.",
    )
    latitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        coerce_to_string=False,
        allow_null=True,
        required=False,
        min_value=-90,
        max_value=90,
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        coerce_to_string=False,
        allow_null=True,
        required=False,
        min_value=-180,
        max_value=180,
    )

    class Meta:
        model = Place
        fields = (
            "slug",
            "api_url",
            "url",
            "name",
            "kind",
            "parent",
            "latitude",
            "longitude",
            "coordinate_precision",
            "change_reason",
        )
        extra_kwargs = {"slug": {"required": False}}

    def get_url(self, place) -> str:
        return absolute(self.context.get("request"), place.get_absolute_url())


class SourceSerializer(CleanModelSerializer):
    api_url = serializers.HyperlinkedIdentityField(view_name="api:source-detail")
    url = BlankableURLField(**URL_FIELDS["url"], help_text="Where readers can read the document.")
    archive_url = BlankableURLField(
        **URL_FIELDS["archive_url"], help_text="A permanent archived copy, if one exists."
    )

    class Meta:
        model = Source
        fields = (
            "id",
            "api_url",
            "title",
            "publisher",
            "url",
            "archive_url",
            "source_type",
            "published_at",
            "accessed_at",
            "notes",
            "change_reason",
        )
