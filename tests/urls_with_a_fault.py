"""The site's URLs plus two that fail, for the fault tests."""

from django.template import Template
from django.template.response import TemplateResponse
from django.urls import path

from config.urls import handler500  # noqa: F401
from config.urls import urlpatterns as site_urls


def broken_view(request):
    raise RuntimeError("a bug in a view")


def broken_template(request):
    return TemplateResponse(request, Template("{% load no_such_library %}"))


urlpatterns = [
    path("broken/view/", broken_view),
    path("broken/template/", broken_template),
    *site_urls,
]
