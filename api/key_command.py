"""`procure api-key create|link|list|revoke`: the keys of the HTTP API.

``create`` prints the new key alone on stdout, once (INTERFACES.md section 5): nothing keeps it
but its hash. ``link`` makes a short-lived warehouse key and prints the QC screen's sign-in link.
Exit status as for every `procure` command: 0 done, 1 refused (a live key has the name, no such
key), 2 bad input, 3 the ledger cannot be reached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime, timedelta

import asyncpg

from api.config import ApiSettings, load_api_settings
from api.database import ledger_pool
from api.keys import BadKeyName, check_name, issue_key
from api.roles import Role
from ledger.api_keys import KeyRecord, NameTaken, list_keys, revoke_key
from starter.render import table
from runtime.settings import SettingsError, parse_duration

DEFAULT_LINK_LIFE = timedelta(hours=12)


def _name(value: str) -> str:
    try:
        return check_name(value)
    except BadKeyName as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _duration(value: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="procure api-key", description="Keys of the HTTP API (stored hashed).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    create = commands.add_parser("create", help="make a key and print it, once")
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--name", required=True, type=_name, help="who holds it (unique among live keys)")
    create.add_argument("--expires", type=_duration, default=None, metavar="DURATION",
                        help="the key stops working after this long, e.g. 8h (default: never)")
    link = commands.add_parser("link", help="a short-lived warehouse key, printed as a QC screen sign-in link")
    link.add_argument("--name", required=True, type=_name)
    link.add_argument("--expires", type=_duration, default=DEFAULT_LINK_LIFE, metavar="DURATION",
                      help="default 12h")
    link.add_argument("--api-url", default=None, help="where the API is reached (default PROCURE_API_URL or http://127.0.0.1:8000)")
    listing = commands.add_parser("list", help="the keys (never the keys themselves)")
    listing.add_argument("--all", action="store_true", help="revoked keys too")
    listing.add_argument("--json", action="store_true")
    revoke = commands.add_parser("revoke", help="a revoked key stops working at once")
    revoke.add_argument("name", type=_name, metavar="NAME")
    return parser


def _when(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _row(key: KeyRecord) -> dict[str, object]:
    return {"name": key.name, "role": key.role, "key_prefix": key.key_prefix, "created_at": _when(key.created_at),
            "expires_at": _when(key.expires_at), "revoked_at": _when(key.revoked_at), "last_used_at": _when(key.last_used_at)}


def _text(keys: list[KeyRecord]) -> str:
    if not keys:
        return "No keys. Make one with: procure api-key create --role ROLE --name NAME"
    rows = [[k.name, k.role, k.key_prefix + "...", (_when(k.created_at) or "")[:16].replace("T", " "),
             (_when(k.expires_at) or "-")[:16].replace("T", " "), "revoked" if k.revoked_at else "live",
             (_when(k.last_used_at) or "never")[:16].replace("T", " ")] for k in keys]
    return table(["name", "role", "key", "created (UTC)", "expires", "state", "last used"], rows)


async def _run(args: argparse.Namespace, settings: ApiSettings) -> int:
    async with ledger_pool(settings, max_size=1) as pool:
        if args.command in ("create", "link"):
            role = Role(args.role) if args.command == "create" else Role.WAREHOUSE
            try:
                key = await issue_key(pool, role, args.name, expires_in=args.expires)
            except NameTaken:
                print(f"procure api-key: a live key is already called {args.name!r}; revoke it first "
                      f"(procure api-key revoke {args.name}) or choose another name", file=sys.stderr)
                return 1
            if args.command == "create":
                print(key)
            else:
                base = (args.api_url or settings.procure_api_url).rstrip("/")
                print(f"{base}/qc/#key={key}")
                print(f"(a warehouse key {args.name!r}, valid for {args.expires}; anyone with the link can send QC "
                      "until then: `procure api-key revoke` ends it early)", file=sys.stderr)
            return 0
        if args.command == "list":
            keys = await list_keys(pool, include_revoked=args.all)
            print(json.dumps([_row(k) for k in keys], indent=2) if args.json else _text(keys))
            return 0
        if await revoke_key(pool, args.name):
            print(f"revoked {args.name}: it stops working now")
            return 0
        print(f"procure api-key: no live key called {args.name!r}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_api_settings()
    except SettingsError as exc:
        print(f"procure api-key: {exc}", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(args, settings))
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"procure api-key: cannot reach the ledger's PostgreSQL: {exc}", file=sys.stderr)
        return 3
