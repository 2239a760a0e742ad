-- Refunds in the accounting ledger, and payments that came too late (issue 5, O3, O5).

-- kind tells a payment from a refund. A refund's entry is keyed by the channel's own
-- refund number in trade_no, so it is entered once however often the refund is
-- repeated; the channels' refund numbers never equal their trade numbers (WeChat Pay
-- numbers them apart, and the Alipay provider writes trade/request). Its sealed fields
-- hold the amount as a negative number of fen and the trade it returns.
ALTER TABLE ledger ADD COLUMN kind TEXT NOT NULL DEFAULT 'payment' CHECK (kind IN ('payment', 'refund'));

-- A verified, paid trade whose order could not take it: the order was cancelled or
-- expired, or paid through another trade, when the payment came. The money is in the
-- ledger (an entry of kind payment) and the row waits for an operator to refund it.
-- No foreign key: like the ledger it outlives the order, and it names no user.
CREATE TABLE late_payments (
    channel      TEXT NOT NULL,
    trade_no     TEXT NOT NULL,
    order_id     TEXT NOT NULL,
    amount_fen   INTEGER NOT NULL CHECK (amount_fen > 0),
    order_status TEXT NOT NULL,
    sandbox      INTEGER NOT NULL DEFAULT 0,
    found_at     INTEGER NOT NULL,
    refunded_at  INTEGER NOT NULL DEFAULT 0,
    refund_no    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (channel, trade_no)
);
CREATE INDEX late_payments_open ON late_payments (refunded_at, found_at);
