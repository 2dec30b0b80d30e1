"""Real servers on loopback for the live tier: the app under gunicorn, PostgreSQL, Redis,
and PgBouncer in front of PostgreSQL.

Each server runs in a temporary folder on a free port and is stopped by its owner.
Nothing here talks to any address but 127.0.0.1.
"""

from __future__ import annotations

import glob
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

BACKEND = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not come up within {timeout}s")


# --- HTTP -------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    cookies: SimpleCookie
    body: Any

    @property
    def code(self) -> str | None:
        return self.body.get("code") if isinstance(self.body, dict) else None


def request(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 15,
) -> Reply:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        payload = None if body is None else json.dumps(body).encode()
        sent = {"Content-Type": "application/json", **(headers or {})}
        connection.request(method, path, payload, sent)
        response = connection.getresponse()
        raw = response.read()
        cookies: SimpleCookie = SimpleCookie()
        for value in response.headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = raw.decode(errors="replace")
        return Reply(response.status, dict(response.headers), cookies, parsed)
    finally:
        connection.close()


def log_in(url: str, username: str, password: str) -> tuple[str, str]:
    """Log in over HTTP; (access token, refresh token from the Set-Cookie header)."""
    reply = request(
        url, "POST", "/api/v1/auth/obtain_token/", {"username": username, "password": password}
    )
    assert reply.status == 200, reply.body
    return reply.body["token"], reply.cookies["refresh_token"].value


# --- the app ----------------------------------------------------------------------


