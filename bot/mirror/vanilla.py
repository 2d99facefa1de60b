"""Reading the category tree from a Vanilla forum's API v2 (``GET /api/v2/categories``), with aiohttp.

Every page is read, following ``rel="next"`` (the ``Link`` header, or Vanilla's own
``x-app-page-*`` headers when a proxy strips it), or nothing is returned: a fetch that fails
half way, a token the forum no longer accepts, or paging the client cannot follow raises, so a
partial tree can never be planned against (and the categories it missed archived).

What Vanilla does, read in its source (vanilla/vanilla, ``CategoriesApiController::index``):
pages are offset slices of the categories by id, permission-filtered after slicing (so a page may
hold fewer rows than ``limit``, or none, while more pages exist), each page tree-sorted by ``sort``
unless ``sort`` is given; top-level categories have ``parentCategoryID`` null; a bearer token it
does not accept is answered as a guest with ``X-WWW-Authenticate: error="invalid_token"``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from multidict import CIMultiDictProxy
from yarl import URL

from bot.mirror.model import DisplayAs, ForumCategory, ForumTree
from bot.mirror.source import ForumSourceError, check_parents

log = logging.getLogger(__name__)

CATEGORIES_PATH = "/api/v2/categories"
ME_PATH = "/api/v2/users/me"
DEFAULT_PAGE_SIZE = 100  # Vanilla allows 1..500 (ApiUtils::getMaxLimit)
DEFAULT_TIMEOUT = 15.0
DEFAULT_ATTEMPTS = 3
MAX_PAGES = 200
TOKEN_HINT = "put a valid API token in the variable FORUM_BRIDGE_VANILLA_TOKEN_ENV names"


def _refusal(status: int, has_token: bool) -> str | None:
    if status == 401:
        return (
            "401 Unauthorized: the forum did not accept the API token"
            if has_token
            else f"401 Unauthorized: this forum needs a token ({TOKEN_HINT})"
        )
    if status == 403:
        return (
            "403 Forbidden: the token's user may not list categories"
            if has_token
            else f"403 Forbidden: this forum needs a token: it shows guests no categories ({TOKEN_HINT})"
        )
    if status == 404:
        return "404 Not Found: there is no categories API at this address (is the base URL the forum's own address?)"
    return None


@dataclass(frozen=True, slots=True)
class _Page:
    body: Any
    headers: CIMultiDictProxy[str]
    links: Mapping[str, Any]
    url: URL


class VanillaClient:
    """Fetches every category of a Vanilla forum, page by page, with timeouts and a few retries."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = 1.0,
        session: aiohttp.ClientSession | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._origin = URL(self.base_url).origin() if URL(self.base_url).is_absolute() else None
        self._token = token
        self._page_size = page_size
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._session = session
        self._sleep = sleep

    @property
    def categories_url(self) -> str:
        """The API endpoint this client reads."""
        return self.base_url + CATEGORIES_PATH

    async def fetch_tree(self) -> ForumTree:
        """Every category, in the forum's order; raise ForumSourceError (naming the URL) on any failure."""
        session = self._session or aiohttp.ClientSession()
        try:
            if self._token:
                await self._check_user(session)
            items = await self._fetch_all(session)
        finally:
            if self._session is None:
                await session.close()
        categories = []
        flags: dict[int, tuple[bool, bool]] = {}
        for index, (item, url) in enumerate(items):
            category = _category(item, url, index)
            if category is not None:
                categories.append(category)
                flags[category.id] = (item.get("customPermissions") is True, item.get("isArchived") is True)
        try:
            check_parents(categories)
        except ForumSourceError as exc:
            raise ForumSourceError(f"{self.categories_url}: {exc}") from None
        kept, left_out = _public_only(categories, flags, has_token=bool(self._token))
        log.info("read %d categories from %s (%d left out)", len(categories), self.categories_url, len(left_out))
        return ForumTree(tuple(kept), self.categories_url, tuple(left_out))

    async def _check_user(self, session: aiohttp.ClientSession) -> None:
        """Refuse a token the forum takes for a guest (user 0): its smaller tree would archive channels."""
        url = URL(self.base_url + ME_PATH)
        page = await self._get_page(session, url, missing_ok=True)
        if page is None:
            return  # no users API here; the guest header on each page still gives a bad token away
        user = page.body.get("userID") if isinstance(page.body, Mapping) else None
        if user == 0:
            raise ForumSourceError(
                f"{url}: the forum took the API token for a guest (user 0): it has expired or been revoked;"
                f" {TOKEN_HINT}. Nothing was changed"
            )

    async def _fetch_all(self, session: aiohttp.ClientSession) -> list[tuple[Any, URL]]:
        # sort=categoryID: a stable order across pages (without it each page is tree-sorted on its own).
        url: URL | None = URL(self.categories_url).with_query(
            outputFormat="flat", limit=self._page_size, page=1, sort="categoryID"
        )
        items: list[tuple[Any, URL]] = []
        seen: set[URL] = set()
        while url is not None:
            if url in seen:
                raise ForumSourceError(f"{url}: the forum's paging leads back to a page already read")
            if len(seen) >= MAX_PAGES:
                raise ForumSourceError(f"{url}: more than {MAX_PAGES} pages of categories; stopped")
            seen.add(url)
            page = await self._get_page(session, url)
            assert page is not None
            if not isinstance(page.body, list):
                body = page.body
                shape = f"an object with keys {', '.join(sorted(body)[:5])}" if isinstance(body, dict) else "not a list"
                raise ForumSourceError(f"{url}: expected a JSON list of categories, got {shape}")
            items.extend((item, url) for item in page.body)
            url = self._next(page)
        return items

    def _next(self, page: _Page) -> URL | None:
        """The next page's URL, from Vanilla's paging headers; raise when there is no way to know."""
        headers = page.headers
        link = page.links.get("next")
        if page.links:
            target = link.get("url") if link is not None else None
        elif "x-app-page-next-url" in headers:
            target = page.url.join(URL(headers["x-app-page-next-url"]))
        elif any(f"x-app-page-{rel}-url" in headers for rel in ("first", "last", "prev")):
            target = None  # Vanilla sends each link as x-app-page-{rel}-url too: no next one, no next page
        elif "x-app-page-result-count" in headers and "x-app-page-limit" in headers:
            try:
                current = int(headers.get("x-app-page-current", page.url.query.get("page", "1")))
                total, limit = int(headers["x-app-page-result-count"]), int(headers["x-app-page-limit"])
            except ValueError:
                raise ForumSourceError(f"{page.url}: the forum's x-app-page-* headers are not numbers") from None
            target = page.url.update_query(page=current + 1) if limit > 0 and current * limit < total else None
        else:
            # A short page does not mean the last one (Vanilla filters each page after slicing it):
            # without paging headers the tree could be cut short, and a short tree archives channels.
            raise ForumSourceError(
                f"{page.url}: the forum's answer has no paging information (no Link header, no x-app-page-*"
                " headers; a proxy may strip them), so the tree may be incomplete; nothing was read"
            )
        if target is None:
            return None
        if not isinstance(target, URL):
            raise ForumSourceError(f"{page.url}: the forum's next-page link is not a URL")
        if target.origin() != (self._origin or page.url.origin()):
            # The token goes with every request: never to another host, port or to plain http.
            raise ForumSourceError(
                f"{page.url}: the forum's next page is at {target.origin()}, not {self.base_url}; not followed"
            )
        return target

    async def _get_page(self, session: aiohttp.ClientSession, url: URL, *, missing_ok: bool = False) -> _Page | None:
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        problem = ""
        for attempt in range(1, self._attempts + 1):
            try:
                async with session.get(url, headers=headers, timeout=self._timeout, allow_redirects=False) as response:
                    if missing_ok and response.status == 404:
                        return None
                    refusal = _refusal(response.status, bool(self._token))
                    if refusal is not None:
                        raise ForumSourceError(f"{url}: {refusal}")
                    if response.status == 429 or response.status >= 500:
                        problem = f"HTTP {response.status} {response.reason or ''}".rstrip()
                    elif 300 <= response.status < 400:
                        # Not followed: the token would go with it, wherever it points.
                        where = response.headers.get("Location", "?")
                        raise ForumSourceError(
                            f"{url}: HTTP {response.status}: the forum redirects to {where};"
                            " set FORUM_BRIDGE_VANILLA_URL to the forum's own address"
                        )
                    elif response.status >= 400:
                        raise ForumSourceError(f"{url}: HTTP {response.status} {response.reason or ''}".rstrip())
                    else:
                        if "invalid_token" in response.headers.get("X-WWW-Authenticate", ""):
                            # Vanilla answers a token it does not accept as a guest, with 200 and fewer categories.
                            raise ForumSourceError(
                                f"{url}: the forum did not accept the API token (it answered as a guest, with"
                                f' X-WWW-Authenticate: error="invalid_token"): it has expired or been revoked;'
                                f" {TOKEN_HINT}. Nothing was changed"
                            )
                        raw = await response.read()
                        body = _json(raw, url, response.headers.get("Content-Type", "?"))
                        return _Page(body, response.headers, response.links, url)
            except TimeoutError:
                problem = f"no answer within {self._timeout.total:g}s"
            except aiohttp.ClientError as exc:
                problem = f"network error ({exc.__class__.__name__}: {exc})"
            if attempt < self._attempts:
                delay = self._backoff * 2 ** (attempt - 1)
                log.warning(
                    "%s: %s; trying again in %.1fs (attempt %d of %d)", url, problem, delay, attempt, self._attempts
                )
                await self._sleep(delay)
        raise ForumSourceError(f"{url}: {problem}, {self._attempts} times in a row; nothing was changed")


