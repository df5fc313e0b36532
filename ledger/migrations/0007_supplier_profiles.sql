-- What 1688 told us about each seller, keyed by the open id search rows and product detail name
-- it by (ledger/supplier_profiles.py). `profile` is the resolved profile (login id, company,
-- rates) and expires `fetched_at` + the worker's time to live, so a procurement does not ask
-- the platform again about a seller it knows; `years` (tpYear) is only ever stated by search
-- rows, so it is noted separately whenever a search row shows it.
CREATE TABLE supplier_profiles (
    supplier_id    text PRIMARY KEY,
    profile        jsonb,
    fetched_at     timestamptz,
    years          integer CHECK (years >= 0),
    years_seen_at  timestamptz,
    CHECK ((profile IS NULL) = (fetched_at IS NULL))
);
