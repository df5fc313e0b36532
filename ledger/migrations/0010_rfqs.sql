-- Requests for quotation (workflows/rfq.py; ledger/rfqs.py): one row per RFQ, kept current as it
-- moves (stage, the 1688 inquiry, the award or the reason nobody was awarded), and one row per
-- quote read from 1688, revisions included (the latest per factory is the one that stands).
-- Writes are idempotent: the RFQ by its id, a quote by its 1688 quotation id.
CREATE TABLE rfqs (
    rfq_id                    text PRIMARY KEY,
    workflow_id               text NOT NULL,
    subject                   text NOT NULL,
    requester                 text,
    stage                     text NOT NULL,
    buy_offer_id              text,
    factories                 text[] NOT NULL DEFAULT '{}',
    awarded_to                text,
    awarded_by                text,
    award_total               numeric(14, 2),
    procurement_workflow_id   text,
    reason                    text,
    comparison                jsonb,
    updated_at                timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rfq_quotes (
    quotation_id   text PRIMARY KEY,
    rfq_id         text NOT NULL REFERENCES rfqs (rfq_id),
    supplier_id    text NOT NULL,
    quoted_at      timestamptz NOT NULL,
    declined       boolean NOT NULL,
    decline_reason text,
    offer_id       text,
    unit_prices    jsonb NOT NULL,  -- {"tier quantity": "unit price (yuan)"}
    freight        numeric(14, 2) NOT NULL,
    lead_days      integer,
    capacity       integer
);
CREATE INDEX rfq_quotes_by_rfq ON rfq_quotes (rfq_id, supplier_id, quoted_at);
