-- Several runtime processes on one database behave as one (issue 18).
--
-- cluster_changes: one row per piece of shared configuration that instances cache (a flow by id, a
-- document of a watched collection), with a sequence number bumped by every change to it, in the same
-- transaction as the change. flowdesk_changed() bumps it and sends a NOTIFY on this schema's channel;
-- each instance LISTENs (the fast path) and, every few seconds, compares the table with what it has
-- applied (the reconcile), so a notification lost while its listener was reconnecting still arrives.
CREATE SEQUENCE cluster_change_seq;

CREATE TABLE cluster_changes (
  topic text COLLATE "C" NOT NULL,
  id    text COLLATE "C" NOT NULL,
  seq   bigint NOT NULL,
  PRIMARY KEY (topic, id)
);

-- The seq of an update is drawn after the row lock is taken (the DO UPDATE arm), so the seq of one
-- (topic, id) only grows in commit order; a notification with a lower seq than one applied is stale.
-- Ids over 4,000 bytes are left out of the payload (NOTIFY's limit is 8,000): the receiver reconciles.
CREATE FUNCTION flowdesk_changed(p_topic text, p_id text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  s bigint;
BEGIN
  INSERT INTO cluster_changes AS c (topic, id, seq) VALUES (p_topic, p_id, nextval('cluster_change_seq'))
    ON CONFLICT (topic, id) DO UPDATE SET seq = nextval('cluster_change_seq')
    RETURNING c.seq INTO s;
  PERFORM pg_notify(left('flowdesk:' || current_schema(), 63),
    json_build_object('t', p_topic, 'i', CASE WHEN octet_length(p_id) <= 4000 THEN p_id END, 's', s)::text);
  RETURN s;
END
$$;

-- Leases: long-lived inbound work (a mailbox, a polling trigger) owned by one instance at a time. The
-- holder renews expires_at; once it passes, another instance may take the lease over. token grows with
-- every new holder (a fencing token). Times are the database's clock, the one clock all instances share.
CREATE TABLE leases (
  name        text COLLATE "C" PRIMARY KEY,
  holder      text COLLATE "C" NOT NULL,
  token       bigint NOT NULL,
  acquired_at timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);
