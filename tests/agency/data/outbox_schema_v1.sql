-- An issuance outbox as schema version 1 wrote it (before single anchors): credential c0
-- anchored alone in batch 1, c1 and c2 pending. Made by the outbox of commit f90fde2.
BEGIN TRANSACTION;
CREATE TABLE batches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    root         BLOB    NOT NULL UNIQUE CHECK (length(root) = 32),
    type_id      INTEGER NOT NULL,
    count        INTEGER NOT NULL CHECK (count > 0),
    state        TEXT    NOT NULL CHECK (state IN ('sealed', 'submitted', 'anchored')),
    raw_tx       BLOB,
    tx_hash      TEXT,
    nonce        INTEGER,
    block_number INTEGER,
    anchored_at  INTEGER,
    created_at   INTEGER NOT NULL,
    submitted_at INTEGER,
    CHECK (state != 'submitted' OR raw_tx IS NOT NULL),
    CHECK ((state = 'anchored') = (anchored_at IS NOT NULL))
);
INSERT INTO "batches" VALUES(1,X'78C221A88C77B9BC52358555B6611DAAEB9FF2911E9B4CCB3B8276589C0C5347',1,1,'anchored',X'726177','0x01',0,1,1800000012,1796188055,1800000000);
CREATE TABLE credentials (
    id         TEXT    PRIMARY KEY,
    digest     BLOB    NOT NULL UNIQUE CHECK (length(digest) = 32),
    type_id    INTEGER NOT NULL,
    list_id    INTEGER NOT NULL,
    status_idx INTEGER NOT NULL,
    compact    TEXT    NOT NULL,
    holder_ref TEXT    NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'batched', 'anchored')),
    batch_id   INTEGER REFERENCES batches(id),
    leaf_index INTEGER,
    proof      BLOB,
    created_at INTEGER NOT NULL,
    CHECK ((state = 'pending') = (batch_id IS NULL)),
    UNIQUE (batch_id, leaf_index),
    UNIQUE (list_id, status_idx)
);
INSERT INTO "credentials" VALUES('c0',X'C738BE2454F30BECEDFD67CFCFB22968FD4EBC5F660C3FEEAF1A495606D3B20E',1,1,0,'eyJhbGciOiJFUzI1NiJ9.c0.sig~','holder-0','anchored',1,0,X'',1796188055);
INSERT INTO "credentials" VALUES('c1',X'1EC43FAB99262DA72CF79BB8DBB4D8C8B67559C6B62FB7AE43669055D97BA6FE',1,1,1,'eyJhbGciOiJFUzI1NiJ9.c1.sig~','holder-1','pending',NULL,NULL,NULL,1796188055);
INSERT INTO "credentials" VALUES('c2',X'4B3795F96EC3472AE47C9E945DAD718AC5DE1E7AA8BEA69F168CBF171B8A1F8A',1,1,2,'eyJhbGciOiJFUzI1NiJ9.c2.sig~','holder-2','pending',NULL,NULL,NULL,1796188055);
CREATE TABLE outbox_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT INTO "outbox_meta" VALUES('schema_version','1');
CREATE INDEX credentials_by_state ON credentials(state, type_id);
CREATE INDEX credentials_by_batch ON credentials(batch_id);
CREATE INDEX batches_by_state ON batches(state);
DELETE FROM "sqlite_sequence";
INSERT INTO "sqlite_sequence" VALUES('batches',1);
COMMIT;
