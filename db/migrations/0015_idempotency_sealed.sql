-- Idempotency keys are kept only as their SHA-256 (hex), and a response that carries a secret (a new participant's
-- API key) is stored sealed: encrypted with a key derived from the caller and its Idempotency-Key, which the
-- database never holds. Its caller can still replay it; a reader of this table cannot read the secret.
ALTER TABLE idempotency_records ADD COLUMN IF NOT EXISTS sealed boolean NOT NULL DEFAULT false;
-- (A migration runs once: every key stored before it is a client's key, even one that looks like a hash.)
UPDATE idempotency_records SET idem_key = encode(sha256(convert_to(idem_key, 'UTF8')), 'hex');