@dataclass
class AppServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    log_file: Any

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()

    def worker_pids(self) -> list[int]:
        out = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(self.process.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return [int(pid) for pid in out.split()]


@dataclass
class App:
    """One deployment: its environment (database, cache, settings) and its servers."""

    env: dict[str, str]
    folder: Path
    servers: list[AppServer] = field(default_factory=list)

    @classmethod
    def create(cls, folder: Path, **env: str) -> App:
        base = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
        base.update(
            {
                "VAR_DIR": str(folder / "var"),
                "SECRET_KEY": "live-tier-" + "k" * 60,
                "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
                "LOG_LEVEL": "ERROR",
                "GUNICORN_ACCESS_LOG": "",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                # Nothing reaches Have I Been Pwned; a test names its own range server.
                "PWNED_PASSWORDS_URL": "",
                **env,
            }
        )
        app = cls(env=base, folder=folder)
        app.manage("migrate", "--noinput", "-v0")
        app.manage("createcachetable")
        return app

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BACKEND,
            env=self.env,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
        return result.stdout

    def create_user(self, username: str, password: str, **fields: Any) -> None:
        self.manage(
            "shell",
            "-c",
            "from django.contrib.auth import get_user_model as g; "
            f"g().objects.create_user({username!r}, password={password!r}, **{fields!r})",
        )

    def start(
        self, *, workers: int = 1, threads: int = 1, port: int | None = None, **env: str
    ) -> AppServer:
        port = port or free_port()
        log = self.folder / f"gunicorn-{port}.log"
        gunicorn = Path(sys.executable).with_name("gunicorn")
        log_file = log.open("wb")
        process = subprocess.Popen(
            [
                str(gunicorn),
                "config.wsgi",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                f"{LOOPBACK}:{port}",
                "--workers",
                str(workers),
                "--threads",
                str(threads),
            ],
            cwd=BACKEND,
            env={**self.env, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        server = AppServer(f"http://{LOOPBACK}:{port}", process, log, log_file)
        self.servers.append(server)
        try:
            wait_for(
                lambda: request(server.url, "GET", "/api/v1/health/").status == 200,
                30,
                f"gunicorn on {port}",
            )
        except TimeoutError:
            server.stop()
            raise RuntimeError(log.read_text()[-3000:]) from None
        return server

    def stop(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()


def serve_the_app(folder: Path, **env: str) -> Iterator[AppServer]:
    """The whole app (API and built pages) on a port of its own, its ``FRONTEND_URL``
    that origin, for as long as the generator runs: ``yield from`` it in a fixture."""
    port = free_port()
    app = App.create(folder, FRONTEND_URL=f"http://{LOOPBACK}:{port}", **env)
    app.manage("collectstatic", "--noinput", "-v0")
    yield app.start(port=port, threads=2)
    app.stop()


# --- PostgreSQL and Redis -----------------------------------------------------------


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def redis_bin() -> str | None:
    return shutil.which("redis-server")


def pgbouncer_bin() -> str | None:
    # Debian installs it under /usr/sbin, which a non-root PATH may lack.
    return shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")


def _as_postgres_user() -> list[str]:
    """initdb refuses to run as root; run the server as Debian's postgres user then."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class Postgres:
    def __init__(self) -> None:
        binaries = postgres_bin()
        if binaries is None:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="spa-auth-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        self.start()
        self._run("createdb", "-h", LOOPBACK, "-p", str(self.port), "-U", "postgres", "app")

    @property
    def url(self) -> str:
        return f"postgres://postgres@{LOOPBACK}:{self.port}/app"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*_as_postgres_user(), str(self.bin / tool), *args],
            check=True,
            capture_output=True,
            cwd=self.folder,
        )

    def start(self) -> None:
        options = (
            f"-h {LOOPBACK} -p {self.port} -k {self.folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.folder, ignore_errors=True)


class Redis:
    def __init__(self) -> None:
        binary = redis_bin()
        if binary is None:
            raise RuntimeError("Redis is not installed (apt-get install redis-server)")
        self.binary = binary
        self.folder = Path(tempfile.mkdtemp(prefix="spa-auth-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                LOOPBACK,
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def ping() -> bool:
            with socket.create_connection((LOOPBACK, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")

        wait_for(ping, 10, "redis-server")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def _is_running(pid: int) -> bool:
    """Whether ``pid`` runs: a daemon's parent is init, which may be slow to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class PgBouncer:
    """PgBouncer in transaction pooling in front of ``postgres``: each transaction takes
    whichever of a few server connections is free, so anything a client leaves on a
    server connection (a prepared statement, a cursor) is gone, or someone else's, on
    its next transaction."""

    def __init__(self, postgres: Postgres, *, pool_size: int = 3) -> None:
        binary = pgbouncer_bin()
        if binary is None:
            raise RuntimeError("PgBouncer is not installed (apt-get install pgbouncer)")
        self.binary = binary
        self.postgres = postgres
        self.folder = Path(tempfile.mkdtemp(prefix="spa-auth-pgbouncer-"))
        self.port = free_port()
        (self.folder / "users.txt").write_text('"postgres" ""\n')
        server = f"host={LOOPBACK} port={postgres.port}"
        settings = {
            "listen_addr": LOOPBACK,
            "listen_port": self.port,
            "unix_socket_dir": "",
            "auth_type": "trust",
            "auth_file": self.folder / "users.txt",
            "pool_mode": "transaction",
            "default_pool_size": pool_size,
            "max_client_conn": 500,
            "logfile": self.folder / "log",
            "pidfile": self.folder / "pid",
            # A server that is down fails the waiting query in seconds, not minutes.
            "server_connect_timeout": 2,
            "server_login_retry": 1,
            "query_wait_timeout": 5,
        }
        (self.folder / "pgbouncer.ini").write_text(
            f"[databases]\n* = {server}\n\n[pgbouncer]\n"
            + "".join(f"{key} = {value}\n" for key, value in settings.items())
        )
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            for path in (self.folder, *self.folder.iterdir()):
                shutil.chown(path, "postgres", "postgres")
        self.start()

    @property
    def url(self) -> str:
        return f"postgres://postgres@{LOOPBACK}:{self.port}/app"

    def _pid(self) -> int | None:
        try:
            return int((self.folder / "pid").read_text())
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        subprocess.run(
            [*_as_postgres_user(), self.binary, "-d", str(self.folder / "pgbouncer.ini")],
            check=True,
            capture_output=True,
            cwd=self.folder,
        )

        def listening() -> bool:
            with socket.create_connection((LOOPBACK, self.port), timeout=1):
                return True

        wait_for(listening, 10, "pgbouncer")

    def stop(self) -> None:
        """Immediate shutdown: every client connection is cut, as in a crash or restart."""
        pid = self._pid()
        if pid is None:
            return
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        wait_for(lambda: not _is_running(pid), 10, f"pgbouncer {pid} to stop")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- an OpenID provider -------------------------------------------------------------

OIDC_PROVIDER = BACKEND.parents[1] / "tools" / "oidc-provider"


class OidcProvider:
    """panva's oidc-provider (``tools/oidc-provider/server.js``) with one confidential
    client whose redirect URIs are given; ``person`` sets the claims of someone who can
    sign in there, by typing their id on its page (``sign_in`` does so over HTTP)."""

    client_id = "spa-live"
    client_secret = "spa-live-secret"

    def __init__(self, redirect_uris: list[str]) -> None:
        self.redirect_uris = redirect_uris
        self.issuer = ""
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> OidcProvider:
        client = {
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "redirect_uris": self.redirect_uris,
        }
        self.process = subprocess.Popen(
            ["node", "server.js"],
            cwd=OIDC_PROVIDER,
            env={**os.environ, "PORT": "0", "CLIENT": json.dumps(client)},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.startswith("listening "):
                self.issuer = f"http://{LOOPBACK}:{int(line.split()[1])}"
                return self
            if not line and self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("oidc-provider did not start (make test installs it)")

    def provider_setting(
        self, provider_id: str = "local", name: str = "Local ID"
    ) -> dict[str, str]:
        return {
            "id": provider_id,
            "name": name,
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }

    def person(self, person_id: str, **claims: Any) -> None:
        host, port = self.issuer.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        connection.request("PUT", f"/test/people/{person_id}", json.dumps(claims))
        assert connection.getresponse().status == 204
        connection.close()

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
                self.process.wait(timeout=10)
            if self.process.stdout is not None:
                self.process.stdout.close()
