-- The app's call quota, shared by every worker: the next moment a 1688 business call may be sent.
-- One row per app key; each call books the next turn (see ledger/call_turns.py).
CREATE TABLE api_call_turns (
    app_key     text PRIMARY KEY,
    next_free   timestamptz NOT NULL
);
