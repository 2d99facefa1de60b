"""The Vanilla API client against a local aiohttp server that answers like a Vanilla forum."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from bot.mirror.model import DisplayAs
from bot.mirror.source import ForumSourceError
from bot.mirror.vanilla import VanillaClient


def vanilla_category(
    category_id: int, name: str, parent: int, display_as: str, depth: int, **extra: Any
) -> dict[str, Any]:
    """A category as GET /api/v2/categories?outputFormat=flat returns it."""
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
        "children": [],
        "dateInserted": "2012-03-01T14:00:00+00:00",
        "iconUrl": None,
        "bannerUrl": None,
        **extra,
    }


CATEGORIES = [
    vanilla_category(1, "Back Pain and Neck Pain", -1, "heading", 1),
    vanilla_category(10, "Lower Back Pain", 1, "discussions", 2),
    vanilla_category(2, "Treatment", -1, "Heading", 1),
    vanilla_category(20, "Back Surgery and Neck Surgery", 2, "discussions", 2),
    vanilla_category(21, "Injections", 2, "discussions", 2),
]


@dataclass
class Forum:
    """A local Vanilla forum: what it serves and what it was asked."""

    categories: list[dict[str, Any]] = field(default_factory=lambda: list(CATEGORIES))
    # Called per request before the normal answer; may return a response to send instead.
    intercept: Callable[[web.Request, int], Any] | None = None
    link_style: str = "absolute"  # "absolute", "relative" or "none"
    requests: list[web.Request] = field(default_factory=list)
    base_url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /api/v2/categories with Vanilla's numbered paging."""
        self.requests.append(request)
        if self.intercept is not None:
            answer = self.intercept(request, len(self.requests))
            if asyncio.iscoroutine(answer):
                answer = await answer
            if answer is not None:
                return answer  # type: ignore[no-any-return]
        page = int(request.query.get("page", "1"))
        limit = int(request.query.get("limit", "30"))
        rows = self.categories[(page - 1) * limit : page * limit]
        headers = {}
        if page * limit < len(self.categories) and self.link_style != "none":
            query = f"?outputFormat=flat&limit={limit}&page={page + 1}"
            base = self.base_url if self.link_style == "absolute" else ""
            first = f'<{base}/api/v2/categories?outputFormat=flat&limit={limit}&page=1>; rel="first"'
            headers["Link"] = f'{first}, <{base}/api/v2/categories{query}>; rel="next"'
        return web.json_response(rows, headers=headers)


@pytest.fixture
async def forum() -> AsyncIterator[Forum]:
    """A Vanilla forum on a loopback port."""
    state = Forum()
    app = web.Application()
    app.router.add_get("/api/v2/categories", state.handle)
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
    tree = await client(forum, token="s3cret", page_size=2).fetch_tree()
    assert [c.id for c in tree.categories] == [1, 10, 2, 20, 21]
    assert tree.source == f"{forum.base_url}/api/v2/categories"
    assert [r.query.get("page") for r in forum.requests] == ["1", "2", "3"]
    assert all(r.query.get("outputFormat") == "flat" and r.query.get("limit") == "2" for r in forum.requests)
    assert {r.headers.get("Authorization") for r in forum.requests} == {"Bearer s3cret"}
    surgery = tree.categories[3]
    assert (surgery.name, surgery.urlcode, surgery.parent_id, surgery.display_as) == (
        "Back Surgery and Neck Surgery",
        "back-surgery-and-neck-surgery",
        2,
        DisplayAs.DISCUSSIONS,
    )
    assert surgery.url == "https://forum.spine-health.com/categories/back-surgery-and-neck-surgery"
    assert surgery.description == "All about back surgery and neck surgery."
    top = tree.categories[0]
    assert (top.parent_id, top.display_as) == (None, DisplayAs.HEADING)  # parentCategoryID -1 is the root
    assert tree.categories[2].display_as is DisplayAs.HEADING  # "Heading": any case
    assert [c.order for c in tree.categories] == [0, 1, 2, 3, 4]  # the flat list's order


async def test_relative_next_links_and_no_token(forum: Forum) -> None:
    forum.link_style = "relative"
    tree = await client(forum, page_size=2).fetch_tree()
    assert len(tree.categories) == 5
    assert "Authorization" not in forum.requests[0].headers


async def test_without_a_link_header_a_full_page_means_ask_for_the_next(forum: Forum) -> None:
    forum.link_style = "none"
    tree = await client(forum, page_size=2).fetch_tree()
    assert len(tree.categories) == 5
    assert [r.query.get("page") for r in forum.requests] == ["1", "2", "3"]


async def test_sort_orders_and_the_root_is_skipped(forum: Forum) -> None:
    forum.categories = [
        vanilla_category(-1, "Root", -1, "categories", 0),
        vanilla_category(10, "B", -1, "discussions", 1, sort=2),
        vanilla_category(11, "A", -1, "discussions", 1, sort=1),
        vanilla_category(12, "Odd", -1, "nested", 1, parentCategoryID=None, description=None),
    ]
    tree = await client(forum).fetch_tree()
    assert [(c.id, c.order, c.parent_id) for c in tree.categories] == [(10, 2, None), (11, 1, None), (12, 3, None)]
    assert tree.categories[2].display_as is DisplayAs.DISCUSSIONS
    assert tree.categories[2].description == ""


@pytest.mark.parametrize(
    ("status", "words"),
    [
        (401, "401 Unauthorized: the forum did not accept the API token"),
        (403, "403 Forbidden"),
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
    assert message.startswith(f"{forum.base_url}/api/v2/categories?outputFormat=flat&limit=100&page=1: ")
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
    forum.intercept = lambda request, n: web.Response(status=502) if request.query.get("page") == "2" else None
    with pytest.raises(ForumSourceError, match=r"page=2: HTTP 502"):
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
    forum.intercept = lambda request, n: web.json_response(body)
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
