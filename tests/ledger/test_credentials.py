"""The 1688 token store in PostgreSQL: sealed, versioned, one row per app key."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from alibaba1688 import TokenSet
from ledger.credentials import CredentialsError, CredentialStore, TokenCipher, parse_token_key
from starter.codec import generate_key

APP_KEY = "1000000"
APP_SECRET = "app-secret-of-the-test-app"
ACCESS = "access-token-in-clear-4711"
REFRESH = "refresh-token-in-clear-0815"
EXPIRES = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def tokens(access: str = ACCESS, refresh: str | None = REFRESH, version: int | None = None) -> TokenSet:
    return TokenSet(
        access_token=SecretStr(access),
        refresh_token=SecretStr(refresh) if refresh else None,
        access_token_expires_at=EXPIRES,
        refresh_token_expires_at=EXPIRES + timedelta(days=180),
        member_id="b2b-buyer0001",
        ali_id="2200000000001",
        version=version,
    )


def store(pool, cipher: TokenCipher | None = None, app_key: str = APP_KEY) -> CredentialStore:
    return CredentialStore(pool, app_key, cipher or TokenCipher.for_app(SecretStr(APP_SECRET)))


def plain(value: TokenSet | None) -> tuple:
    assert value is not None
    refresh = value.refresh_token.get_secret_value() if value.refresh_token else None
    return (value.access_token.get_secret_value(), refresh, value.access_token_expires_at,
            value.refresh_token_expires_at, value.member_id, value.ali_id, value.version)


async def test_a_seed_round_trips_through_a_fresh_store_and_nothing_is_in_clear(db_pool):
    seeded = await store(db_pool).save(tokens())
    assert seeded.version == 1
    # A new store (another worker) has no cache: it opens the ciphertexts itself.
    loaded = await store(db_pool).load()
    assert plain(loaded) == (ACCESS, REFRESH, EXPIRES, EXPIRES + timedelta(days=180), "b2b-buyer0001",
                             "2200000000001", 1)

    row = await db_pool.fetchrow("SELECT t::text AS text, access_token, refresh_token, key_id, obtained_by "
                                 "FROM api_tokens t")
    assert row["obtained_by"] == "seed" and row["key_id"].startswith("app-secret-")
    for secret in (ACCESS, REFRESH, APP_SECRET):
        for form in (secret.encode(), base64.b64encode(secret.encode()), secret.encode().hex().encode()):
            assert form not in row["text"].encode()
            assert form not in row["access_token"] and form not in row["refresh_token"]
    # Each value is sealed with its own nonce: the same token twice never gives the same bytes.
    cipher = TokenCipher.for_app(SecretStr(APP_SECRET))
    assert cipher.seal(APP_KEY, "access_token", SecretStr(ACCESS)) != cipher.seal(APP_KEY, "access_token", SecretStr(ACCESS))


async def test_versions_grow_and_a_stale_write_returns_the_newer_tokens(db_pool):
    first, second = store(db_pool), store(db_pool)
    assert (await first.save(tokens())).version == 1
    assert plain(await second.save(tokens("another-seed-token-1"))) == plain(await first.load())  # seed kept

    refreshed = await first.save(tokens("refreshed-by-first-1", version=1))
    assert refreshed.version == 2
    # The second worker refreshed from version 1 too, but version 2 is there now: it gets that.
    late = await second.save(tokens("refreshed-by-second", version=1))
    assert late.version == 2 and late.access_token.get_secret_value() == "refreshed-by-first-1"
    assert (await second.load()).access_token.get_secret_value() == "refreshed-by-first-1"

    authorised = await second.replace(tokens("authorised-token-9", refresh="authorised-refresh-9"))
    assert authorised.version == 3
    assert plain(await first.load())[:2] == ("authorised-token-9", "authorised-refresh-9")
    assert await db_pool.fetchval("SELECT obtained_by FROM api_tokens") == "authorize"
    assert await db_pool.fetchval("SELECT count(*) FROM api_tokens") == 1


async def test_replace_on_an_empty_store_and_tokens_without_refresh(db_pool):
    stored = await store(db_pool).replace(tokens(refresh=None))
    assert stored.version == 1
    loaded = await store(db_pool).load()
    assert loaded is not None and loaded.refresh_token is None
    assert await store(db_pool, app_key="another-app").load() is None


async def test_an_explicit_key_and_a_wrong_key(db_pool, monkeypatch):
    entry = generate_key("tok1")  # what `procure codec-key` prints works here too
    keyed = TokenCipher.for_app(SecretStr(APP_SECRET), SecretStr(entry))
    assert keyed.key_id == "tok1"
    await store(db_pool, keyed).save(tokens())
    assert plain(await store(db_pool, keyed).load())[:2] == (ACCESS, REFRESH)

    with pytest.raises(CredentialsError) as caught:
        await store(db_pool).load()  # derived from the app secret: another key id
    message = str(caught.value)
    assert "'tok1'" in message and "procure authorize" in message
    assert entry.split(":")[1] not in message and ACCESS not in message

    # Same id, different key: the tag does not verify.
    impostor = TokenCipher.for_app(SecretStr(APP_SECRET), SecretStr(generate_key("tok1")))
    with pytest.raises(CredentialsError, match="failed authentication"):
        await store(db_pool, impostor).load()


async def test_a_ciphertext_moved_to_another_column_or_row_is_refused(db_pool):
    await store(db_pool).save(tokens())
    await store(db_pool, app_key="other-app").save(tokens("other-apps-token"))
    await db_pool.execute("UPDATE api_tokens SET access_token = refresh_token WHERE app_key = $1", APP_KEY)
    with pytest.raises(CredentialsError, match="failed authentication"):
        await store(db_pool).load()
    await db_pool.execute(
        "UPDATE api_tokens SET access_token = (SELECT access_token FROM api_tokens WHERE app_key = 'other-app'), "
        "version = version + 1 WHERE app_key = $1", APP_KEY)
    with pytest.raises(CredentialsError, match="failed authentication"):
        await store(db_pool).load()


def test_nothing_secret_in_reprs():
    cipher = TokenCipher.for_app(SecretStr(APP_SECRET))
    held = tokens()
    for text in (repr(cipher), repr(CredentialStore(None, APP_KEY, cipher)), repr(held), str(held)):  # type: ignore[arg-type]
        assert ACCESS not in text and REFRESH not in text and APP_SECRET not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"short").decode(), "decodes to 5 bytes"),
        ("bad id!:" + base64.b64encode(b"k" * 32).decode(), "key id"),
    ],
)
def test_bad_keys_are_refused_without_quoting_them(value, expected):
    with pytest.raises(ValueError, match=expected) as caught:
        parse_token_key(value)
    assert value.rpartition(":")[2] not in str(caught.value)


def test_keys_parse_with_or_without_an_id():
    raw = b"\x01" * 32
    assert parse_token_key(base64.urlsafe_b64encode(raw).decode()) == (parse_token_key(base64.b64encode(raw).decode())[0], raw)
    assert parse_token_key("k2:" + base64.b64encode(raw).decode()) == ("k2", raw)
