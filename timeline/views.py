from django.views.generic import DetailView, ListView

from .models import Actor, Claim, Entry, Place


class PublishedEntriesMixin:
    def get_queryset(self):
        return Entry.objects.published().with_related()


class TimelineView(PublishedEntriesMixin, ListView):
    template_name = "timeline/entry_list.html"


class EntryDetailView(PublishedEntriesMixin, DetailView):
    pass


class ClaimListView(ListView):
    def get_queryset(self):
        return Claim.objects.filter(entry__in=Entry.objects.published()).select_related(
            "claimant", "entry"
        )


class ActorDetailView(DetailView):
    model = Actor


class PlaceDetailView(DetailView):
    model = Place
