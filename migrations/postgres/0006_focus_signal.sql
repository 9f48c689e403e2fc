-- The coaching loop: a digest's record keeps which rule chose its focus and the value that
-- rule read, so the next digest can say what happened to it ("the keep score was 45%: now
-- 70%"). NULL for digests from before, and for a focus no figure chose.
ALTER TABLE deliveries ADD COLUMN focus_rule TEXT;
ALTER TABLE deliveries ADD COLUMN focus_value DOUBLE PRECISION;
