-- Notifications (an outbox written in the same transaction as the ledger row that records the
-- event, so an event is never lost and never queued twice) and store replenishment.

-- One row per event, keyed by a stable event key: a retried ledger write cannot queue it again.
CREATE TABLE notification_events (
    event_key       text PRIMARY KEY,
    event_type      text NOT NULL,            -- domain/notifications.py EventType
    workflow_id     text,
    request_id      text,
    requester       text,
    detail          jsonb NOT NULL DEFAULT '{}'::jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    routed_at       timestamptz               -- when the dispatcher chose its channels
);
CREATE INDEX notification_events_unrouted_idx ON notification_events (created_at) WHERE routed_at IS NULL;

-- One row per (event, channel): each is sent once and retried on its own, so a dead channel
-- never holds back another channel or the procurement.
CREATE TABLE notification_deliveries (
    event_key       text NOT NULL REFERENCES notification_events (event_key),
    channel         text NOT NULL,
    status          text NOT NULL DEFAULT 'pending',   -- pending | sent | dead
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error      text,                              -- never a URL, key or secret
    sent_at         timestamptz,
    PRIMARY KEY (event_key, channel)
);
CREATE INDEX notification_deliveries_due_idx ON notification_deliveries (next_attempt_at) WHERE status = 'pending';

CREATE FUNCTION notify_queue(p_key text, p_type text, p_workflow_id text, p_detail jsonb) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    req record;
BEGIN
    SELECT request_id, requester INTO req FROM purchase_requests WHERE workflow_id = p_workflow_id;
    INSERT INTO notification_events (event_key, event_type, workflow_id, request_id, requester, detail)
    VALUES (p_key, p_type, p_workflow_id, req.request_id, req.requester, p_detail)
    ON CONFLICT (event_key) DO NOTHING;
END $$;

-- Alerts the order workflows raise (trace_events kind 'alert'; the step names the alert).
CREATE FUNCTION notify_on_alert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    step_name text := split_part(NEW.step, ':', 2);
    kind text;
BEGIN
    IF NEW.kind <> 'alert' THEN
        RETURN NEW;
    END IF;
    kind := CASE
        WHEN step_name = 'qc-reminder' THEN 'qc_waiting'
        WHEN step_name = 'qc-escalation' THEN 'qc_escalated'
        WHEN step_name LIKE 'approval-reminder%' THEN 'approval_needed'
        WHEN step_name = 'stuck-shipment' THEN 'stuck_shipment'
        WHEN step_name LIKE 'refund-refused%' THEN 'refund_refused'
        WHEN step_name LIKE 'blocked-%' AND NEW.detail->>'text' ILIKE '%authori%' THEN 'authorisation_expired'
        ELSE 'alert'
    END;
    PERFORM notify_queue('alert:' || NEW.workflow_id || ':' || NEW.step, kind, NEW.workflow_id,
                         NEW.detail || jsonb_build_object('step', NEW.step));
    RETURN NEW;
END $$;
CREATE TRIGGER trace_events_notify AFTER INSERT ON trace_events FOR EACH ROW EXECUTE FUNCTION notify_on_alert();

-- Stages a person acts on: approval needed, QC waiting, and the end with its summary.
CREATE FUNCTION notify_on_stage() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.stage IS NOT DISTINCT FROM OLD.stage THEN
        RETURN NEW;
    END IF;
    IF NEW.stage = 'AWAITING_APPROVAL' THEN
        PERFORM notify_queue('stage:' || NEW.workflow_id || ':AWAITING_APPROVAL', 'approval_needed', NEW.workflow_id,
                             jsonb_build_object('stage', NEW.stage));
    ELSIF NEW.stage = 'AWAITING_QC' THEN
        PERFORM notify_queue('stage:' || NEW.workflow_id || ':AWAITING_QC', 'qc_waiting', NEW.workflow_id,
                             jsonb_build_object('stage', NEW.stage));
    ELSIF NEW.stage IN ('COMPLETED', 'FAILED', 'CANCELLED') THEN
        PERFORM notify_queue('finished:' || NEW.workflow_id, 'finished', NEW.workflow_id,
                             jsonb_build_object('stage', NEW.stage, 'outcome', NEW.outcome));
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER purchase_requests_notify AFTER INSERT OR UPDATE OF stage ON purchase_requests
    FOR EACH ROW EXECUTE FUNCTION notify_on_stage();

-- The seed's "notify the buyer": the courier reports the parcel signed for.
CREATE FUNCTION notify_on_signed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wf text;
BEGIN
    IF NEW.status <> 'SIGN' OR (TG_OP = 'UPDATE' AND OLD.status = 'SIGN') THEN
        RETURN NEW;
    END IF;
    SELECT workflow_id INTO wf FROM orders WHERE order_id = NEW.order_id;
    PERFORM notify_queue('signed:' || NEW.order_id, 'signed_for', wf,
                         jsonb_build_object('order_id', NEW.order_id, 'company', NEW.company,
                                            'tracking_no', NEW.tracking_no));
    RETURN NEW;
END $$;
CREATE TRIGGER shipments_notify AFTER INSERT OR UPDATE OF status ON shipments
    FOR EACH ROW EXECUTE FUNCTION notify_on_signed();

-- Store replenishment: the last stock level of each SKU a store reported, and each batch that
-- became a procurement, with the time from the first low-stock report to the paid orders.
CREATE TABLE store_stock_levels (
    store_id        text NOT NULL,
    sku             text NOT NULL,
    on_hand         integer NOT NULL,
    sold_since_last integer NOT NULL DEFAULT 0,
    reported_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, sku)
);

CREATE TABLE replenishment_batches (
    request_id      text PRIMARY KEY,
    store_id        text NOT NULL,
    skus            jsonb NOT NULL,           -- [{"sku", "quantity"}]
    low_at          timestamptz NOT NULL,     -- the first low-stock report in the batch
    started_at      timestamptz NOT NULL
);
CREATE INDEX replenishment_batches_store_idx ON replenishment_batches (store_id, started_at);
