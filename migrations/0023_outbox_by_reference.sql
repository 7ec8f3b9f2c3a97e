-- 0023: consent.change outbox events by reference (issue #14: ~821 of 1,254 bytes per imported consent were the
-- outbox's copies of the consent's terms). An event whose payload the database can rebuild keeps '' as its stored
-- payload and one row in outbox_refs: the consent row it was built from (whose terms never change: triggers below)
-- and what a change adds to them (its kind, order stamp, previous stamp, revoked flag). Readers read payloads from
-- the view outbox_events, which rebuilds them to the byte (JSON.stringify's text: same field order, escapes and
-- numbers); the writer (main/sync/outbox.ts) compares the rebuilt text with the one it would have stored before it
-- keeps a reference, and keeps the copy otherwise. Nothing that was sent can be rebuilt differently later: the terms
-- of a consent row, a patient's pseudonym, a reference and a hash are refused any change, and a referenced consent
-- row any deletion, by name (OUTBOX_SOURCE_IMMUTABLE).
-- The migration runner copies the database (VACUUM INTO) before applying this.

-- keccak256 of a text a rebuilt payload needs (a grantee 'npi:…'/'org:…', a purpose, a category): a few rows.
CREATE TABLE outbox_ref_hashes (
  text  TEXT PRIMARY KEY,
  hash  TEXT NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per event stored by reference. change: 0 create, 1 revoke, 2 supersede. hlc and prev_hlc: the 64-bit
-- stamps as signed integers (printf('%016x') gives back the 16 hex digits, the top bit included).
CREATE TABLE outbox_refs (
  outbox_id  INTEGER PRIMARY KEY REFERENCES outbox (id),
  source_id  INTEGER NOT NULL,
  change     INTEGER NOT NULL CHECK (change IN (0, 1, 2)),
  hlc        INTEGER NOT NULL,
  prev_hlc   INTEGER NOT NULL,
  revoked    INTEGER NOT NULL CHECK (revoked IN (0, 1))
) STRICT;

-- The consent.change payload of a reference, as consentChangeJson (main/consents/outbox-events.ts) writes it.
-- NULL parts (a hash not recorded) make a payload the schema refuses at send time, never a different valid one.
CREATE VIEW outbox_ref_payloads AS
SELECT r.outbox_id AS outbox_id,
       json_object(
         'v', 2,
         'change', CASE r.change WHEN 0 THEN 'create' WHEN 1 THEN 'revoke' ELSE 'supersede' END,
         'consentId', c.id,
         'patientPseudonym', p.pseudonym,
         'granteeKind', c.grantee_kind,
         'grantee', c.grantee,
         'granteeHash', (SELECT h.hash FROM outbox_ref_hashes h WHERE h.text = c.grantee_kind || ':' || c.grantee),
         'purposeHash', (SELECT h.hash FROM outbox_ref_hashes h WHERE h.text = c.purpose),
         'categoryHash', (SELECT h.hash FROM outbox_ref_hashes h WHERE h.text = c.category),
         'hlc', printf('%016x', r.hlc),
         'prevHlc', printf('%016x', r.prev_hlc),
         'decision', c.decision,
         'validFrom', max(0, c.period_start),
         'validUntil', CASE WHEN c.period_end IS NULL THEN 0 ELSE max(1, c.period_end) END,
         'revoked', json(CASE r.revoked WHEN 1 THEN 'true' ELSE 'false' END),
         'documentHash', c.document_hash
       ) AS payload
  FROM outbox_refs r
  JOIN consents c ON c.id = r.source_id
  JOIN patients p ON p.id = c.patient_id;

-- Every outbox column, the payload as sent: the stored copy, or the rebuilt one ('' when its source is gone: the
-- sync engine fails such an event by name and never sends it).
CREATE VIEW outbox_events AS
SELECT o.id, o.kind,
       CASE WHEN o.payload <> '' THEN o.payload
            WHEN o.kind = 'consent.change' THEN coalesce((SELECT rp.payload FROM outbox_ref_payloads rp WHERE rp.outbox_id = o.id), '')
            ELSE '' END AS payload,
       o.state, o.batch_id, o.attempts, o.last_error, o.created_at, o.updated_at
  FROM outbox o;

-- The ledger's purposes and categories: keccak256 of each code's text (PURPOSE_HASHES, CATEGORY_HASHES in
-- main/consents/outbox-events.ts; migration.test.ts compares them), never taken from a stored payload.
INSERT INTO outbox_ref_hashes (text, hash) VALUES
  ('TREAT', '0xc085ab1d5f807c39e10996a170e44b2cf9afeabb5ad807b90906bc0eca27ac97'),
  ('ETREAT', '0x5b41b25796e846a25ff4a16e6c9c7e3c5595ded6aa25e03b52a1f512760da43d'),
  ('HPAYMT', '0x027f89c03d8672b2b00ac3d1a74d0c5b318167615b4b9b1e5235ad165ca8ccce'),
  ('HOPERAT', '0x6412856caf1205fc0ecd3b1b16682d0645a9b35a70ec374fcc76bb9ecffde9f1'),
  ('HRESCH', '0xb4d7e7441269fec443777364327f8c075a14474059e1bec3e272f07cb058b4c2'),
  ('PUBHLTH', '0x0bcedc8c61c37611e337d3587f2508bfa153a24610d39c7ff4ff373f4ba4fa2f'),
  ('HMARKT', '0x324751686ebe2be1145310e651d6a30e307aaa10d1d5d849c0bc166de49c4306'),
  ('general', '0x99b6c68d677d3cdb82a74f6b2505208e25a692638accf1d7a62669954fe08d9a'),
  ('mental-health', '0x9648d6ef5dc2f75d6d4a941739bb01ea4c54cb9f6a135da8ca9a289fa8d5944f'),
  ('substance-use', '0xee2b6dfadc32809170459467328b68c27e68b8527796e28f080b1e9b73bdb5dc'),
  ('HIV', '0x9e80d6d5d74bcd14ae4ffd698d26d2cc12b7354467f3ebc922d63cbdcb7d1883'),
  ('genetic', '0x5699da5666c07826f1395afef645e535f11431d0a750d04212414141c7c1a926'),
  ('reproductive', '0x15cf820057b12bd8f9ba6f21e95d569c67db706b78b5cec1b012c29c48e89084');

-- Existing events: the grantee hashes their payloads carry, then a reference for every consent.change event, kept
-- only where the rebuilt payload equals the stored one to the byte (everything else stays a copy: lossless by
-- construction). A grantee hash taken from a payload that was wrong makes the events that carry the right one
-- stay copies (and later ones too: the writer compares before it keeps a reference), never a different payload.
INSERT OR IGNORE INTO outbox_ref_hashes (text, hash)
SELECT c.grantee_kind || ':' || c.grantee, min(json_extract(o.payload, '$.granteeHash'))
  FROM outbox o JOIN consents c ON c.id = json_extract(o.payload, '$.consentId')
 WHERE o.kind = 'consent.change' AND json_valid(o.payload) AND json_type(o.payload, '$.granteeHash') = 'text'
 GROUP BY c.grantee_kind, c.grantee;

-- 16 hex digits to a 64-bit integer, digit by digit (a text that is not 16 lowercase hex digits gives a number
-- whose rebuilt text differs, so its event stays a copy).
CREATE TEMP TABLE hex_digits (d TEXT PRIMARY KEY, v INTEGER NOT NULL);
INSERT INTO temp.hex_digits (d, v) VALUES ('0', 0), ('1', 1), ('2', 2), ('3', 3), ('4', 4), ('5', 5), ('6', 6), ('7', 7),
  ('8', 8), ('9', 9), ('a', 10), ('b', 11), ('c', 12), ('d', 13), ('e', 14), ('f', 15);
CREATE TEMP TABLE hex_positions (i INTEGER PRIMARY KEY);
INSERT INTO temp.hex_positions (i) VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10), (11), (12), (13), (14), (15), (16);

