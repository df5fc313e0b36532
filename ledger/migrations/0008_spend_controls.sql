-- Spend controls enforced inside the payment step (workflows/supplier_order.py, `_pay`).

-- The kill switch: one row. While `paused`, every payment waits (with an alert) until resumed.
CREATE TABLE payment_switch (
    id          boolean PRIMARY KEY DEFAULT true CHECK (id),
    paused      boolean NOT NULL DEFAULT false,
    reason      text,
    changed_by  text,
    changed_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO payment_switch (id, paused) VALUES (true, false);

-- Every pause and resume, for the audit.
CREATE TABLE payment_switch_events (
    id          bigserial PRIMARY KEY,
    paused      boolean NOT NULL,
    reason      text NOT NULL,
    changed_by  text,
    changed_at  timestamptz NOT NULL DEFAULT now()
);

-- Caps that ops edit: a payment that would take a supplier's paid total for the (UTC) day, or a
-- requester's for the (UTC) month, above its cap waits for approval with the reason.
-- subject '*' is the default for every supplier (or requester) without a row of its own.
CREATE TABLE spend_caps (
    scope       text NOT NULL CHECK (scope IN ('supplier_day', 'requester_month')),
    subject     text NOT NULL,
    cap         numeric(14, 2) NOT NULL CHECK (cap >= 0),
    PRIMARY KEY (scope, subject)
);
