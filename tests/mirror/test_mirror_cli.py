"""`python -m bot mirror preview`: the desired tree from the file or the API, printed; errors on stderr."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bot.cli import build_parser
from bot.mirror.cli import run_preview
from tests.mirror.test_vanilla import CATEGORIES


def preview(**options: object) -> tuple[int, str, str]:
    """Run the preview with no environment; (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    status = run_preview(environ={}, dotenv=None, out=out, err=err, **options)  # type: ignore[arg-type]
    return status, out.getvalue(), err.getvalue()


def test_the_shipped_file_by_default() -> None:
    status, out, err = preview()
    assert status == 0
    assert err == ""
    lines = out.splitlines()
    assert lines[0].endswith("data/forum.toml: 5 categories, 29 text channels.")
    assert '"Treatment"  [forum 2: Treatment]' in lines
    assert "    #back-surgery-and-neck-surgery  [forum 20: Treatment › Back Surgery and Neck Surgery]" in lines


def test_forum_channels_and_another_file(tmp_path: Path) -> None:
    forum = tmp_path / "forum.toml"
    forum.write_text('[[category]]\nid = 7\nname = "Gout"\nurlcode = "gout"\n', encoding="utf-8")
    status, out, _ = preview(file=forum, channels="forum")
    assert status == 0
    assert f"From {forum}: 0 categories, 1 forum channel." in out
    assert "forum #gout  [forum 7: Gout]" in out


def test_errors_go_to_stderr_with_status_2(tmp_path: Path) -> None:
    status, out, err = preview(file=tmp_path / "nope.toml")
    assert (status, out) == (2, "")
    assert err == f"error: {tmp_path / 'nope.toml'}: no such file\n"
    status, out, err = preview(source="vanilla")
    assert (status, out) == (2, "")
    assert "FORUM_BRIDGE_VANILLA_URL must be set" in err


class _Forum(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        # Recorded before answering: once the client has its answer, the test may look at once.
        type(self).seen.append((self.path, self.headers.get("Authorization")))  # type: ignore[attr-defined]
        me = self.path.startswith("/api/v2/users/me")
        body = json.dumps({"userID": 5, "name": "api"} if me else CATEGORIES).encode()
        self.send_response(200)
        if not me:  # one page, as Vanilla links it (Garden\Web\Pagination::getPageLinks)
            page = "</api/v2/categories?page=1>"
            self.send_header("Link", f'{page}; rel="first", {page}; rel="last"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def vanilla() -> Iterator[tuple[str, list[tuple[str, str | None]]]]:
    """A Vanilla forum in a thread (the CLI runs its own event loop)."""
    seen: list[tuple[str, str | None]] = []
    handler = type("Handler", (_Forum,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_the_vanilla_api_with_the_token_from_the_named_variable(
    vanilla: tuple[str, list[tuple[str, str | None]]],
) -> None:
    url, seen = vanilla
    out, err = io.StringIO(), io.StringIO()
    environ = {"FORUM_BRIDGE_VANILLA_TOKEN_ENV": "FORUM_TOKEN", "FORUM_TOKEN": "va.123"}
    status = run_preview(source="vanilla", base_url=url, environ=environ, dotenv=None, out=out, err=err)
    assert status == 0, err.getvalue()
    assert f"From {url}/api/v2/categories: 2 categories, 3 text channels." in out.getvalue()
    assert seen == [
        ("/api/v2/users/me", "Bearer va.123"),
        ("/api/v2/categories?outputFormat=flat&limit=100&page=1&sort=categoryID", "Bearer va.123"),
    ]


def test_the_command_line_parses() -> None:
    args = build_parser().parse_args(["mirror", "preview", "--source", "vanilla", "--base-url", "https://f.example"])
    assert (args.command, args.mirror_command, args.source, args.base_url) == (
        "mirror",
        "preview",
        "vanilla",
        "https://f.example",
    )
    with pytest.raises(SystemExit):
        build_parser().parse_args(["mirror"])
