"""Mail from any IMAP server (Fastmail, iCloud, Yahoo, a company or self-hosted server), with IMAPClient.

Read-only and invisible to the user's other mail programs: the folder is opened with ``EXAMINE``
(``select_folder(readonly=True)``) and bodies are fetched with ``BODY.PEEK[]``, so no flag (``\\Seen``
included) ever changes.

Incremental by UID. The checkpoint is ``imap1:<UIDVALIDITY>:<highest UID seen>:<HIGHESTMODSEQ>``. When the
server offers CONDSTORE and neither HIGHESTMODSEQ nor UIDNEXT moved, nothing changed and nothing is searched.
A changed UIDVALIDITY (the folder was recreated or the server migrated) means the old UIDs mean nothing: the
folder is listed again over the same bounded window as a first sync. Receipts are keyed by a stable id made
from the message's own headers (Message-ID, Date, From, Subject), not by its UID, so a message seen before
the change is not processed twice.

Safety: the host a user types is resolved once, every address is checked (loopback, private, link-local,
metadata and other non-public addresses are refused unless ``IMAP_ALLOW_PRIVATE_HOSTS``), and the
connection goes to that checked address, so a DNS answer that changes between the check and the connect
cannot point it elsewhere. Certificates are verified against the system's CAs; a server with a
self-signed certificate is trusted only when its owner opted in for that mailbox, and then only the
certificate seen when the mailbox was connected (its SHA-256 fingerprint is kept).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.parser
import email.policy
import hashlib
import imaplib
import ipaddress
import logging
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from imapclient import IMAPClient, imap4, tls
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from accounts.crypto import InvalidToken
from emailsync.models import ImapAccount, Mailbox
from emailsync.sources import FailureKind, FetchedMessage, Listing, SourceError, WantsBody

logger = logging.getLogger(__name__)

CHECKPOINT_PREFIX = "imap1"
STABLE_ID_HEADERS = ("MESSAGE-ID", "DATE", "FROM", "SUBJECT")
_HEADER_ITEM = b"BODY.PEEK[HEADER.FIELDS (" + b" ".join(h.encode() for h in STABLE_ID_HEADERS) + b")]"


@dataclass(frozen=True)
class ImapDetails:
    """What it takes to reach one IMAP folder (the password in clear, only in memory)."""

    host: str
    port: int
    security: str  # ImapAccount.Security: "tls" or "starttls"
    username: str
    password: str
    folder: str = "INBOX"
    allow_self_signed: bool = False
    # The SHA-256 of the certificate trusted when the mailbox was connected (self-signed servers only).
    fingerprint: str = ""

    @classmethod
    def of(cls, account: ImapAccount) -> ImapDetails:
        return cls(
            host=account.host,
            port=account.port,
            security=account.security,
            username=account.username,
            password=account.password,
            folder=account.folder,
            allow_self_signed=account.allow_self_signed,
            fingerprint=account.tls_fingerprint,
        )


class ImapError(SourceError):
    """A graded IMAP failure. ``step`` says where it failed, for the settings page's "Test connection":
    dns, address (refused as internal), connect, tls, login, folder, or read."""

    def __init__(self, message: str, *, step: str, kind: FailureKind) -> None:
        super().__init__(message, kind=kind)
        self.step = step


# Where to connect


def _refused(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    # is_global is False for loopback, private (RFC 1918, fc00::/7), link-local (169.254/16 with the cloud
    # metadata address, fe80::/10), shared (100.64/10), documentation, benchmarking and reserved ranges.
    return not address.is_global or address.is_multicast


def resolve_host(host: str, port: int) -> str:
    """The address to connect to for ``host``, after refusing internal ones. Raises ``ImapError``."""
    host = host.strip()
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as e:
        raise ImapError(
            f"Could not find the server “{host}” (DNS lookup failed). Check the server name.",
            step="dns",
            kind=FailureKind.TRANSIENT,
        ) from e
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise ImapError(f"The server “{host}” has no address.", step="dns", kind=FailureKind.TRANSIENT)
    if not settings.IMAP_ALLOW_PRIVATE_HOSTS:
        # Every address must be public: a name that also resolves inward is refused as a whole.
        for text in addresses:
            if _refused(ipaddress.ip_address(text.split("%", 1)[0])):
                raise ImapError(
                    f"The server “{host}” resolves to an internal address, which this site does not connect "
                    "to. Use the public name of your mail server.",
                    step="address",
                    kind=FailureKind.PERMANENT,
                )
    return addresses[0]


class _PinnedTLS(tls.IMAP4_TLS):
    """Implicit TLS to an address checked beforehand; the certificate is still checked for ``host``."""

    def __init__(self, host: str, address: str, port: int, context: ssl.SSLContext, timeout: float) -> None:
        self._address = address
        super().__init__(host, port, context, timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), timeout=timeout or self._timeout)
        return tls.wrap_socket(sock, self.ssl_context, self.host)


class _PinnedPlain(imap4.IMAP4WithTimeout):
    """The plain connection that STARTTLS upgrades, to an address checked beforehand."""

    def __init__(self, host: str, address: str, port: int, timeout: float) -> None:
        self._address = address
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        return socket.create_connection((self._address, self.port), timeout or self._timeout)


class _PinnedClient(IMAPClient):
    def __init__(self, details: ImapDetails, address: str, context: ssl.SSLContext) -> None:
        self._address = address
        super().__init__(
            details.host,
            port=details.port,
            ssl=details.security == ImapAccount.Security.TLS,
            ssl_context=context,
            timeout=settings.IMAP_TIMEOUT_SECONDS,
        )

    def _create_IMAP4(self) -> imaplib.IMAP4:
        timeout = float(settings.IMAP_TIMEOUT_SECONDS)
        if self.ssl:
            assert self.ssl_context is not None
            return _PinnedTLS(self.host, self._address, self.port, self.ssl_context, timeout)
        return _PinnedPlain(self.host, self._address, self.port, timeout)


def _context(details: ImapDetails) -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if details.allow_self_signed:
        # Checked by fingerprint after the handshake instead (see ImapSession._check_certificate).
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


# Errors, graded once


@contextlib.contextmanager
def _graded(step: str, details: ImapDetails) -> Iterator[None]:
    """Turn what IMAP, TLS and the network raise into an ``ImapError`` with the user's words and a kind."""
    where = f"{details.host}:{details.port}"
    try:
        yield
    except ImapError:
        raise
    except LoginError as e:
        raise ImapError(
            "The server refused the username or password. If your provider uses app passwords (iCloud, "
            "Yahoo, Fastmail, Gmail with 2-step verification), make one for this site and use it.",
            step="login",
            kind=FailureKind.NEEDS_RECONNECT,
        ) from e
    except (IMAPClientAbortError, imaplib.IMAP4.abort) as e:
        raise ImapError(
            f"The mail server {where} closed the connection ({e}).", step=step, kind=FailureKind.TRANSIENT
        ) from e
    except IMAPClientError as e:
        if step == "folder":
            raise ImapError(
                f"The folder “{details.folder}” was not found on the server ({e}).",
                step="folder",
                kind=FailureKind.PERMANENT,
            ) from e
        raise ImapError(
            f"The mail server {where} answered: {e}", step=step, kind=FailureKind.TRANSIENT
        ) from e
    except ssl.SSLCertVerificationError as e:
        raise ImapError(
            f"The TLS certificate of {details.host} is not trusted ({e.verify_message}). If it is your own "
            "server with a self-signed certificate, tick “The server uses a self-signed certificate”.",
            step="tls",
            kind=FailureKind.PERMANENT,
        ) from e
    except ssl.SSLError as e:
        raise ImapError(
            f"TLS with {where} failed ({e.reason or e}). Check the port and the TLS mode "
            "(993 is usually implicit TLS, 143 STARTTLS).",
            step="tls",
            kind=FailureKind.PERMANENT,
        ) from e
    except TimeoutError as e:
        raise ImapError(
            f"The mail server {where} did not answer in time.", step=step, kind=FailureKind.TRANSIENT
        ) from e
    except ConnectionRefusedError as e:
        raise ImapError(
            f"The mail server {where} refused the connection. Check the port.",
            step="connect",
            kind=FailureKind.TRANSIENT,
        ) from e
    except OSError as e:
        raise ImapError(
            f"The connection to {where} failed ({e.strerror or e}).", step=step, kind=FailureKind.TRANSIENT
        ) from e


