-- Files that come with events (form uploads, e-mail attachments) in the database (issue 18, item 2):
-- every instance serves every file, and pg_dump takes them with the runs that reference them. A file
-- is a row that becomes `complete` once all its chunks are written; chunks of about 1 MB each, stored
-- out of line and uncompressed (uploads are mostly compressed already: PDFs, images).
CREATE TABLE files (
  id         text COLLATE "C" PRIMARY KEY,
  owner      text COLLATE "C" NOT NULL,
  created_at timestamptz NOT NULL,
  complete   boolean NOT NULL DEFAULT false,
  doc        jsonb
);
CREATE INDEX files_owner ON files (owner);

CREATE TABLE file_chunks (
  file_id text COLLATE "C" NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  seq     integer NOT NULL,
  data    bytea NOT NULL,
  PRIMARY KEY (file_id, seq)
);
ALTER TABLE file_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
