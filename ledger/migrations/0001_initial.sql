-- Schema v1 of the procurement ledger: what an ERP reads and what an auditor checks.
-- Every write is idempotent: each table has the natural key that a retried activity repeats.

CREATE TABLE purchase_requests (
    request_id      text PRIMARY KEY,
    workflow_id     text NOT NULL UNIQUE,
    requester       text,
    request         jsonb NOT NULL,           -- the request as accepted (delivery data included)
    stage           text NOT NULL,
    outcome         jsonb,                    -- the final summary, per line
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

-- Every candidate considered for a line, with its figures and why it won or lost.
CREATE TABLE sourcing_decisions (
    workflow_id       text NOT NULL,
    line_id           text NOT NULL,
    sourcing_round    integer NOT NULL,       -- 0 first, +1 for each re-sourcing of the line
    offer_id          text NOT NULL,
    supplier_id       text NOT NULL,
    rank              integer,                -- null when excluded
    unit_price        numeric(14, 2),
    landed_total      numeric(14, 2),
    landed_unit_cost  numeric(14, 4),
    score             numeric(4, 2),
    chosen            boolean NOT NULL DEFAULT false,
    reason            text NOT NULL,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, line_id, sourcing_round, offer_id)
);

-- One row per intended 1688 order; out_order_id is our stable idempotency key sent to 1688.
CREATE TABLE orders (
    out_order_id    text PRIMARY KEY,
    workflow_id     text NOT NULL,
    request_id      text NOT NULL,
    supplier_id     text NOT NULL,
    order_id        text UNIQUE,              -- the 1688 order id (digits, kept as text: > 2^53)
    status          text NOT NULL,
    goods_amount    numeric(14, 2),
    freight_amount  numeric(14, 2),
    total_amount    numeric(14, 2),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_request_idx ON orders (request_id);

CREATE TABLE order_lines (
    out_order_id    text NOT NULL REFERENCES orders (out_order_id),
    line_id         text NOT NULL,
    offer_id        text NOT NULL,
    spec_id         text,
    quantity        integer NOT NULL CHECK (quantity > 0),
    unit_price      numeric(14, 2) NOT NULL,
    status          text NOT NULL DEFAULT 'ordered',
    PRIMARY KEY (out_order_id, line_id)
);

CREATE TABLE payments (
    order_id        text PRIMARY KEY,         -- at most one payment per 1688 order
    out_order_id    text NOT NULL REFERENCES orders (out_order_id),
    amount          numeric(14, 2) NOT NULL,
    method          text NOT NULL,            -- protocol_pay | payment_link
    op_request_id   text NOT NULL UNIQUE,
    approved_by     text,
    paid_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shipments (
    order_id        text PRIMARY KEY,
    status          text NOT NULL,            -- WAITACCEPT | ACCEPT | TRANSPORT | SIGN
    company         text,
    tracking_no     text,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE shipment_events (
    order_id        text NOT NULL,
    event_time      text NOT NULL,            -- as 1688 reports it
    remark          text NOT NULL,
    PRIMARY KEY (order_id, event_time, remark)
);

CREATE TABLE qc_results (
    order_id        text NOT NULL,
    line_id         text NOT NULL,
    accepted_qty    integer NOT NULL CHECK (accepted_qty >= 0),
    rejected_qty    integer NOT NULL CHECK (rejected_qty >= 0),
    reason          text,
    inspector       text,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, line_id)
);

CREATE TABLE refunds (
    order_id        text NOT NULL,
    refund_key      text NOT NULL,            -- ours, stable across retries
    refund_id       text,                     -- 1688's
    amount          numeric(14, 2) NOT NULL,
    reason          text NOT NULL,
    status          text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, refund_key)
);

-- Our own record of each supplier, one row per settled order; feeds the supplier score.
CREATE TABLE supplier_outcomes (
    order_id        text PRIMARY KEY,
    supplier_id     text NOT NULL,
    delivered       boolean NOT NULL,
    on_time         boolean NOT NULL,
    inspected_qty   integer NOT NULL DEFAULT 0,
    passed_qty      integer NOT NULL DEFAULT 0,
    recorded_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX supplier_outcomes_supplier_idx ON supplier_outcomes (supplier_id);

CREATE VIEW supplier_history AS
SELECT supplier_id,
       count(*) FILTER (WHERE delivered)              AS orders_delivered,
       count(*) FILTER (WHERE delivered AND on_time)  AS on_time_deliveries,
       coalesce(sum(inspected_qty), 0)                AS qc_inspected,
       coalesce(sum(passed_qty), 0)                   AS qc_passed
FROM supplier_outcomes
GROUP BY supplier_id;

-- One row per 1688 call attempt; parameters are redacted before they get here.
CREATE TABLE api_calls (
    id              bigserial PRIMARY KEY,
    workflow_id     text,
    activity_id     text,
    attempt         integer,
    api             text NOT NULL,
    params          jsonb NOT NULL,
    outcome         text NOT NULL,            -- ok | error
    error_code      text,
    latency_ms      integer NOT NULL,
    called_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_calls_workflow_idx ON api_calls (workflow_id);

-- The step-by-step story of a procurement, for audit.
CREATE TABLE trace_events (
    workflow_id     text NOT NULL,
    step            text NOT NULL,            -- stable per step, so a retry does not add a row
    kind            text NOT NULL,
    detail          jsonb NOT NULL DEFAULT '{}'::jsonb,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (workflow_id, step)
);