# One connection


class ImapSession:
    """A logged-in connection with the folder opened read-only. ``fingerprint`` is the certificate's
    SHA-256 seen on this connection (empty when the certificate was verified by a CA)."""

    def __init__(self, details: ImapDetails) -> None:
        self.details = details
        self.client: _PinnedClient | None = None
        self.fingerprint = ""
        self.folder_info: dict[bytes, Any] = {}

    def open(self) -> ImapSession:
        details = self.details
        address = resolve_host(details.host, details.port)
        context = _context(details)
        with _graded("connect", details):
            self.client = _PinnedClient(details, address, context)
        try:
            with _graded("tls", details):
                if details.security == ImapAccount.Security.STARTTLS:
                    if b"STARTTLS" not in self.client.capabilities():
                        raise ImapError(
                            f"{details.host}:{details.port} does not offer STARTTLS; this site never sends a "
                            "password unencrypted. Use implicit TLS (usually port 993).",
                            step="tls",
                            kind=FailureKind.PERMANENT,
                        )
                    self.client.starttls(context)
                self._check_certificate()
            with _graded("login", details):
                self.client.login(details.username, details.password)
            with _graded("folder", details):
                if b"CONDSTORE" in self.client.capabilities():
                    self.client.enable("CONDSTORE")
                # EXAMINE: nothing this connection does can change a flag.
                self.folder_info = self.client.select_folder(details.folder, readonly=True)
        except BaseException:
            self.close()
            raise
        return self

    def _check_certificate(self) -> None:
        assert self.client is not None
        der = self.client.socket().getpeercert(binary_form=True)
        if not self.details.allow_self_signed:
            return
        self.fingerprint = hashlib.sha256(der or b"").hexdigest()
        if self.details.fingerprint and self.details.fingerprint != self.fingerprint:
            raise ImapError(
                f"The certificate of {self.details.host} changed since the mailbox was connected. If you "
                "expected that, connect the mailbox again to trust the new certificate.",
                step="tls",
                kind=FailureKind.PERMANENT,
            )

    def close(self) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:
            with contextlib.suppress(Exception):
                client.shutdown()

    def __enter__(self) -> ImapSession:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def imap_test(details: ImapDetails) -> tuple[str, str]:
    """Connect, log in and open the folder, as a sync would. Returns the words for the user and the
    certificate fingerprint to trust (self-signed only); raises ``ImapError`` naming what failed."""
    with ImapSession(details) as session:
        count = int(session.folder_info.get(b"EXISTS", 0))
        plural = "" if count == 1 else "s"
        return (
            f"Connected to {details.host} as {details.username}: “{details.folder}” holds {count:,} message{plural}.",
            session.fingerprint,
        )


