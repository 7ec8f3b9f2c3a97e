// Where a roster import writes: the directory itself (store.ts), or, for a dry run, nothing: the same questions
// (is this provider new, changed, is this credential on file) answered from the directory plus this run's rows.
import type { Db } from '../db/connection';
import { credentialByHash, insertCredential, providerByNpi, saveFinding, upsertProvider, type NewCredential, type NewProvider } from './store';

type CheckContext = Parameters<typeof saveFinding>[3];
type Finding = Parameters<typeof saveFinding>[2];

export interface KnownCredential {
  provider_id: number;
  import_run_id: number | null;
  source_row: number | null;
}

export interface RosterWriter {
  upsertProvider(p: NewProvider, source: string, now: string): { id: number; outcome: 'inserted' | 'updated' | 'unchanged' };
  credentialByHash(hash: string): KnownCredential | undefined;
  insertCredential(c: NewCredential, now: string): { id: number; inserted: boolean };
  saveFinding(credentialId: number, f: Finding, ctx: CheckContext): void;
}

export function storeRosterWriter(db: Db): RosterWriter {
  return {
    upsertProvider: (p, source, now) => upsertProvider(db, p, source, now),
    credentialByHash: (hash) => credentialByHash(db, hash),
    insertCredential: (c, now) => insertCredential(db, c, now),
    saveFinding: (id, f, ctx) => saveFinding(db, id, f, ctx),
  };
}

/**
 * A dry run's writer: reads the directory, never writes it. Providers it would add get negative ids (never a real
 * row's), and credentials it would add are remembered, so a later row of the same file reads as a repeat.
 */
export function dryRosterWriter(db: Db, runId: number): RosterWriter {
  const providers = new Map<string, { id: number; p: NewProvider }>();
  const credentials = new Map<string, KnownCredential & { id: number }>();
  let nextId = -1;
  return {
    upsertProvider(p) {
      const mine = providers.get(p.npi);
      const found = mine ? { id: mine.id, name: mine.p.name, organization: mine.p.organization, specialty: mine.p.specialty } : providerByNpi(db, p.npi);
      if (!found) {
        const id = nextId--;
        providers.set(p.npi, { id, p });
        return { id, outcome: 'inserted' };
      }
      if (found.name === p.name && found.organization === p.organization && found.specialty === p.specialty) return { id: found.id, outcome: 'unchanged' };
      providers.set(p.npi, { id: found.id, p });
      return { id: found.id, outcome: 'updated' };
    },
    credentialByHash: (hash) => credentials.get(hash) ?? credentialByHash(db, hash),
    insertCredential(c) {
      const found = credentials.get(c.hash) ?? credentialByHash(db, c.hash);
      if (found) return { id: found.id, inserted: false };
      const id = nextId--;
      credentials.set(c.hash, { id, provider_id: c.providerId, import_run_id: runId, source_row: c.sourceRow });
      return { id, inserted: true };
    },
    saveFinding() {},
  };
}
