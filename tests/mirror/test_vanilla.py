"""The Vanilla API client against a local aiohttp server that answers like a Vanilla forum."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
from aiohttp import web

from bot.mirror.model import DisplayAs
from bot.mirror.plan import desired_tree
from bot.mirror.source import ForumSourceError
from bot.mirror.vanilla import VanillaClient

# The forum below answers as Vanilla's own code does (vanilla/vanilla, release/2025.010):
# - applications/vanilla/controllers/api/CategoriesApiController.php, index(): the query schema
#   (getIndexSchema: page 1..Vanilla.Categories.MaxPages (100, CategoryModel::getMaxPages), limit
#   1..APIv2.MaxLimit (500, ApiUtils::getMaxLimit), default 30; sort one of categoryID, name,
#   dateFollowed, optionally with "-"), the visible-ids filter in the WHERE (a guest sees fewer),
#   the offset slice, then getCategoriesWhere(): the root (-1) dropped and
#   CategoryModel::filterExistingCategoryPermissions() run on the page after slicing (a page can
#   come back short, or empty, while more pages exist); without `sort`, each page on its own is
#   tree-sorted by `sort` (treeNormalizedBuilder()->sort: TreeBuilder::sort, unreachable nodes kept).
# - CategoryModel::normalizeRow(): parentCategoryID null at the top, displayAs lowercased,
#   customPermissions = (PermissionCategoryID == CategoryID); flat rows carry no children.
# - ApiUtils::numberedPagerInfo() + Garden\Web\Pagination::getPageLinks(): rel first, prev, next
#   (while page < pageCount), last; Pagination::tryCursorPagination(): with sort=categoryID and a full
#   page, the links become categoryID=>=(last id + 1)&page=1.
# - Garden\Web\Data::applyMetaHeaders() and Vanilla\Web\Pagination\WebLinking::setHeader(): the
#   Link header, and x-app-page-{rel}-url, x-app-page-current, x-app-page-result-count, x-app-page-limit.
# - applications/dashboard/settings/class.hooks.php, checkAccessToken(): a bearer token that fails
#   AccessTokenModel::verify() is not an error: the request goes on as a guest, with the header
#   X-WWW-Authenticate: error="invalid_token"; UsersApiController::get_me() then answers userID 0.
TOKEN = "s3cret"
SORTS = {"categoryID", "-categoryID", "name", "-name", "dateFollowed", "-dateFollowed"}


def vanilla_category(
    category_id: int, name: str, parent: int | None, display_as: str, depth: int, sort: int, **extra: Any
) -> dict[str, Any]:
    """A category as GET /api/v2/categories?outputFormat=flat returns it (CategoryModel::normalizeRow)."""
    urlcode = name.lower().replace(" ", "-")
    return {
        "categoryID": category_id,
        "name": name,
        "description": f"All about {name.lower()}.",
        "parentCategoryID": parent,
        "customPermissions": False,
        "isArchived": False,
        "urlcode": urlcode,
        "url": f"https://forum.spine-health.com/categories/{urlcode}",
        "displayAs": display_as,
        "countCategories": 0,
        "countDiscussions": 1520,
        "countComments": 18044,
        "countAllDiscussions": 1520,
        "countAllComments": 18044,
        "followed": False,
        "depth": depth,
        "sort": sort,
        "dateInserted": "2012-03-01T14:00:00+00:00",
        "iconUrl": None,
        "bannerUrl": None,
        **extra,
    }


# Ids out of the forum's order: the order comes from `sort`, never from the ids or the list.
CATEGORIES = [
    vanilla_category(1, "Back Pain and Neck Pain", None, "heading", 1, 1),
    vanilla_category(2, "Treatment", None, "heading", 1, 3),
    vanilla_category(10, "Lower Back Pain", 1, "discussions", 2, 2),
    vanilla_category(20, "Back Surgery and Neck Surgery", 2, "discussions", 2, 5),
    vanilla_category(21, "Injections", 2, "discussions", 2, 4),
]


def _tree_sorted(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """TreeBuilder::sort over one page: depth first by `sort`; rows whose parent is not on the page are roots."""
    ids = {row["categoryID"] for row in rows}
    children: dict[int | None, list[dict[str, Any]]] = {}
    for row in rows:
        parent = row["parentCategoryID"] if row["parentCategoryID"] in ids else None
        children.setdefault(parent, []).append(row)
    out: list[dict[str, Any]] = []

    def walk(parent: int | None) -> None:
        for row in sorted(children.get(parent, []), key=lambda r: r["sort"]):
            out.append(row)
            walk(row["categoryID"])

    walk(None)
    return out


@dataclass
class Forum:
    """A local Vanilla forum: what it serves, to whom, and what it was asked."""

    categories: list[dict[str, Any]] = field(default_factory=lambda: list(CATEGORIES))
    hidden_from_guests: set[int] = field(default_factory=set)  # not in a guest's getVisibleCategoryIDs()
    filtered_late: set[int] = field(default_factory=set)  # dropped by filterExistingCategoryPermissions()
    private: bool = False  # a private community: guests may not use the API (403)
    strip: tuple[str, ...] = ()  # response headers a proxy removes (lowercase names)
    relative_links: bool = False
    # Called per request before the normal answer; may return a response to send instead.
    intercept: Callable[[web.Request, int], Any] | None = None
    requests: list[web.Request] = field(default_factory=list)
    base_url: str = ""

    def _user(self, request: web.Request) -> tuple[bool, dict[str, str]]:
        """(signed in, headers to add), as checkAccessToken() leaves the session."""
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return False, {}
        if auth.removeprefix("Bearer ").strip() == TOKEN:
            return True, {}
        return False, {"X-WWW-Authenticate": 'error="invalid_token", error_description="Access token not found."'}

    def _answer(self, body: Any, headers: dict[str, str], status: int = 200) -> web.Response:
        kept = {k: v for k, v in headers.items() if k.lower() not in self.strip}
        return web.json_response(body, headers=kept, status=status)

    async def _intercepted(self, request: web.Request) -> web.StreamResponse | None:
        self.requests.append(request)
        if self.intercept is None:
            return None
        answer = self.intercept(request, len(self.requests))
        if asyncio.iscoroutine(answer):
            answer = await answer
        return answer  # type: ignore[no-any-return]

    async def me(self, request: web.Request) -> web.StreamResponse:
        """GET /api/v2/users/me (UsersApiController::get_me): a guest is user 0."""
        answer = await self._intercepted(request)
        if answer is not None:
            return answer
        signed_in, headers = self._user(request)
        body = {"userID": 2, "name": "api-admin"} if signed_in else {"userID": 0, "name": "Guest"}
        return self._answer(body, headers)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /api/v2/categories as CategoriesApiController::index() answers it."""
        answer = await self._intercepted(request)
        if answer is not None:
            return answer
        signed_in, headers = self._user(request)
        if self.private and not signed_in:
            return self._answer({"message": "Permission Problem", "status": 403}, headers, 403)
        query = request.query
        try:
            page, limit = int(query.get("page", "1")), int(query.get("limit", "30"))
        except ValueError:
            return self._answer({"message": "page and limit are integers", "status": 422}, headers, 422)
        if not 1 <= page <= 100 or not 1 <= limit <= 500 or query.get("sort", "categoryID") not in SORTS:
            return self._answer({"message": "Validation failed.", "status": 422}, headers, 422)
        visible = [c for c in self.categories if signed_in or c["categoryID"] not in self.hidden_from_guests]
        rows = sorted((c for c in visible if c["categoryID"] > 0), key=lambda c: c["categoryID"])
        if query.get("categoryID", "").startswith(">="):
            rows = [c for c in rows if c["categoryID"] >= int(query["categoryID"][2:])]
        total = len(rows)
        page_rows = [c for c in rows[(page - 1) * limit : page * limit] if c["categoryID"] not in self.filtered_late]
        if "sort" not in query:
            page_rows = _tree_sorted(page_rows)
        base = "" if self.relative_links else self.base_url
        args = [(k, v) for k, v in query.items() if k != "page"]
        url_format = f"{base}/api/v2/categories?page=%s&" + "&".join(f"{k}={quote(v)}" for k, v in args)
        if query.get("sort") == "categoryID" and page_rows and len(page_rows) == limit:
            cursor = [(k, v) for k, v in args if k != "categoryID"]
            cursor.append(("categoryID", f">={page_rows[-1]['categoryID'] + 1}"))
            url_format = f"{base}/api/v2/categories?" + "&".join(f"{k}={quote(v)}" for k, v in cursor) + "&page=1"
        page_count = max(1, -(-total // limit))
        links = [("first", 1)]
        if page > 1:
            links.append(("prev", page - 1))
        if page < page_count:
            links.append(("next", page + 1))
        links.append(("last", page_count))
        link_urls = [(rel, url_format.replace("%s", str(n))) for rel, n in links]
        headers["Link"] = ", ".join(f'<{url}>; rel="{rel}"' for rel, url in link_urls)
        headers.update({f"x-app-page-{rel}-url": url for rel, url in link_urls})
        headers.update(
            {"x-app-page-current": str(page), "x-app-page-result-count": str(total), "x-app-page-limit": str(limit)}
        )
        return self._answer(page_rows, headers)


@pytest.fixture
async def forum() -> AsyncIterator[Forum]:
    """A Vanilla forum on a loopback port."""
    state = Forum()
    app = web.Application()
    app.router.add_get("/api/v2/categories", state.handle)
    app.router.add_get("/api/v2/users/me", state.me)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    state.base_url = f"http://127.0.0.1:{port}"
    try:
        yield state
    finally:
        await runner.shutdown()
        await runner.cleanup()


class Sleeps:
    """Records the client's back-off sleeps instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def client(forum: Forum, **options: Any) -> VanillaClient:
    """A client of the local forum that never really sleeps between attempts."""
    options.setdefault("sleep", Sleeps())
    return VanillaClient(forum.base_url, **options)


async def test_every_page_is_read_following_the_link_header(forum: Forum) -> None:
    tree = await client(forum, token=TOKEN, page_size=2).fetch_tree()
    assert sorted(c.id for c in tree.categories) == [1, 2, 10, 20, 21]
    assert tree.source == f"{forum.base_url}/api/v2/categories"
    assert tree.left_out == ()
    me, *pages = forum.requests
    assert me.path == "/api/v2/users/me"
    assert [(r.query.get("page"), r.query.get("categoryID")) for r in pages] == [
        ("1", None),
        ("1", ">=3"),
        ("1", ">=21"),
    ]
    assert all(r.query.get("outputFormat") == "flat" and r.query.get("limit") == "2" for r in pages)
    assert all(r.query.get("sort") == "categoryID" for r in pages)  # a stable order across pages
    assert {r.headers.get("Authorization") for r in forum.requests} == {f"Bearer {TOKEN}"}
    by_id = {c.id: c for c in tree.categories}
    surgery = by_id[20]
    assert (surgery.name, surgery.urlcode, surgery.parent_id, surgery.display_as) == (
        "Back Surgery and Neck Surgery",
        "back-surgery-and-neck-surgery",
        2,
        DisplayAs.DISCUSSIONS,
    )
    assert surgery.url == "https://forum.spine-health.com/categories/back-surgery-and-neck-surgery"
    assert surgery.description == "All about back surgery and neck surgery."
    assert (by_id[1].parent_id, by_id[1].display_as) == (None, DisplayAs.HEADING)  # parentCategoryID null
    # Siblings follow the forum's `sort`, not the ids: Injections (21) before Surgery (20).
    channels = [d.name for d in desired_tree(tree.categories).channels]
    assert channels == [
        "Back Pain and Neck Pain",
        "lower-back-pain",
        "Treatment",
        "injections",
        "back-surgery-and-neck-surgery",
    ]


async def test_why_the_client_asks_for_sort_the_forum_tree_sorts_each_page_on_its_own(forum: Forum) -> None:
    async with aiohttp.ClientSession() as session:
        pages = []
        for page in (1, 2):
            url = f"{forum.base_url}/api/v2/categories?outputFormat=flat&limit=3&page={page}"
            async with session.get(url) as response:
                pages.append([row["categoryID"] for row in await response.json()])
    # Each page is an id slice ({1, 2, 10}, {20, 21}) in tree order within itself: the list's order across
    # pages is neither the ids' nor the forum's, so only `sort` can order siblings.
    assert pages == [[1, 10, 2], [21, 20]]


async def test_relative_next_links_and_no_token(forum: Forum) -> None:
    forum.relative_links = True
    tree = await client(forum, page_size=2).fetch_tree()
    assert len(tree.categories) == 5
    assert all("Authorization" not in r.headers for r in forum.requests)
    assert all(r.path == "/api/v2/categories" for r in forum.requests)  # no /users/me without a token


async def test_short_pages_are_not_the_end_while_the_forum_says_next(forum: Forum) -> None:
    forum.filtered_late = {1, 2}  # page 1 comes back empty, permission-filtered after slicing
    tree = await client(forum, token=TOKEN, page_size=2).fetch_tree()
    assert sorted(c.id for c in tree.categories) == [10, 20, 21]


@pytest.mark.parametrize(
    "strip",
    [("link",), ("link", "x-app-page-next-url", "x-app-page-first-url", "x-app-page-last-url", "x-app-page-prev-url")],
)
async def test_without_a_link_header_vanillas_own_paging_headers_are_used(forum: Forum, strip: tuple[str, ...]) -> None:
    forum.strip = strip
    forum.filtered_late = {2}  # a short first page: "a full page means more" would stop here
    tree = await client(forum, token=TOKEN, page_size=2).fetch_tree()
    assert sorted(c.id for c in tree.categories) == [1, 10, 20, 21]


async def test_without_any_paging_headers_nothing_is_guessed(forum: Forum) -> None:
    forum.strip = (
        "link",
        "x-app-page-next-url",
        "x-app-page-first-url",
        "x-app-page-last-url",
        "x-app-page-prev-url",
        "x-app-page-current",
        "x-app-page-result-count",
        "x-app-page-limit",
    )
    with pytest.raises(ForumSourceError, match=r"no paging information .* the tree may be incomplete"):
        await client(forum, token=TOKEN, page_size=100).fetch_tree()


@pytest.mark.parametrize("elsewhere", ["http://forum.evil.example", "https://127.0.0.1:{port}", "http://127.0.0.1:9"])
async def test_a_next_link_to_another_origin_is_refused(forum: Forum, elsewhere: str) -> None:
    port = forum.base_url.rsplit(":", 1)[1]
    target = elsewhere.format(port=port) + "/api/v2/categories?page=2"

    def away(request: web.Request, n: int) -> web.Response | None:
        if request.path.endswith("/me"):
            return None
        return web.json_response(CATEGORIES[:1], headers={"Link": f'<{target}>; rel="next"'})

    forum.intercept = away
    with pytest.raises(ForumSourceError, match=r"the forum's next page is at .*; not followed"):
        await client(forum, token=TOKEN).fetch_tree()
    assert [r.path for r in forum.requests] == ["/api/v2/users/me", "/api/v2/categories"]


async def test_a_redirect_is_not_followed_with_the_token(forum: Forum) -> None:
    forum.intercept = lambda request, n: web.Response(status=301, headers={"Location": "https://elsewhere.example/"})
    with pytest.raises(ForumSourceError, match=r"HTTP 301: the forum redirects to https://elsewhere.example/"):
        await client(forum).fetch_tree()
    assert len(forum.requests) == 1


async def test_an_expired_token_is_an_error_not_a_guests_smaller_tree(forum: Forum) -> None:
    forum.hidden_from_guests = {2, 20, 21}  # one heading (and its categories) hidden from guests
    with pytest.raises(ForumSourceError, match=r"did not accept the API token \(it answered as a guest, with X-WWW"):
        await client(forum, token="expired").fetch_tree()


async def test_an_expired_token_is_caught_by_users_me_when_a_proxy_strips_the_header(forum: Forum) -> None:
    forum.hidden_from_guests = {2, 20, 21}
    forum.strip = ("x-www-authenticate",)
    with pytest.raises(ForumSourceError) as caught:
        await client(forum, token="expired").fetch_tree()
    assert "users/me: the forum took the API token for a guest (user 0): it has expired or been revoked" in str(
        caught.value
    )
    assert [r.path for r in forum.requests] == ["/api/v2/users/me"]


async def test_an_expired_token_is_caught_on_the_categories_without_users_me(forum: Forum) -> None:
    forum.hidden_from_guests = {2, 20, 21}
    forum.intercept = lambda request, n: web.Response(status=404) if request.path.endswith("/me") else None
    with pytest.raises(ForumSourceError, match=r"categories\?.*: the forum did not accept the API token"):
        await client(forum, token="expired").fetch_tree()


async def test_private_and_archived_categories_are_left_out_and_said_why(forum: Forum) -> None:
    forum.categories = [
        *CATEGORIES,
        vanilla_category(3, "Staff Room", None, "heading", 1, 6, customPermissions=True),
        vanilla_category(30, "Moderator Notes", 3, "discussions", 2, 7),
        vanilla_category(40, "Old Surveys", None, "discussions", 1, 8, isArchived=True),
    ]
    forum.hidden_from_guests = {3, 30}
    tree = await client(forum, token=TOKEN).fetch_tree()
    assert sorted(c.id for c in tree.categories) == [1, 2, 10, 20, 21]
    assert tree.left_out == (
        "«Staff Room» (forum 3): it has its own permissions on the forum (it may be staff-only),"
        " and mirrored channels are public",
        "«Moderator Notes» (forum 30): inside «Staff Room», which is left out",
        "«Old Surveys» (forum 40): archived on the forum",
    )
    assert desired_tree(tree.categories, left_out=tree.left_out).warnings[0].startswith("not mirrored: «Staff Room»")
    # A guest sees only what guests may see: a category with its own permissions that a guest gets is public.
    forum.hidden_from_guests = set()
    guest = await client(forum).fetch_tree()
    assert sorted(c.id for c in guest.categories) == [1, 2, 3, 10, 20, 21, 30]


async def test_the_client_stays_within_vanillas_limits(forum: Forum) -> None:
    with pytest.raises(ForumSourceError, match="HTTP 422"):
        await client(forum, page_size=501).fetch_tree()
    tree = await client(forum, page_size=500).fetch_tree()
    assert len(tree.categories) == 5


async def test_a_parent_loop_from_the_api_names_the_url(forum: Forum) -> None:
    forum.categories = [
        vanilla_category(1, "A", 10, "heading", 1, 1),
        vanilla_category(10, "B", 1, "discussions", 2, 2),
    ]
    with pytest.raises(ForumSourceError, match=r"/api/v2/categories: categories 1, 10 are each other's parents"):
        await client(forum).fetch_tree()


async def test_sort_orders_and_the_root_is_skipped(forum: Forum) -> None:
    forum.intercept = lambda request, n: web.json_response(
        [
            vanilla_category(-1, "Root", None, "categories", 0, 0),
            vanilla_category(10, "B", None, "discussions", 1, 2),
            vanilla_category(11, "A", -1, "discussions", 1, 1),  # older forums sent -1 at the top
            vanilla_category(12, "Odd", None, "nested", 1, 3, description=None),
        ],
        headers={"Link": '<http://x/>; rel="first"'},
    )
    tree = await client(forum).fetch_tree()
    assert [(c.id, c.order, c.parent_id) for c in tree.categories] == [(10, 2, None), (11, 1, None), (12, 3, None)]
    assert tree.categories[2].display_as is DisplayAs.DISCUSSIONS
    assert tree.categories[2].description == ""


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "401 Unauthorized: this forum needs a token"),
        (403, "403 Forbidden: this forum needs a token"),
        (404, "404 Not Found: there is no categories API at this address"),
        (400, "HTTP 400"),
    ],
)
async def test_refusals_name_the_url_and_are_not_retried(forum: Forum, status: int, words: str) -> None:
    forum.intercept = lambda request, n: web.json_response({"message": "no", "status": status}, status=status)
    sleeps = Sleeps()
    with pytest.raises(ForumSourceError) as caught:
        await client(forum, sleep=sleeps).fetch_tree()
    message = str(caught.value)
    assert message.startswith(
        f"{forum.base_url}/api/v2/categories?outputFormat=flat&limit=100&page=1&sort=categoryID: "
    )
    assert words in message
    assert len(forum.requests) == 1
    assert sleeps.delays == []


async def test_a_server_error_then_success_is_retried_with_back_off(forum: Forum) -> None:
    forum.intercept = lambda request, n: web.Response(status=500, text="oops") if n == 1 else None
    sleeps = Sleeps()
    tree = await client(forum, sleep=sleeps, backoff=0.5).fetch_tree()
    assert len(tree.categories) == 5
    assert len(forum.requests) == 2
    assert sleeps.delays == [0.5]


async def test_server_errors_that_do_not_stop_fail_after_the_attempts(forum: Forum) -> None:
    forum.intercept = lambda request, n: web.Response(status=503, reason="Service Unavailable")
    sleeps = Sleeps()
    with pytest.raises(ForumSourceError, match=r"HTTP 503 Service Unavailable, 3 times in a row; nothing was changed"):
        await client(forum, sleep=sleeps, backoff=1.0).fetch_tree()
    assert len(forum.requests) == 3
    assert sleeps.delays == [1.0, 2.0]


async def test_a_failing_later_page_returns_nothing_at_all(forum: Forum) -> None:
    forum.intercept = lambda request, n: web.Response(status=502) if n >= 2 else None
    with pytest.raises(ForumSourceError, match=r"categoryID=%3E%3D3.*: HTTP 502"):
        await client(forum, page_size=2).fetch_tree()


async def test_a_timeout_is_retried_then_reported(forum: Forum) -> None:
    async def slow(request: web.Request, n: int) -> None:
        await asyncio.sleep(0.5)

    forum.intercept = slow
    with pytest.raises(ForumSourceError, match=r"no answer within 0.05s, 2 times in a row"):
        await client(forum, timeout=0.05, attempts=2).fetch_tree()
    assert len(forum.requests) == 2


async def test_a_timeout_then_an_answer_succeeds(forum: Forum) -> None:
    async def slow_once(request: web.Request, n: int) -> None:
        if n == 1:
            await asyncio.sleep(0.5)

    forum.intercept = slow_once
    tree = await client(forum, timeout=0.2).fetch_tree()
    assert len(tree.categories) == 5


async def test_a_non_json_body_is_named(forum: Forum) -> None:
    page = "<!DOCTYPE html><html><body>Maintenance</body></html>"
    forum.intercept = lambda request, n: web.Response(text=page, content_type="text/html")
    with pytest.raises(ForumSourceError) as caught:
        await client(forum).fetch_tree()
    assert "the answer is not JSON (Content-Type text/html; charset=utf-8; it starts '<!DOCTYPE html>" in str(
        caught.value
    )
    assert str(caught.value).startswith(forum.base_url)
    assert len(forum.requests) == 1


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"message": "Page not found", "status": 200}, "expected a JSON list of categories, got an object with keys"),
        ("just a string", "expected a JSON list of categories, got not a list"),
        ([{"name": "No id"}], "category #1 has no numeric categoryID"),
        ([{"categoryID": "7", "name": "Text id"}], "category #1 has no numeric categoryID"),
        ([{"categoryID": 7, "name": ""}], "category 7 has no name"),
        ([{"categoryID": 7, "name": "X", "parentCategoryID": "1"}], "parentCategoryID that is not a number"),
        ([3], "category #1 is not a JSON object"),
    ],
)
async def test_a_wrong_shape_is_named(forum: Forum, body: Any, words: str) -> None:
    forum.intercept = lambda request, n: web.json_response(body, headers={"Link": f'<{request.url}>; rel="first"'})
    with pytest.raises(ForumSourceError, match=words):
        await client(forum).fetch_tree()


async def test_paging_that_loops_is_stopped(forum: Forum) -> None:
    def loop(request: web.Request, n: int) -> web.Response:
        return web.json_response(CATEGORIES[:1], headers={"Link": f'<{request.url}>; rel="next"'})

    forum.intercept = loop
    with pytest.raises(ForumSourceError, match="leads back to a page already read"):
        await client(forum).fetch_tree()
    assert len(forum.requests) == 1


async def test_nothing_listening_is_a_network_error() -> None:
    unused = VanillaClient("http://127.0.0.1:9", attempts=2, sleep=Sleeps())
    with pytest.raises(ForumSourceError, match=r"127\.0\.0\.1:9/api/v2/categories.*network error"):
        await unused.fetch_tree()
