-- The compliance refresh (workflows/compliance.py): the latest verdict per supplier, and the
-- alerts raised, once each (ledger/compliance.py). Sourcing reads `supplier_compliance` so a
-- non-compliant supplier is excluded with its reason; `compliance_alerts.alert_key` names the
-- supplier, its state and the date that caused it, so a second run raises nothing new.
CREATE TABLE supplier_compliance (
    supplier_id         text PRIMARY KEY,
    login_id            text NOT NULL DEFAULT '',
    company_name        text NOT NULL DEFAULT '',
    status              text NOT NULL CHECK (status IN ('compliant', 'expiring', 'non_compliant', 'unknown')),
    reason              text NOT NULL,
    license_expires_on  date,
    permits             jsonb NOT NULL DEFAULT '[]'::jsonb,
    checked_at          timestamptz NOT NULL DEFAULT now(),
    run_id              text NOT NULL             -- the refresh that wrote it (workflow run id)
);

CREATE TABLE compliance_alerts (
    alert_key    text PRIMARY KEY,
    supplier_id  text NOT NULL,
    status       text NOT NULL,
    reason       text NOT NULL,
    raised_at    timestamptz NOT NULL DEFAULT now(),
    run_id       text NOT NULL
);
CREATE INDEX compliance_alerts_supplier ON compliance_alerts (supplier_id, raised_at);
