-- 0031: the patient search's indexes, smaller (issue #14 item 4: only the indexes the screens need, as small as they
-- can answer). Measured at 200,000 consents (50,000 patients): the FTS5 trigram index patients_fts took 23 B per
-- consent (its terms with every position, 20 B, and each row's token count, 3 B), and patients_by_mrn 5 B.
--
-- patients_fts is made again with detail=none (each trigram lists the rows holding it, no positions) and
-- columnsize=0 (no token counts: nothing ranks by them). Such an index cannot answer a phrase, so the search
-- (main/consents/search.ts) asks it for the rows holding every trigram of the text and keeps those whose MRN or name
-- holds the text itself, a check the index used to make from its positions: the same patients, from the index, never a
-- scan of patients. Content, tokenizer and triggers are as 0020 and 0029 made them.
--
-- patients_by_mrn (mrn) goes: the search's exact-MRN lookup walks the UNIQUE (facility, mrn) index facility by
-- facility (a seek per facility; a site has a handful). Every other lookup by MRN names its facility too.
-- The migration runner copies the database (VACUUM INTO) before applying this.
DROP TRIGGER patients_fts_after_insert;
DROP TRIGGER patients_fts_after_delete;
DROP TRIGGER patients_fts_after_update;
DROP TABLE patients_fts;
DROP INDEX patients_by_mrn;

CREATE VIRTUAL TABLE patients_fts USING fts5(
  mrn, name, content = 'patients', content_rowid = 'id', tokenize = 'trigram', detail = none, columnsize = 0
);
INSERT INTO patients_fts (patients_fts) VALUES ('rebuild');

CREATE TRIGGER patients_fts_after_insert AFTER INSERT ON patients BEGIN
  INSERT INTO patients_fts (rowid, mrn, name) VALUES (new.id, new.mrn, new.name);
END;
CREATE TRIGGER patients_fts_after_delete AFTER DELETE ON patients BEGIN
  INSERT INTO patients_fts (patients_fts, rowid, mrn, name) VALUES ('delete', old.id, old.mrn, old.name);
END;
CREATE TRIGGER patients_fts_after_update AFTER UPDATE OF mrn, name ON patients BEGIN
  INSERT INTO patients_fts (patients_fts, rowid, mrn, name) VALUES ('delete', old.id, old.mrn, old.name);
  INSERT INTO patients_fts (rowid, mrn, name) VALUES (new.id, new.mrn, new.name);
END;
