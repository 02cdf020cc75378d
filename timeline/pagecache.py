"""Rendered public pages and anonymous API lists, cached server-side until the data changes.

A page is stored under its URL (with the Accept header, which picks the API's renderer) and
the current data version: one counter in the cache that every write bumps, at once and
again when its transaction commits (a save or delete of a row readers see, a change to an
entry's places or sources, a status change through the services, an import's run,
generate_entries). A bump makes every stored page unreachable at once, so nothing stale is
served after a write; the old entries simply expire.

A stored API answer still counts against the API's throttles. Never stored or served:
requests from signed-in users or with an Authorization header (editors see previews and
drafts), responses that set a cookie, say private or no-store, or are not a plain 200.
"""

import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse

VERSION_KEY = "parallax:data-version"
# Paths whose anonymous GETs are cached; the admin, the desk and health checks never are.
CACHED_PREFIXES = ("/", "/api/v1/")
NEVER_CACHED_PREFIXES = ("/admin/", "/healthz", "/static/", "/api/schema", "/api/docs")
PAGE_TIMEOUT = 60 * 60
# Response headers a stored page keeps; cookies and per-request headers are left out.
KEPT_HEADERS = (
    "Content-Type",
    "Content-Language",
    "Last-Modified",
    "ETag",
    "Link",
    "Vary",
    "X-Robots-Tag",
    "Cache-Control",
    "Allow",
)


def data_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        # Lost (evicted, or a new cache): start past every version used before, so no page
        # stored under an old number can come back.
        version = time.time_ns()
        cache.add(VERSION_KEY, version, timeout=None)
        version = cache.get(VERSION_KEY, version)
    return version


def _bump():
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def data_version_bump(**kwargs):
    """Make every cached page stale: now, and again when the current transaction commits
    (a page rendered in between from the old rows is stored under the skipped version, so
    it is never served). Called by the save paths (timeline/apps.py) and the bulk writers.
    Accepts a signal's arguments."""
    _bump()
    transaction.on_commit(_bump)


def _cacheable_request(request):
    if request.method not in ("GET", "HEAD"):
        return False
    path = request.path
    if path.startswith(NEVER_CACHED_PREFIXES) or not path.startswith(CACHED_PREFIXES):
        return False
    if "HTTP_AUTHORIZATION" in request.META:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def _cacheable_response(request, response):
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    cache_control = response.get("Cache-Control", "")
    if "private" in cache_control or "no-store" in cache_control:
        return False
    user = getattr(request, "user", None)
    return not (user is not None and user.is_authenticated)


def _key(request, version):
    accept = request.headers.get("Accept", "")
    raw = f"{request.get_host()}|{request.get_full_path()}|{accept}"
    return f"parallax:page:{version}:{hashlib.sha256(raw.encode()).hexdigest()}"


def _throttle_allows(request):
    """The API's throttles count a stored answer as they count a rendered one (a miss is
    counted by the view itself), so the cache is no way around them."""
    from rest_framework.settings import api_settings

    return all(
        throttle_class().allow_request(request, None)
        for throttle_class in api_settings.DEFAULT_THROTTLE_CLASSES
    )


class PageCacheMiddleware:
    """Serve a stored copy of an anonymous GET of a public page or API list; store new ones.

    Sits after the authentication middleware (it must know who asks) and inside the
    conditional GET middleware (a stored page still answers If-None-Match with a 304).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not getattr(settings, "PAGE_CACHE", True) or not _cacheable_request(request):
            return self.get_response(request)
        version = data_version()
        key = _key(request, version)
        stored = cache.get(key)
        if (
            stored is not None
            and request.path.startswith("/api/")
            and not _throttle_allows(request)
        ):
            stored = None  # the view answers, with its 429
        if stored is not None:
            content, headers = stored
            response = HttpResponse(content)
            for name, value in headers:
                response[name] = value
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if _cacheable_response(request, response):
            headers = [(name, response[name]) for name in KEPT_HEADERS if response.has_header(name)]
            cache.set(key, (response.content, headers), PAGE_TIMEOUT)
            response["X-Page-Cache"] = "miss"
        return response
