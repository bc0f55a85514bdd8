"""The reader and recipient fields of an email given as JSON (``extract_tasks`` input, labelled sets).

Optional keys: ``sender_name``; ``reader``: ``{"names": [...], "addresses": [...]}``; ``to`` and ``cc``:
lists of addresses or of ``{"address", "name"}`` objects. Absent keys leave the fields empty, which
extractors read as "the reader is unknown"."""

from __future__ import annotations

from typing import Any

from tasks_app.extractors import Reader, Recipient


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{what} must be a list of strings")
    return tuple(item.strip() for item in value if item.strip())


def _recipients(value: Any, what: str) -> tuple[Recipient, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list of addresses")
    recipients: list[Recipient] = []
    for item in value:
        if isinstance(item, str):
            address, name = item, ""
        elif isinstance(item, dict) and isinstance(item.get("address"), str):
            address, name = item["address"], str(item.get("name") or "")
        else:
            raise ValueError(f"{what} entries must be addresses or {{'address', 'name'}} objects")
        if "@" not in address:
            raise ValueError(f"{what} has an entry that is not an email address: {address!r}")
        recipients.append(Recipient(address.strip().lower(), name.strip()))
    return tuple(recipients)


def people_from_json(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``EmailForExtraction`` keyword arguments for the people of ``raw``; ValueError names a bad key."""
    reader = raw.get("reader") or {}
    if not isinstance(reader, dict):
        raise ValueError("reader must be an object with names and addresses")
    sender_name = raw.get("sender_name") or ""
    if not isinstance(sender_name, str):
        raise ValueError("sender_name must be a string")
    return {
        "sender_name": sender_name,
        "reader": Reader(
            names=_strings(reader.get("names"), "reader.names"),
            addresses=tuple(a.lower() for a in _strings(reader.get("addresses"), "reader.addresses")),
        ),
        "to": _recipients(raw.get("to"), "to"),
        "cc": _recipients(raw.get("cc"), "cc"),
    }
