-- One row per 1688 refund (TQ...), followed to its end (ledger/refunds.py, domain/refund.py).
-- The refunds table of 0001 held one row per order and our key, with whatever status the
-- workflow last saw. It now holds a refund's own figures and is keyed by 1688's refund id once
-- there is one; our key names the refund until then. Rows written before this migration keep
-- their values (state and platform_status stay NULL).
ALTER TABLE refunds DROP CONSTRAINT refunds_pkey;
ALTER TABLE refunds ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
ALTER TABLE refunds
    ADD COLUMN state            text,      -- ours: requested | return_requested | return_sent | refused | completed
    ADD COLUMN platform_status  text,      -- 1688's: waitselleragree ... refundsuccess | refundclose
    ADD COLUMN amount_refunded  numeric(14, 2) NOT NULL DEFAULT 0,  -- money back so far
    ADD COLUMN seller_reason    text,      -- why the seller refused
    ADD COLUMN updated_at       timestamptz NOT NULL DEFAULT now();
COMMENT ON COLUMN refunds.amount IS 'applied for: goods and carriage, yuan';
COMMENT ON COLUMN refunds.reason IS 'ours: why we asked (the QC rejection)';
COMMENT ON COLUMN refunds.status IS 'kept for older readers: the state, or what the workflow last saw';

CREATE UNIQUE INDEX refunds_refund_id_key ON refunds (refund_id);
CREATE UNIQUE INDEX refunds_unfiled_key ON refunds (order_id, refund_key) WHERE refund_id IS NULL;
CREATE INDEX refunds_order_idx ON refunds (order_id);

-- Every state a refund was seen in, in order: a retried write adds no row (the state did not change).
CREATE TABLE refund_states (
    refund_id        text NOT NULL REFERENCES refunds (refund_id),
    seq              integer NOT NULL CHECK (seq > 0),
    state            text NOT NULL,
    platform_status  text NOT NULL,
    amount_refunded  numeric(14, 2) NOT NULL,
    seller_reason    text,
    changed_at       timestamptz,              -- when 1688 says the refund last changed
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (refund_id, seq)
);