INSERT INTO outbox_refs (outbox_id, source_id, change, hlc, prev_hlc, revoked)
SELECT o.id,
       json_extract(o.payload, '$.consentId'),
       CASE json_extract(o.payload, '$.change') WHEN 'create' THEN 0 WHEN 'revoke' THEN 1 ELSE 2 END,
       (SELECT coalesce(sum(d.v << (4 * (16 - x.i))), 0) FROM temp.hex_positions x JOIN temp.hex_digits d ON d.d = substr(json_extract(o.payload, '$.hlc'), x.i, 1)),
       (SELECT coalesce(sum(d.v << (4 * (16 - x.i))), 0) FROM temp.hex_positions x JOIN temp.hex_digits d ON d.d = substr(json_extract(o.payload, '$.prevHlc'), x.i, 1)),
       CASE json_extract(o.payload, '$.revoked') WHEN 1 THEN 1 ELSE 0 END
  FROM outbox o
  JOIN consents c ON c.id = json_extract(o.payload, '$.consentId')
 WHERE o.kind = 'consent.change' AND json_valid(o.payload) AND json_type(o.payload, '$.consentId') = 'integer';

UPDATE outbox SET payload = ''
 WHERE id IN (SELECT rp.outbox_id FROM outbox_ref_payloads rp JOIN outbox o ON o.id = rp.outbox_id WHERE rp.payload = o.payload);
