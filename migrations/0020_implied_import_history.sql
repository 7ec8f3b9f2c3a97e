-- 0020: an imported consent's creation is implied by its own row (source = the import run, created_at, import_run_id,
-- source_row), so its 'create' history entry is no longer stored (issue #14: 93 of ~1,384 bytes per imported
-- consent went to that row and its index). The consent detail shows the implied entry exactly as the stored one read
-- (main/consents/queries.ts impliedCreation). Only entries the row reproduces to the byte are removed: actor equal
-- to the row's source, time equal to its created_at, detail exactly {"row":N,"run":R}; every other entry stays.
-- The migration runner copies the database (VACUUM INTO) before applying this.
DELETE FROM consent_history
 WHERE id IN (
   SELECT h.id
     FROM consent_history h
     JOIN consents c ON c.id = h.consent_id
    WHERE h.action = 'create'
      AND c.import_run_id IS NOT NULL
      AND c.source_row IS NOT NULL
      AND h.actor = c.source
      AND h.at = c.created_at
      AND h.detail = json_object('row', c.source_row, 'run', c.import_run_id)
 );

-- The consent detail lists the versions a row replaced (superseded_by = ?) and the conflicts view walks that chain:
-- without an index each was a scan of every consent (query-plans.test.ts). Partial: an imported row, whose
-- superseded_by is NULL, pays nothing for it.
CREATE INDEX consents_superseded_by ON consents (superseded_by) WHERE superseded_by IS NOT NULL;
