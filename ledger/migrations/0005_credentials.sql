-- The 1688 user tokens of each app, shared by every worker: seeded from a worker's environment,
-- rewritten after each refresh and by `procure authorize` (ledger/credentials.py). Both tokens are
-- sealed with AES-256-GCM (nonce || ciphertext and tag), bound to the app key and the column;
-- key_id names the key that sealed them, never the key. `version` grows by one at every write,
-- which is how a worker notices newer tokens.
CREATE TABLE api_tokens (
    app_key                  text PRIMARY KEY,
    version                  bigint NOT NULL CHECK (version > 0),
    key_id                   text NOT NULL,
    access_token             bytea NOT NULL,
    refresh_token            bytea,
    access_token_expires_at  timestamptz,
    refresh_token_expires_at timestamptz,
    member_id                text,
    ali_id                   text,
    obtained_by              text NOT NULL CHECK (obtained_by IN ('seed', 'refresh', 'authorize')),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