def _public_only(
    categories: Sequence[ForumCategory], flags: Mapping[int, tuple[bool, bool]], *, has_token: bool
) -> tuple[list[ForumCategory], list[str]]:
    """The categories that may become public channels, and a line for each one left out and why.

    Archived categories are left out (their channels, if any, go to the archive, read-only). With a
    token, the forum also lists categories with their own permissions (``customPermissions``: often
    staff-only) and everything inside them (Vanilla's children share their parent's permissions): the
    mirror cannot tell whether guests see them, and a Discord channel it makes is public, so they are
    left out too. Without a token, the forum lists only what a guest may see.
    """
    by_id = {c.id: c for c in categories}
    reasons: dict[int, str] = {}

    def reason(category: ForumCategory) -> str:
        # Parents never loop here: check_parents has refused that already.
        if category.id in reasons:
            return reasons[category.id]
        private, archived = flags.get(category.id, (False, False))
        why = ""
        if archived:
            why = "archived on the forum"
        elif private and has_token:
            why = "it has its own permissions on the forum (it may be staff-only), and mirrored channels are public"
        elif category.parent_id in by_id and reason(by_id[category.parent_id]):
            why = f"inside «{by_id[category.parent_id].name}», which is left out"
        reasons[category.id] = why
        return why

    kept, left_out = [], []
    for category in categories:
        why = reason(category)
        if why:
            left_out.append(f"«{category.name}» (forum {category.id}): {why}")
        else:
            kept.append(category)
    return kept, left_out