DELETE FROM outbox_refs WHERE outbox_id IN (SELECT id FROM outbox WHERE payload <> '');

DROP TABLE temp.hex_digits;
DROP TABLE temp.hex_positions;

-- What a rebuilt payload is made of never changes.
CREATE TRIGGER consents_terms_fixed BEFORE UPDATE OF patient_id, grantee, grantee_kind, decision, purpose, category, period_start, period_end, document_hash_bin, source ON consents
WHEN OLD.patient_id IS NOT NEW.patient_id OR OLD.grantee IS NOT NEW.grantee OR OLD.grantee_kind IS NOT NEW.grantee_kind
  OR OLD.decision IS NOT NEW.decision OR OLD.purpose IS NOT NEW.purpose OR OLD.category IS NOT NEW.category
  OR OLD.period_start IS NOT NEW.period_start OR OLD.period_end IS NOT NEW.period_end
  OR OLD.document_hash_bin IS NOT NEW.document_hash_bin OR OLD.source IS NOT NEW.source
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: a consent row''s terms never change (a change is a new row; outbox events are rebuilt from them)');
END;
-- A pulled row (source 'chain') is never referenced: the sink never writes the outbox. Others are looked up.
CREATE TRIGGER consents_referenced_kept BEFORE DELETE ON consents
WHEN OLD.source <> 'chain' AND EXISTS (SELECT 1 FROM outbox_refs r WHERE r.source_id = OLD.id)
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: a consent row an outbox event is rebuilt from cannot be deleted');
END;
CREATE TRIGGER patients_pseudonym_fixed BEFORE UPDATE OF pseudonym ON patients
WHEN OLD.pseudonym IS NOT NEW.pseudonym
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: a patient''s pseudonym never changes (outbox events are rebuilt from it)');
END;
CREATE TRIGGER outbox_refs_fixed BEFORE UPDATE ON outbox_refs
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: an outbox reference never changes');
END;
-- The writer drops a reference only after it stored the copy it falls back to.
CREATE TRIGGER outbox_refs_kept BEFORE DELETE ON outbox_refs
WHEN (SELECT o.payload FROM outbox o WHERE o.id = OLD.outbox_id) = ''
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: an outbox event stored by reference keeps its reference');
END;
CREATE TRIGGER outbox_ref_hashes_fixed BEFORE UPDATE ON outbox_ref_hashes
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: a recorded hash never changes');
END;
CREATE TRIGGER outbox_ref_hashes_kept BEFORE DELETE ON outbox_ref_hashes
BEGIN
  SELECT RAISE(ABORT, 'OUTBOX_SOURCE_IMMUTABLE: a recorded hash is never deleted');
END;
