"""Reading the category tree from a Vanilla forum's API v2 (``GET /api/v2/categories``), with aiohttp.

Every page is read, following the ``Link: <…>; rel="next"`` header, or nothing is returned:
a fetch that fails half way raises, so a partial tree can never be planned against (and the
categories it missed archived).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import aiohttp
from yarl import URL

from bot.mirror.model import DisplayAs, ForumCategory, ForumTree
from bot.mirror.source import ForumSourceError, check_parents

log = logging.getLogger(__name__)

CATEGORIES_PATH = "/api/v2/categories"
DEFAULT_PAGE_SIZE = 100
DEFAULT_TIMEOUT = 15.0
DEFAULT_ATTEMPTS = 3
MAX_PAGES = 200
_REFUSALS = {
    401: "401 Unauthorized: the forum did not accept the API token",
    403: "403 Forbidden: the token's user may not list categories",
    404: "404 Not Found: there is no categories API at this address (is the base URL the forum's own address?)",
}


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
            items = await self._fetch_all(session)
        finally:
            if self._session is None:
                await session.close()
        categories = []
        for index, (item, url) in enumerate(items):
            category = _category(item, url, index)
            if category is not None:
                categories.append(category)
        try:
            check_parents(categories)
        except ForumSourceError as exc:
            raise ForumSourceError(f"{self.categories_url}: {exc}") from None
        log.info("read %d categories from %s", len(categories), self.categories_url)
        return ForumTree(tuple(categories), self.categories_url)

    async def _fetch_all(self, session: aiohttp.ClientSession) -> list[tuple[Any, URL]]:
        page = 1
        url: URL | None = URL(self.categories_url).with_query(outputFormat="flat", limit=self._page_size, page=page)
        items: list[tuple[Any, URL]] = []
        seen: set[URL] = set()
        while url is not None:
            if url in seen:
                raise ForumSourceError(f"{url}: the forum's paging leads back to a page already read")
            if len(seen) >= MAX_PAGES:
                raise ForumSourceError(f"{url}: more than {MAX_PAGES} pages of categories; stopped")
            seen.add(url)
            body, next_url, has_links = await self._get_page(session, url)
            if not isinstance(body, list):
                shape = f"an object with keys {', '.join(sorted(body)[:5])}" if isinstance(body, dict) else "not a list"
                raise ForumSourceError(f"{url}: expected a JSON list of categories, got {shape}")
            items.extend((item, url) for item in body)
            if next_url is None and not has_links and len(body) >= self._page_size:
                # No Link header at all (a proxy may drop it) but a full page: there may be more.
                page = int(url.query.get("page", page)) + 1
                next_url = url.update_query(page=page)
            url = next_url
        return items

    async def _get_page(self, session: aiohttp.ClientSession, url: URL) -> tuple[Any, URL | None, bool]:
        headers = {"Accept": "application/json"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        problem = ""
        for attempt in range(1, self._attempts + 1):
            try:
                async with session.get(url, headers=headers, timeout=self._timeout, allow_redirects=True) as response:
                    if response.status in _REFUSALS:
                        raise ForumSourceError(f"{url}: {_REFUSALS[response.status]}")
                    if response.status == 429 or response.status >= 500:
                        problem = f"HTTP {response.status} {response.reason or ''}".rstrip()
                    elif response.status >= 400:
                        raise ForumSourceError(f"{url}: HTTP {response.status} {response.reason or ''}".rstrip())
                    else:
                        raw = await response.read()
                        body = _json(raw, url, response.headers.get("Content-Type", "?"))
                        link = response.links.get("next")
                        next_url = link.get("url") if link is not None else None
                        return body, next_url if isinstance(next_url, URL) else None, bool(response.links)
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
        parent_id=parent if isinstance(parent, int) and parent > 0 else None,
        display_as=display_as,
        # The flat list comes in the forum's display order; "sort", when given, is the same order.
        order=sort if isinstance(sort, int) and not isinstance(sort, bool) else index,
    )


def _optional_text(item: Mapping[str, Any], key: str) -> str:
    value = item.get(key)
    return value.strip() if isinstance(value, str) else ""
