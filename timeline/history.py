"""One history per entry: every historical row carries the save it belongs to.

An editor's one click on "Save" writes the entry, three claims and a figure: five historical
rows in five tables. They share a `save_group`, so the entry's history can show that click
as one row. The group is set for each request by the middleware and for each command or
service call by `save_group()`.
"""

import contextlib
import contextvars
import uuid

from django.db import models

_current_group = contextvars.ContextVar("parallax_save_group", default=None)


class HistoricalSaveGroup(models.Model):
    """The abstract base of every historical model in Parallax."""

    save_group = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    class Meta:
        abstract = True


@contextlib.contextmanager
def save_group():
    """Everything recorded inside the block belongs to one save (reuses an enclosing one)."""
    if _current_group.get() is not None:
        yield _current_group.get()
        return
    token = _current_group.set(uuid.uuid4())
    try:
        yield _current_group.get()
    finally:
        _current_group.reset(token)


def stamp_save_group(sender, history_instance, **kwargs):
    """simple_history's pre_create_historical_record receiver."""
    history_instance.save_group = _current_group.get() or uuid.uuid4()


class SaveGroupMiddleware:
    """One save group per request: an admin save with its inlines is one history row."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with save_group():
            return self.get_response(request)
