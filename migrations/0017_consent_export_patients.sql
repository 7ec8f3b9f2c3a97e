-- 0019: the accounting of disclosures covers FHIR consent exports. An export is audited once per call (made,
-- downloaded, saved), never once per row; which patients it carried is kept here, one narrow row per (patient,
-- export), so a patient's accounting finds the exports that held their record through the primary key.

CREATE TABLE consent_exports (
  ref        INTEGER PRIMARY KEY,
  -- The export's id (its job id), as the audit entries name it: subject 'export:<export_id>'.
  export_id  TEXT NOT NULL UNIQUE,
  -- 'writing' while the patient set is being recorded; 'written' once complete, before the file is put in place.
  state      TEXT NOT NULL CHECK (state IN ('writing', 'written')),
  patients   INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);

CREATE TABLE consent_export_patients (
  patient_id INTEGER NOT NULL,
  export_ref INTEGER NOT NULL REFERENCES consent_exports (ref),
  PRIMARY KEY (patient_id, export_ref)
) WITHOUT ROWID;
