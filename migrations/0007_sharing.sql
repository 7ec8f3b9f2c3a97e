-- 0007 (to be renumbered 0013 at merge): data-sharing agreements with partner organisations and release-of-
-- information requests decided against them. The organisation's signing key lives in <data dir>/secrets, not here.

-- This data folder's organisation: its id (a short code other organisations know it by) and its signing address.
CREATE TABLE sharing_identity (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  org_id      TEXT NOT NULL,
  address     TEXT NOT NULL,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;

-- One row per agreement, seen from this organisation: direction, our role and the signatures are ours.
CREATE TABLE sharing_agreements (
  id                 TEXT PRIMARY KEY,                       -- bytes32 agreement id (0x + 64 hex)
  our_role           TEXT NOT NULL CHECK (our_role IN ('A', 'B')),   -- A proposed it, B was asked to sign
  partner_org_id     TEXT NOT NULL,
  partner_address    TEXT NOT NULL,
  our_address        TEXT NOT NULL,
  direction          TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound', 'both')),
  categories         TEXT NOT NULL,                          -- JSON array of category codes
  purposes           TEXT NOT NULL,                          -- JSON array of purpose codes
  valid_from         INTEGER NOT NULL,                       -- unix seconds
  valid_until        INTEGER NOT NULL CHECK (valid_until > valid_from),   -- exclusive
  document_hash      TEXT NOT NULL,
  terms_hash         TEXT NOT NULL,
  chain_id           INTEGER NOT NULL,
  contract           TEXT NOT NULL,
  our_signature      TEXT,
  partner_signature  TEXT,
  status             TEXT NOT NULL CHECK (status IN ('proposed', 'active', 'terminated', 'expired')),
  -- Where the chain is: 'queued' (our change waits in the outbox), 'on-chain' (pulled back), 'rejected' (the
  -- pulled proposal's terms did not match its hash; it can never be signed).
  chain_state        TEXT NOT NULL CHECK (chain_state IN ('queued', 'on-chain', 'rejected')),
  terminated_by      TEXT,
  terminated_at      TEXT,
  created_at         TEXT NOT NULL,
  updated_at         TEXT NOT NULL
) STRICT;
CREATE INDEX sharing_agreements_by_partner ON sharing_agreements (partner_org_id, status);
CREATE INDEX sharing_agreements_by_partner_address ON sharing_agreements (partner_address);

-- Release-of-information requests and their decisions; a release adds the sha-256 of what was released.
CREATE TABLE sharing_release_requests (
  id                INTEGER PRIMARY KEY,
  partner_org_id    TEXT NOT NULL,
  patient_id        INTEGER NOT NULL REFERENCES patients (id),
  category          TEXT NOT NULL,
  purpose           TEXT NOT NULL,
  professional_npi  TEXT,
  agreement_id      TEXT REFERENCES sharing_agreements (id),
  decision          TEXT NOT NULL CHECK (decision IN ('permit', 'deny')),
  reasons           TEXT NOT NULL,                           -- JSON [{code, message}]
  released_hash     TEXT,
  released_file     TEXT,
  requested_by      TEXT NOT NULL,
  requested_at      TEXT NOT NULL,
  decided_at        TEXT NOT NULL,
  released_at       TEXT
) STRICT;
CREATE INDEX sharing_requests_by_time ON sharing_release_requests (requested_at DESC);
CREATE INDEX sharing_requests_released ON sharing_release_requests (released_at) WHERE released_at IS NOT NULL;