# Checkpoints and stable ids


@dataclass(frozen=True)
class Checkpoint:
    validity: int
    last_uid: int
    modseq: int = 0

    def __str__(self) -> str:
        return f"{CHECKPOINT_PREFIX}:{self.validity}:{self.last_uid}:{self.modseq}"

    @classmethod
    def parse(cls, text: str) -> Checkpoint | None:
        parts = text.split(":")
        if len(parts) != 4 or parts[0] != CHECKPOINT_PREFIX:
            return None
        try:
            return cls(int(parts[1]), int(parts[2]), int(parts[3]))
        except ValueError:
            return None


def stable_id(header_block: bytes) -> str:
    """The receipt key of a message: a hash of its Message-ID, Date, From and Subject, which stay the same
    when the server renumbers UIDs. Two copies of one message in the folder are one message."""
    headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(header_block)
    parts = [" ".join(str(headers.get(name, "")).split()).lower() for name in STABLE_ID_HEADERS]
    return "imap:" + hashlib.sha256("\x00".join(parts).encode("utf-8", "replace")).hexdigest()[:40]


def _body(item: dict[bytes, Any]) -> bytes | None:
    """The body of a ``BODY.PEEK[]`` or ``BODY.PEEK[]<0.n>`` answer (keyed ``BODY[]`` or ``BODY[]<0>``)."""
    for key, value in item.items():
        if key.startswith(b"BODY[]"):
            return bytes(value) if value is not None else None
    return None


