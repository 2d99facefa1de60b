"""The engine is pure: no Discord, no database, no network — checked in a clean interpreter."""

from __future__ import annotations

import ast
import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.rules import AuthorFacts, Engine, MessageFacts, Policy

ROOT = Path(__file__).resolve().parents[2]


def test_importing_rules_loads_no_discord_or_database_module() -> None:
    # A fresh interpreter: this test process has discord loaded by other tests and plugins.
    code = (
        "import sys, json; import bot.rules; "
        "print(json.dumps(sorted(m for m in sys.modules "
        "if m.split('.')[0] in ('discord', 'aiosqlite', 'sqlite3', 'aiohttp', 'requests', 'socket'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    loaded = json.loads(result.stdout)
    assert not [name for name in loaded if name.split(".")[0] in ("discord", "aiosqlite", "aiohttp")], loaded


def test_engine_works_with_every_network_connection_failing(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # A fresh interpreter would build the suffix list from scratch: do that here too.
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('no network')\n"
        "socket.socket.connect = refuse; socket.create_connection = refuse; socket.getaddrinfo = refuse\n"
        "from bot.policy import load_policy_file\n"
        "from bot.rules import Engine, AuthorFacts, MessageFacts, Policy\n"
        "b = load_policy_file()\n"
        "v = Engine(b.lists).evaluate(AuthorFacts(1, approved_posts=3), "
        "MessageFacts('see pubmed.ncbi.nlm.nih.gov and example.co.uk'), b.policy)\n"
        "print(v.action.value, ','.join(l.domain for l in v.links))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.split() == ["block", "nih.gov,example.co.uk"]

    from bot.policy import load_policy_file

    bundle = load_policy_file()
    verdict = Engine(bundle.lists).evaluate(
        AuthorFacts(1, approved_posts=3), MessageFacts("read example.org"), bundle.policy
    )
    assert [link.domain for link in verdict.links] == ["example.org"]
    assert attempts == []


@settings(max_examples=400, deadline=None)
@given(text=st.text(max_size=300), embeds=st.lists(st.text(max_size=60), max_size=2))
def test_engine_never_raises_and_is_deterministic(engine: Engine, text: str, embeds: list[str]) -> None:
    author = AuthorFacts(user_id=1, approved_posts=1)
    message = MessageFacts(text, embed_urls=tuple(embeds), guild_id=7)
    first = engine.evaluate(author, message, Policy())
    second = engine.evaluate(author, message, Policy())
    assert first == second
    assert first.action.severity >= 0
    assert len(set(first.reasons)) == len(first.reasons)


LINKISH = st.sampled_from(
    [".", "..", "@", "://", "http", "hxxp", "www", "[.]", "(dot)", " dot ", " at ", "com", "net", "%2E", "\u200b",
     "．", "xn--", "-", "/", ":", "[", "]", "(", ")", "<", ">", "\\", "#", "?"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.one_of(LINKISH, st.text(max_size=8)), max_size=30))
def test_engine_survives_link_shaped_noise(engine: Engine, parts: list[str]) -> None:
    message = MessageFacts("".join(parts))
    verdict = engine.evaluate(AuthorFacts(user_id=1, approved_posts=1), message, Policy())
    assert verdict == engine.evaluate(AuthorFacts(user_id=1, approved_posts=1), message, Policy())
    for link in verdict.links:
        assert link.host == link.host.lower()
        assert link.host.isascii()


# Pure by the house rules: every words module, bot/text.py and the rule catalogue.
PURE_MODULES = sorted(
    {".".join(path.relative_to(ROOT).with_suffix("").parts) for path in (ROOT / "bot").rglob("words.py")}
    | {"bot.text", "bot.rules.catalogue", "bot.rules.vocabulary"}
)


def _runs_code(package: str) -> bool:
    """True when a package's __init__.py does more than carry a docstring (and `from __future__`)."""
    tree = ast.parse((ROOT / Path(*package.split(".")) / "__init__.py").read_text())
    return any(
        not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant))
        and not (isinstance(node, ast.ImportFrom) and node.module == "__future__")
        for node in tree.body
    )


# bot/gate/__init__.py imports the gate's service (issue #12 makes it docstring-only): until then such a package
# is put in sys.modules bare, so that what is tested is the module's own imports, not its package's.
_BARE = (
    "import sys, types\n"
    "for name in {bare!r}:\n"
    "    package = types.ModuleType(name); package.__path__ = [{root!r} + '/' + name.replace('.', '/')]\n"
    "    sys.modules[name] = package\n"
)


def test_every_words_module_is_listed() -> None:
    assert {"bot.gate.words", "bot.queue.words", "bot.admin.words", "bot.mirror.words", "bot.welcome.words"} <= set(
        PURE_MODULES
    )


@pytest.mark.parametrize("module", PURE_MODULES)
def test_a_words_module_loads_no_discord_or_database_module(module: str) -> None:
    # Packages not pure yet: bot.gate (see _BARE); any module one of them imports is loaded from its file.
    bare = sorted(p for p in ("bot.gate", "bot.admin", "bot.queue", "bot.mirror", "bot.welcome") if _runs_code(p))
    code = (
        _BARE.format(bare=bare, root=str(ROOT))
        + f"import json; import {module}; "
        + "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('discord', 'aiosqlite', 'aiohttp'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []
