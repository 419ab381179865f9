"""Fixtures that run the real ringflux binary for the end-to-end tests.

* ``ringflux``: a :class:`Daemon` started on a free port (``127.0.0.1:0``, the port is read
  from the single stdout line ``ringflux listening on http://127.0.0.1:PORT``) in a fresh
  engine dir, ready (``GET /ready`` == 200). On teardown it gets SIGTERM (SIGKILL after 10 s)
  and the test fails if the process had died on its own or did not exit 0; stderr is dumped.
* ``base_url``: the daemon's base URL.
* ``onboarded``: the daemon onboarded through ``POST /api/v2/setup`` with a known token;
  returns ``Server(url, token, org, bucket)``; ``onboarding`` is the setup answer (IDs).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections import namedtuple
from pathlib import Path

import pytest
import requests

REPO_ROOT = Path(__file__).resolve().parents[2]

LISTEN_RE = re.compile(r"^ringflux listening on (http://127\.0\.0\.1:\d+)\s*$")

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 10.0

TOKEN = "ringflux-e2e-token-0123456789"
USERNAME = "e2e-admin"
PASSWORD = "e2e-password-123"
ORG = "e2e-org"
BUCKET = "e2e-bucket"

Server = namedtuple("Server", ["url", "token", "org", "bucket"])


def ringflux_bin() -> str:
    b = os.environ.get("RINGFLUX_BIN")
    if b:
        return b
    default = REPO_ROOT / "target" / "debug" / "ringflux"
    if default.exists():
        return str(default)
    pytest.fail("RINGFLUX_BIN is not set and target/debug/ringflux does not exist; run tests/python/run.sh")


def _die_with_parent():
    """In the child before exec: SIGKILL it if pytest dies, so no daemon outlives the run."""
    try:
        import ctypes

        PR_SET_PDEATHSIG = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass


class DaemonError(Exception):
    pass


class Daemon:
    """One ringflux process over an engine dir that outlives restarts."""

    def __init__(self, engine_dir: Path, log_dir: Path, shards: int = 2, extra_args=()):
        self.engine_dir = engine_dir
        self.log_dir = log_dir
        self.shards = shards
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen | None = None
        self.url: str | None = None
        self.generation = 0
        self._stdout_path: Path | None = None
        self._stderr_path: Path | None = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self) -> str:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.generation += 1
        self._stdout_path = self.log_dir / f"stdout.{self.generation}.log"
        self._stderr_path = self.log_dir / f"stderr.{self.generation}.log"
        cmd = [
            ringflux_bin(),
            "serve",
            "--engine-path",
            str(self.engine_dir),
            "--http-bind-address",
            "127.0.0.1:0",
            "--shards",
            str(self.shards),
            *self.extra_args,
        ]
        with open(self._stdout_path, "wb") as out, open(self._stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                cmd,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "NO_COLOR": "1"},
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        url = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DaemonError(
                    f"ringflux exited with {self.proc.returncode} before listening\n{self.logs()}"
                )
            text = self._stdout_path.read_text(errors="replace")
            lines = text.splitlines()
            if lines and text.endswith("\n"):
                m = LISTEN_RE.match(lines[0])
                if not m:
                    raise DaemonError(f"unexpected first stdout line {lines[0]!r}\n{self.logs()}")
                url = m.group(1)
                break
            time.sleep(0.02)
        if url is None:
            self.kill()
            raise DaemonError(f"ringflux did not print its listening line in {START_TIMEOUT_S}s\n{self.logs()}")
        self.url = url
        # Wait for /ready 200.
        last = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DaemonError(f"ringflux exited with {self.proc.returncode} before ready\n{self.logs()}")
            try:
                r = requests.get(url + "/ready", timeout=5)
                last = (r.status_code, r.text)
                if r.status_code == 200:
                    return url
            except requests.RequestException as e:  # not accepting yet
                last = repr(e)
            time.sleep(0.05)
        self.kill()
        raise DaemonError(f"/ready never answered 200 (last: {last})\n{self.logs()}")

    def crashed(self) -> bool:
        return self.proc is not None and self.proc.poll() is not None

    def stop(self) -> int:
        """SIGTERM, SIGKILL after STOP_TIMEOUT_S. Returns the exit status (negative = signal)."""
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise DaemonError(f"ringflux ignored SIGTERM for {STOP_TIMEOUT_S}s; killed\n{self.logs()}")
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL (simulated crash / power loss of the process)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart_after_kill(self) -> str:
        self.kill()
        return self.start()

    # --- diagnostics -----------------------------------------------------------------------

    def logs(self, tail_chars: int = 20000) -> str:
        parts = []
        for name, p in (("stdout", self._stdout_path), ("stderr", self._stderr_path)):
            if p is not None and p.exists():
                t = p.read_text(errors="replace")
                if len(t) > tail_chars:
                    t = "...\n" + t[-tail_chars:]
                parts.append(f"----- ringflux {name} (generation {self.generation}) -----\n{t}")
        return "\n".join(parts)


@pytest.fixture
def ringflux(request):
    tmp = Path(tempfile.mkdtemp(prefix="ringflux-e2e-"))
    engine = tmp / "engine"
    engine.mkdir()
    marker = request.node.get_closest_marker("ringflux_args")
    extra = marker.args if marker else ()
    d = Daemon(engine, tmp, extra_args=extra)
    try:
        d.start()
    except DaemonError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        pytest.fail(str(e), pytrace=False)
    yield d
    problem = None
    if d.crashed():
        problem = f"ringflux died during the test (exit status {d.proc.returncode})"
    else:
        try:
            rc = d.stop()
            if rc != 0:
                problem = f"ringflux exited with status {rc} after SIGTERM (expected 0)"
        except DaemonError as e:
            problem = str(e)
    logs = d.logs()
    shutil.rmtree(tmp, ignore_errors=True)
    if problem:
        pytest.fail(f"{problem}\n{logs}", pytrace=False)


@pytest.fixture
def base_url(ringflux) -> str:
    return ringflux.url


def onboard(url: str) -> dict:
    r = requests.post(
        url + "/api/v2/setup",
        json={
            "username": USERNAME,
            "password": PASSWORD,
            "org": ORG,
            "bucket": BUCKET,
            "token": TOKEN,
        },
        timeout=10,
    )
    assert r.status_code == 201, (r.status_code, r.text)
    return r.json()


@pytest.fixture
def onboarding(ringflux) -> dict:
    """The JSON answer of the onboarding (user, org, bucket, auth with their IDs)."""
    return onboard(ringflux.url)


@pytest.fixture
def onboarded(ringflux, onboarding) -> Server:
    return Server(ringflux.url, TOKEN, ORG, BUCKET)


def pytest_configure(config):
    config.addinivalue_line("markers", "ringflux_args(*args): extra command-line flags for the daemon")
