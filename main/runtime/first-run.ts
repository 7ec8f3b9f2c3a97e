// The first-run checklist an IT administrator sees on the Dashboard of a new data folder: each item is ticked from
// the folder's real state (chain answering, facility secret exported or imported, a committed import, staff
// accounts). This is the pure rule over those facts; the composition root reads them from the modules that own the
// tables (compose/first-run-facts.ts), so this layer knows no domain.
import type { ChainStatus, FirstRunChecklist, FirstRunItem } from '../api/system';

export interface FirstRunFacts {
  chain: ChainStatus;
  /** When the facility secret was last exported (backed up) or imported from another workstation. */
  secretSavedAt: string | null;
  firstImportAt: string | null;
  /** Enabled accounts other than IT administrators. */
  staffAccounts: number;
}

/** The audit actions that prove the secret exists outside this folder. */
export const SECRET_SAVED_ACTIONS = ['facilitySecret.export', 'facilitySecret.import'] as const;

export function firstRunChecklist(f: FirstRunFacts): FirstRunChecklist {
  const chainOk = f.chain.state === 'connected';
  const items: FirstRunItem[] = [
    {
      id: 'chain',
      done: chainOk,
      title: 'The chain answers',
      detail: chainOk
        ? f.chain.mode === 'embedded'
          ? 'Connected to the embedded devnet (for trying Custodian out; configure a shared network for real use).'
          : 'Connected to the configured network.'
        : 'Not connected yet: check the chain settings (README: Configuration) and that the node is running.',
    },
    {
      id: 'facility-secret',
      done: f.secretSavedAt !== null,
      title: 'Facility secret backed up',
      detail:
        f.secretSavedAt !== null
          ? `Saved outside this data folder on ${f.secretSavedAt.slice(0, 10)}.`
          : 'Export it (Settings → Workstation → Facility secret, or the command custodian facility-secret export) and keep the file somewhere safe: without it, patient pseudonyms cannot be recreated.',
    },
    {
      id: 'first-import',
      done: f.firstImportAt !== null,
      title: 'First consents imported',
      detail: f.firstImportAt !== null ? `First import finished on ${f.firstImportAt.slice(0, 10)}.` : 'Import the existing consents from a CSV or FHIR file (Imports page); a dry run first shows what would change.',
    },
    {
      id: 'staff',
      done: f.staffAccounts > 0,
      title: 'Staff accounts created',
      detail: f.staffAccounts > 0 ? `${f.staffAccounts} account${f.staffAccounts === 1 ? '' : 's'} for records staff and auditors.` : 'Create accounts for records clerks, managers and auditors (Settings → Staff accounts).',
    },
  ];
  return { items, complete: items.every((i) => i.done) };
}