# The source


class ImapSource:
    """``MailSource`` over one IMAP folder. One connection serves the listing and the fetch that follows."""

    def __init__(self, mailbox: Mailbox, account: ImapAccount) -> None:
        self.mailbox = mailbox
        self.account = account
        self._session: ImapSession | None = None
        # stable id -> (uid, RFC822.SIZE) of the messages listed or looked up on this connection
        self._uids: dict[str, tuple[int, int]] = {}
        self._mapped_window = False

    @classmethod
    def for_mailbox(cls, mailbox: Mailbox) -> ImapSource:
        account = ImapAccount.objects.filter(mailbox=mailbox).first()
        if account is None:
            raise SourceError(
                "This mailbox has no IMAP server details; connect it again on the settings page.",
                kind=FailureKind.NEEDS_RECONNECT,
            )
        return cls(mailbox, account)

    def _open(self) -> ImapSession:
        if self._session is None or self._session.client is None:
            try:
                details = ImapDetails.of(self.account)
            except InvalidToken as e:
                raise SourceError(
                    "The stored IMAP password cannot be decrypted with the configured TOKEN_ENCRYPTION_KEYS "
                    "(a key was removed or changed). An administrator must restore the key.",
                    kind=FailureKind.SERVER_MISCONFIGURED,
                ) from e
            self._session = ImapSession(details).open()
        return self._session

    def _client(self) -> IMAPClient:
        client = self._open().client
        assert client is not None
        return client

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    # Listing

    def list_new(self, checkpoint: str) -> Listing:
        try:
            return self._list(checkpoint)
        except BaseException:
            self.close()
            raise

    def _list(self, checkpoint: str) -> Listing:
        session = self._open()
        info = session.folder_info
        validity = int(info[b"UIDVALIDITY"])
        uidnext = int(info.get(b"UIDNEXT", 0) or 0)
        modseq = int(info.get(b"HIGHESTMODSEQ", 0) or 0)
        before = Checkpoint.parse(checkpoint)
        details = session.details
        with _graded("read", details):
            if before is not None and before.validity == validity:
                if modseq and before.modseq == modseq and uidnext and uidnext <= before.last_uid + 1:
                    return Listing(message_ids=[], checkpoint=checkpoint)
                found = self._client().search(["UID", f"{before.last_uid + 1}:*"])
                # "n:*" always matches the highest UID, even when it is below n.
                uids = sorted(uid for uid in found if uid > before.last_uid)
                last = max([before.last_uid, *uids])
            else:
                if before is not None:
                    logger.warning(
                        "Mailbox %s: UIDVALIDITY changed from %s to %s; listing the folder again",
                        self.mailbox.pk,
                        before.validity,
                        validity,
                    )
                since = dt.date.today() - dt.timedelta(days=settings.IMAP_INITIAL_SYNC_DAYS)
                uids = sorted(self._client().search(["SINCE", since]))[-settings.IMAP_INITIAL_SYNC_MAX :]
                last = max([uidnext - 1, *uids, 0])
            ids = self._map(uids)
        return Listing(message_ids=ids, checkpoint=str(Checkpoint(validity, last, modseq)))

    def _map(self, uids: Sequence[int]) -> list[str]:
        """Read the few headers that make each message's stable id, in batches; returns ids in UID order."""
        client = self._client()
        ids: list[str] = []
        size = settings.IMAP_FETCH_BATCH
        for start in range(0, len(uids), size):
            batch = list(uids[start : start + size])
            response = client.fetch(batch, [b"RFC822.SIZE", _HEADER_ITEM])
            for uid in batch:
                item = response.get(uid)
                if not item:
                    continue  # expunged meanwhile
                header_block = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), b"") or b""
                message_id = stable_id(bytes(header_block))
                if message_id not in self._uids:
                    ids.append(message_id)
                self._uids.setdefault(message_id, (uid, int(item.get(b"RFC822.SIZE", 0))))
        return ids

    def _map_window(self) -> None:
        """Find the UIDs of messages listed by an earlier run (retries) by reading the window's headers."""
        if self._mapped_window:
            return
        self._mapped_window = True
        since = dt.date.today() - dt.timedelta(days=settings.IMAP_INITIAL_SYNC_DAYS)
        with _graded("read", self._open().details):
            self._map(sorted(self._client().search(["SINCE", since])))

    # Fetching

    def fetch(
        self, message_ids: Sequence[str], *, wants_body: WantsBody | None = None
    ) -> Iterator[FetchedMessage]:
        """Bodies in batches. With ``wants_body``, each batch's header blocks come first (``BODY.PEEK[HEADER]``)
        and only the messages it takes are downloaded; the others are handed over headers-only."""
        ids = list(dict.fromkeys(message_ids))
        try:
            if any(message_id not in self._uids for message_id in ids):
                self._map_window()
            size = settings.IMAP_FETCH_BATCH
            for start in range(0, len(ids), size):
                yield from self._fetch_batch(ids[start : start + size], wants_body)
        finally:
            self.close()

    def _fetch_batch(self, ids: list[str], wants_body: WantsBody | None) -> Iterator[FetchedMessage]:
        known = {message_id: self._uids[message_id] for message_id in ids if message_id in self._uids}
        client = self._client()
        heads: dict[str, FetchedMessage] = {}
        wanted = set(known)
        with _graded("read", self._open().details):
            if wants_body is not None and known:
                by_uid = {uid: message_id for message_id, (uid, _) in known.items()}
                for uid, item in client.fetch(list(by_uid), [b"BODY.PEEK[HEADER]"]).items():
                    block = next((v for k, v in item.items() if k.startswith(b"BODY[HEADER")), None)
                    if uid in by_uid and block is not None:
                        message_id = by_uid[uid]
                        heads[message_id] = FetchedMessage(
                            message_id=message_id, raw=bytes(block), headers_only=True
                        )
                wanted = {
                    message_id
                    for message_id in known
                    if message_id not in heads or wants_body(heads[message_id])
                }
            bodies = self._bodies({message_id: known[message_id] for message_id in wanted})
        for message_id in ids:
            if message_id not in known:
                yield FetchedMessage(message_id=message_id, error="The message is no longer in the folder.")
            elif message_id not in wanted:
                yield heads[message_id]
            elif (raw := bodies.get(known[message_id][0])) is None:
                yield FetchedMessage(message_id=message_id, error="The message is no longer in the folder.")
            else:
                yield FetchedMessage(message_id=message_id, raw=raw)

    def _bodies(self, known: dict[str, tuple[int, int]]) -> dict[int, bytes | None]:
        limit = settings.IMAP_MAX_MESSAGE_BYTES
        whole = [uid for uid, size in known.values() if size <= limit]
        cut = [uid for uid, size in known.values() if size > limit]
        client = self._client()
        bodies: dict[int, bytes | None] = {}
        if whole:
            for uid, item in client.fetch(whole, [b"BODY.PEEK[]"]).items():
                bodies[uid] = _body(item)
        if cut:
            # Only the start of an oversized message: its headers and first parts hold its words.
            for uid, item in client.fetch(cut, [f"BODY.PEEK[]<0.{limit}>".encode()]).items():
                bodies[uid] = _body(item)
        return bodies
