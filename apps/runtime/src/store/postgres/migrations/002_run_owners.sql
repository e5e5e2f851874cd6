-- Run ownership for several runtime processes on one database: the instance that last wrote an open
-- run is driving it; a live instance heartbeats. At start (and periodically) a process claims only the
-- queued/running runs whose owner is itself (a previous life) or is no longer alive, so it never
-- re-drives a run another live process has in hand.
ALTER TABLE runs ADD COLUMN owner text COLLATE "C";

CREATE TABLE instances (
  id           text COLLATE "C" PRIMARY KEY,
  started_at   timestamptz NOT NULL DEFAULT now(),
  heartbeat_at timestamptz NOT NULL DEFAULT now()
);
