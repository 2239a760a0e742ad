-- Delivery of e-photo orders (issue 5, O1): an order of e-photos is fulfilled when the
-- clean file (or its print sheet) of every job it pays for has been delivered to its
-- owner once. delivered_at is the first delivery of the job under this order (unix
-- milliseconds), 0 until then. Retention is unchanged: it counts from payment (R1).
ALTER TABLE order_jobs ADD COLUMN delivered_at INTEGER NOT NULL DEFAULT 0;
