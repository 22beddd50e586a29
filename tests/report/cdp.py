"""A tiny Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (no extra packages).

Chromium reads NUL-terminated JSON commands from fd 3 and writes responses/events to fd 4.
Used by the browser test only.
"""
from __future__ import annotations

import fcntl
import json
import os
import pathlib
import select
import shutil
import subprocess
import time
from typing import Any

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


def find_chromium() -> str | None:
    for c in CHROMIUM_CANDIDATES:
        if os.path.exists(c):
            return c
    return shutil.which("chromium")


class Browser:
    def __init__(self, user_data_dir: pathlib.Path, timeout: float = 30.0):
        exe = find_chromium()
        if exe is None:
            raise FileNotFoundError("chromium not found (scripts/install-system-deps.sh installs it)")
        self.timeout = timeout
        a_r, a_w = os.pipe()  # we write commands -> chromium reads fd 3
        b_r, b_w = os.pipe()  # chromium writes fd 4 -> we read
        hi_r = fcntl.fcntl(a_r, fcntl.F_DUPFD, 10)
        hi_w = fcntl.fcntl(b_w, fcntl.F_DUPFD, 10)
        os.close(a_r)
        os.close(b_w)

        def _child() -> None:  # runs in the child before exec
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        self.proc = subprocess.Popen(
            [exe, *FLAGS, f"--user-data-dir={user_data_dir}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=_child,
        )
        os.close(hi_r)
        os.close(hi_w)
        self._w = a_w
        self._r = b_r
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    # -- protocol ---------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from chromium")
            ready, _, _ = select.select([self._r], [], [], left)
            if ready:
                chunk = os.read(self._r, 1 << 20)
                if not chunk:
                    raise ConnectionError("chromium closed the pipe")
                self._buf += chunk
        msg, self._buf = self._buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        self._id += 1
        cmd: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            cmd["sessionId"] = session
        os.write(self._w, json.dumps(cmd).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float | None = None) -> dict[str, Any]:
        for ev in self.events:
            if ev.get("method") == method:
                return ev
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            msg = self._read_message(deadline)
            self.events.append(msg)
            if msg.get("method") == method:
                return msg

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
