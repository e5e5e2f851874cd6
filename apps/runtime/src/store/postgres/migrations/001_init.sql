-- Flowdesk store, schema version 1.
-- Documents are kept as `json` (not jsonb): the text round-trips exactly, including "\u0000" in a
-- webhook payload, which jsonb rejects; every query goes through the typed, indexed columns.
-- Keys use COLLATE "C" so ordering by id matches JavaScript's code-unit order on any cluster locale.

CREATE TABLE flows (
  id          text COLLATE "C" NOT NULL,
  version     integer NOT NULL,
  active      boolean NOT NULL,
  doc         json NOT NULL,
  deployed_at text NOT NULL,
  PRIMARY KEY (id, version)
);

CREATE TABLE runs (
  id              text COLLATE "C" PRIMARY KEY,
  flow_id         text COLLATE "C" NOT NULL,
  status          text NOT NULL,
  terminal        boolean NOT NULL,
  idempotency_key text COLLATE "C",
  record_entity   text COLLATE "C",
  record_key      text COLLATE "C",
  created_at      timestamptz NOT NULL,
  ended_at        timestamptz,
  doc             json NOT NULL
);
CREATE INDEX runs_created ON runs (created_at, id);
CREATE INDEX runs_flow_created ON runs (flow_id, created_at, id);
CREATE INDEX runs_status_created ON runs (status, created_at, id);
CREATE INDEX runs_key ON runs (idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX runs_record_key ON runs (record_key, record_entity) WHERE record_key IS NOT NULL;
CREATE INDEX runs_open ON runs (created_at, id) WHERE NOT terminal;
CREATE INDEX runs_ended ON runs (ended_at) WHERE terminal;

-- Idempotency: one live claim per (flow, key). A claim whose expires_at has passed (dedupeWindow)
-- is taken over by the next run with that key.
CREATE TABLE dedupe (
  flow_id    text COLLATE "C" NOT NULL,
  key        text COLLATE "C" NOT NULL,
  run_id     text COLLATE "C" NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (flow_id, key)
);

CREATE TABLE rejected (
  id      text COLLATE "C" PRIMARY KEY,
  at      timestamptz NOT NULL,
  flow_id text COLLATE "C",
  doc     json NOT NULL
);
CREATE INDEX rejected_at ON rejected (at, id);

CREATE TABLE records (
  entity text COLLATE "C" NOT NULL,
  key    text COLLATE "C" NOT NULL,
  state  text COLLATE "C" NOT NULL,
  doc    json NOT NULL,
  PRIMARY KEY (entity, key)
);
CREATE INDEX records_state ON records (state);

CREATE TABLE timers (
  id     text COLLATE "C" PRIMARY KEY,
  due_at timestamptz NOT NULL,
  doc    json NOT NULL
);
CREATE INDEX timers_due ON timers (due_at, id);

CREATE TABLE docs (
  collection text COLLATE "C" NOT NULL,
  id         text COLLATE "C" NOT NULL,
  doc        json NOT NULL,
  PRIMARY KEY (collection, id)
);
