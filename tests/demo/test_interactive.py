"""`demo --interactive`, driven as a person would: the real command, its page's own HTTP API, then Ctrl-C."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any, TextIO

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 60.0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Demo:
    """`python -m bot demo --interactive` in a child process, its stdout read line by line."""

    def __init__(self, port: int, stderr: TextIO) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", "PYTHONIOENCODING": "utf-8"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "demo", "--interactive", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            encoding="utf-8",
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: str) -> re.Match[str]:
        """The first line from now on that matches; fails with everything printed so far."""
        deadline = time.monotonic() + TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.lines.append(line)
            if match := re.search(pattern, line):
                return match
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.lines))

    def interrupt(self) -> int:
        """Ctrl-C, then the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            status = self.process.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        while (line := self._queue.get(timeout=TIMEOUT)) is not None:
            self.lines.append(line)
        return status


class PreviewPage:
    """The preview's JSON API, as the page's own script uses it."""

    def __init__(self, url: str) -> None:
        self.base, self.capability = url.split("/#", 1)
        self.sequence = 0
        self.state = self._post("/api/pages", {})
        self.context = self.state["context"]["id"]

    def _post(self, path: str, body: dict[str, Any], context: str | None = None) -> Any:
        headers = {"X-Simcord-Capability": self.capability, "Content-Type": "application/json"}
        if context is not None:
            headers["X-Simcord-Context"] = context
        request = urllib.request.Request(self.base + path, json.dumps(body).encode(), headers, method="POST")
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return json.load(response)

    def refresh(self) -> None:
        """Read the page's current state."""
        headers = {"X-Simcord-Capability": self.capability, "X-Simcord-Context": self.context}
        request = urllib.request.Request(self.base + "/api/state", headers=headers)
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            self.state = json.load(response)

    def cards(self) -> dict[int, dict[str, Any]]:
        """The cards on the page, by item number."""
        found = {}
        for message_id in self.state["timeline"]:
            message = self.state["messages"][message_id]
            for embed in message["embeds"]:
                match = re.fullmatch(r"Item #(\d+)", (embed.get("footer") or {}).get("text", ""))
                if match:
                    found[int(match.group(1))] = message
        return found

    def click(self, message: dict[str, Any], label: str) -> Any:
        """Click a button on a message, as the viewer."""
        [key] = [
            control["control_key"]
            for row in message["components"]
            for control in row.get("components", [])
            if control.get("label") == label
        ]
        self.sequence += 1
        body = {
            "protocol_version": 3,
            "sequence": self.sequence,
            "request_id": uuid.uuid4().hex,
            "generation": self.state["context"]["generation"],
            "bot_generation": self.state["botGeneration"],
            "published_revision": self.state["publishedRevision"],
            "kind": "click",
            "target_id": message["id"],
            "control_key": key,
        }
        return self._post("/api/action", body, self.context)


def labels(message: dict[str, Any]) -> list[str]:
    return [control.get("label") for row in message["components"] for control in row.get("components", [])]


def test_a_person_approves_a_card_in_the_page_and_the_terminal_shows_the_repost(tmp_path: Path) -> None:
    port = free_port()
    with (tmp_path / "stderr.txt").open("w+", encoding="utf-8") as stderr:
        demo = Demo(port, stderr)
        try:
            url = demo.wait_for(r"http://127\.0\.0\.1:(\d+)/#\S+")
            assert int(url.group(1)) == port
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=TIMEOUT) as response:
                assert b"<title>SimCord Preview</title>" in response.read()

            page = PreviewPage(url.group(0))
            assert page.state["channel"]["name"] == "mod-queue"
            assert page.state["viewers"][0]["name"] == "Maria"
            waiting = {number: card for number, card in page.cards().items() if "Approve" in labels(card)}
            number, card = min(waiting.items())
            author = card["embeds"][0]["author"]["name"]
            result = page.click(card, "Approve")
            assert (result["settlement"], result["diagnostics"]) == ("settled", [])

            decided = demo.wait_for(rf"^#mod-queue  ✔ Maria approved #{number} → reposted in (#\S+) as {author}$")
            demo.wait_for(rf"^{re.escape(decided.group(1))}  {author} \(repost\): ")
            demo.wait_for(rf"^DM → {author}: Good news: a moderator approved your message")
            page.refresh()
            assert labels(page.cards()[number]) == []  # the card lost its buttons
        finally:
            status = demo.interrupt()
        stderr.seek(0)
        errors = stderr.read()
    assert status == 0, errors
    assert "Traceback" not in errors
    assert demo.lines[-1] == "── The demo has ended."
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # the page is gone
