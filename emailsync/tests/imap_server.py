"""A real Dovecot IMAP server for the IMAP tests, started by ``scripts/dovecot.sh``.

``.ci/run`` starts one and exports what the script prints (``IMAP_TEST_*``, ``DOVECOT_DIR``); the tests then
use it. Without those variables the tests start a private one in a temporary folder when Dovecot is installed
(``apt-get install dovecot-imapd``), and skip, saying so, when it is not. Each test works in a folder of its
own, so tests never see each other's mail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from imapclient import IMAPClient

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "dovecot.sh"


@dataclass
class DovecotServer:
    host: str
    port: int  # implicit TLS
    starttls_port: int
    user: str
    password: str
    directory: str

    def _script(self, action: str) -> None:
        env = {
            **os.environ,
            "DOVECOT_DIR": self.directory,
            "IMAP_TEST_PORT": str(self.port),
            "IMAP_TEST_STARTTLS_PORT": str(self.starttls_port),
            "IMAP_TEST_USER": self.user,
            "IMAP_TEST_PASSWORD": self.password,
        }
        subprocess.run(["bash", str(SCRIPT), action], env=env, check=True, capture_output=True, timeout=60)

    def stop(self) -> None:
        self._script("stop")

    def start(self) -> None:
        self._script("start")

    def client(self) -> IMAPClient:
        """A plain IMAPClient logged in as the test user (the tests' own hands on the mailbox)."""
        import ssl

        context = ssl.create_default_context(cafile=f"{self.directory}/tls/cert.pem")
        context.check_hostname = False
        client = IMAPClient(self.host, port=self.port, ssl=True, ssl_context=context, timeout=20)
        client.login(self.user, self.password)
        return client

    def new_folder(self, prefix: str = "test") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:10]}"
        with self.client() as client:
            client.create_folder(name)
        return name


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def dovecot_server() -> Iterator[DovecotServer]:
    if os.environ.get("IMAP_TEST_PORT") and os.environ.get("DOVECOT_DIR"):
        yield DovecotServer(
            host=os.environ.get("IMAP_TEST_HOST", "127.0.0.1"),
            port=int(os.environ["IMAP_TEST_PORT"]),
            starttls_port=int(os.environ.get("IMAP_TEST_STARTTLS_PORT", "10143")),
            user=os.environ.get("IMAP_TEST_USER", "tester"),
            password=os.environ.get("IMAP_TEST_PASSWORD", "imap-test-password"),
            directory=os.environ["DOVECOT_DIR"],
        )
        return
    if shutil.which("dovecot") is None:
        pytest.skip(
            "Dovecot is not installed (apt-get install dovecot-imapd); .ci/run installs and starts it, "
            "or run `scripts/dovecot.sh start` and export what it prints"
        )
    # Not under pytest's tmp folder: that is private to root (0700), and Dovecot reads mail as its own user.
    directory = tempfile.mkdtemp(prefix="dovecot-", dir="/tmp")
    os.chmod(directory, 0o755)
    server = DovecotServer(
        host="127.0.0.1",
        port=_free_port(),
        starttls_port=_free_port(),
        user="tester",
        password="imap-test-password",
        directory=directory,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)