def _json(raw: bytes, url: URL, content_type: str) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        start = " ".join(text[:60].split())
        raise ForumSourceError(
            f"{url}: the answer is not JSON (Content-Type {content_type}; it starts {start!r})"
        ) from None


def _category(item: Any, url: URL, index: int) -> ForumCategory | None:
    """One API category, checked; None for the forum's root (id -1), which is not a real category."""
    if not isinstance(item, Mapping):
        raise ForumSourceError(f"{url}: category #{index + 1} is not a JSON object")
    category_id = item.get("categoryID")
    if not isinstance(category_id, int) or isinstance(category_id, bool):
        raise ForumSourceError(f"{url}: category #{index + 1} has no numeric categoryID")
    if category_id <= 0:
        return None
    name = item.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ForumSourceError(f"{url}: category {category_id} has no name")
    parent = item.get("parentCategoryID")
    if parent is not None and (not isinstance(parent, int) or isinstance(parent, bool)):
        raise ForumSourceError(f"{url}: category {category_id} has a parentCategoryID that is not a number")
    raw_display = str(item.get("displayAs") or "discussions").lower()
    try:
        display_as = DisplayAs(raw_display)
    except ValueError:
        log.warning("%s: category %s has displayAs %r; treated as discussions", url, category_id, raw_display)
        display_as = DisplayAs.DISCUSSIONS
    sort = item.get("sort")
    return ForumCategory(
        id=category_id,
        name=name.strip(),
        urlcode=_optional_text(item, "urlcode"),
        description=_optional_text(item, "description"),
        url=_optional_text(item, "url"),
        # Vanilla sends null at the top (CategoryModel::normalizeRow); older forums sent -1.
        parent_id=parent if isinstance(parent, int) and parent > 0 else None,
        display_as=display_as,
        # "sort" is the forum's tree position: siblings are ordered by it. The list itself is in id
        # order (sort=categoryID), which says nothing about where a category is shown.
        order=sort if isinstance(sort, int) and not isinstance(sort, bool) else index,
    )


def _optional_text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""
