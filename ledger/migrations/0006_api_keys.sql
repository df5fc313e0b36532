-- Keys for the HTTP API (`procure api`), and the audit of every call made with one.
-- A key is stored as the SHA-256 of its text: the text itself is shown once, when it is made.

CREATE TABLE api_keys (
    key_id          bigserial PRIMARY KEY,
    name            text NOT NULL,            -- who holds it: "erp-main", "li.wei's handheld"
    role            text NOT NULL CHECK (role IN ('erp', 'pos', 'warehouse', 'approver', 'ops')),
    key_hash        text NOT NULL UNIQUE,     -- hex SHA-256 of the key
    key_prefix      text NOT NULL,            -- its first characters, to tell keys apart in a list
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz,              -- a short-lived sign-in link's key; NULL: no end
    revoked_at      timestamptz
);
-- A name names one live key, so `procure api-key revoke NAME` is never ambiguous.
CREATE UNIQUE INDEX api_keys_live_name_idx ON api_keys (name) WHERE revoked_at IS NULL;

-- Who called what, when, and what came of it. key_name is NULL when no valid key was shown.
CREATE TABLE api_key_audit (
    id              bigserial PRIMARY KEY,
    called_at       timestamptz NOT NULL DEFAULT now(),
    key_name        text,
    role            text,
    action          text NOT NULL,            -- e.g. start_purchase_request, qc
    method          text NOT NULL,
    path            text NOT NULL,
    target          text,                     -- the request id or order id the call was about
    status          integer NOT NULL,         -- the HTTP status answered
    client          text,                     -- the caller's address
    latency_ms      integer NOT NULL
);
CREATE INDEX api_key_audit_called_at_idx ON api_key_audit (called_at);
CREATE INDEX api_key_audit_key_idx ON api_key_audit (key_name, called_at);
CREATE INDEX api_key_audit_target_idx ON api_key_audit (target);
