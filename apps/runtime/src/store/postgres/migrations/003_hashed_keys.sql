-- Idempotency and record keys are indexed and claimed by their sha256 (hex), never whole: a key may be
-- any length (a flow keyed on a long payload field), and a btree entry may not exceed ~2.7 kB. The raw
-- key stays in the run document. Claims and runs stored before this migration are converted in place,
-- so a duplicate of an event accepted before the upgrade is still a duplicate after it.
ALTER TABLE runs ADD COLUMN idempotency_key_hash text COLLATE "C";
ALTER TABLE runs ADD COLUMN record_key_hash text COLLATE "C";
UPDATE runs SET
  idempotency_key_hash = CASE WHEN idempotency_key IS NULL THEN NULL ELSE encode(sha256(convert_to(idempotency_key, 'UTF8')), 'hex') END,
  record_key_hash = CASE WHEN record_key IS NULL THEN NULL ELSE encode(sha256(convert_to(record_key, 'UTF8')), 'hex') END;
DROP INDEX runs_key;
DROP INDEX runs_record_key;
ALTER TABLE runs DROP COLUMN idempotency_key;
ALTER TABLE runs DROP COLUMN record_key;
CREATE INDEX runs_key_hash ON runs (idempotency_key_hash) WHERE idempotency_key_hash IS NOT NULL;
CREATE INDEX runs_record_key_hash ON runs (record_key_hash, record_entity) WHERE record_key_hash IS NOT NULL;
-- open runs of one record (cancelOn on every state change): found without reading the others
CREATE INDEX runs_open_record ON runs (record_entity, record_key_hash, created_at, id) WHERE NOT terminal AND record_key_hash IS NOT NULL;

UPDATE dedupe SET key = encode(sha256(convert_to(key, 'UTF8')), 'hex');
ALTER TABLE dedupe RENAME COLUMN key TO key_hash;
