-- Budgets per requester over a period (issue 16), besides each request's own budget, and the
-- money each order has committed against them (ledger/spend.py, activity `check_payment`).

-- requester '*' is the default for every requester without a row of their own. A payment that
-- would take the requester's committed money for the (UTC) period above the budget waits for
-- approval with the reason.
CREATE TABLE requester_budgets (
    requester   text NOT NULL,
    period      text NOT NULL CHECK (period IN ('week', 'month', 'quarter', 'year')),
    amount      numeric(14, 2) NOT NULL CHECK (amount >= 0),
    PRIMARY KEY (requester, period)
);

-- An order's money counts against its requester from the first time it asks to be paid (it may
-- move from then on) until 1688 shows it back: the order cancelled or failed (the workflow ends
-- an order so only with 1688's proof once money may have moved), or refunds completed.
-- Written under an advisory lock per requester, so two payments cannot both pass one budget.
CREATE TABLE payment_commitments (
    out_order_id  text PRIMARY KEY,
    request_id    text NOT NULL,
    requester     text NOT NULL,
    amount        numeric(14, 2) NOT NULL CHECK (amount >= 0),
    committed_at  timestamptz NOT NULL        -- the workflow's time at the first check
);
CREATE INDEX payment_commitments_requester_idx ON payment_commitments (requester, committed_at);
