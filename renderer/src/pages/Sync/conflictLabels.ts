// How a consent conflict reads to a records manager: what this workstation wrote, what the consent shows now, who
// won, and why, in plain words (never 'STALE'). Pure and table-tested (conflictLabels.test.ts).
import type { ConsentConflictSummary } from '../../../../main/api/sync';
import { CATEGORY_LABELS, PURPOSE_LABELS } from '../Consents/labels';
import type { CategoryCode, PurposeCode } from '../../../../main/api/consents';
import { shortHex } from './syncLabels';

export const CONFLICT_REASON_TEXT: Record<ConsentConflictSummary['reason'], { label: string; detail: string }> = {
  STALE: {
    label: 'A later change won on the chain',
    detail: 'Another workstation changed this consent after you did (or at the same moment, when a refusal wins), and its change reached the chain first. Yours was not applied there.',
  },
  OVERRIDDEN: {
    label: 'Replaced before it reached the chain',
    detail: 'Another workstation changed this consent after you did, without having seen your change. Its change replaced yours on this workstation too.',
  },
  FUTURE: {
    label: 'Refused: this computer’s clock was ahead',
    detail: 'The chain refused your change because its time stamp was more than 10 minutes ahead of the chain’s. This consent here still shows your change; check the clock, then re-apply it.',
  },
};

/** "Revoke", "Deny", "Permit": what a change did, in one word. */
export function changeWord(state: { decision: 'permit' | 'deny'; revoked?: boolean; status?: string }): string {
  if (state.revoked || state.status === 'revoked') return 'Revoked';
  if (state.status === 'expired') return 'Expired';
  return state.decision === 'permit' ? 'Permit' : 'Deny';
}

/** The consent's key: "Patient #12 · NPI 1234567893 · Treatment · General". No name or MRN (the drawer has them, by role). */
export function conflictConsentText(c: ConsentConflictSummary): string {
  if (!c.consent) return `Consent #${c.consentId}`;
  const purpose = PURPOSE_LABELS[c.consent.purpose as PurposeCode] ?? c.consent.purpose;
  const category = CATEGORY_LABELS[c.consent.category as CategoryCode] ?? c.consent.category;
  return `Patient #${c.consent.patientId} · ${c.consent.granteeKind === 'npi' ? 'NPI' : 'Org'} ${c.consent.grantee} · ${purpose} · ${category}`;
}

/** Who wrote the winning change: this workstation, another one (by its signer address), or not known. */
export function winnerText(c: Pick<ConsentConflictSummary, 'winningWriter' | 'reason'>, mySigner: string | null): string {
  if (c.reason === 'FUTURE') return 'Nobody: the chain kept its earlier state';
  if (!c.winningWriter) return 'Another workstation';
  if (mySigner && c.winningWriter.toLowerCase() === mySigner.toLowerCase()) return 'This workstation (a later change)';
  return `Another workstation (signer ${shortHex(c.winningWriter, 6, 4)})`;
}

/** What the people resolving it can do; null when both actions are open. */
export function resolveBlocked(c: ConsentConflictSummary): { accept: string | null; reapply: string | null } {
  if (c.resolution) return { accept: 'Already resolved', reapply: 'Already resolved' };
  return {
    accept: c.reason === 'FUTURE' ? 'The chain never took this change, so this workstation still shows it: re-apply it instead.' : null,
    reapply: c.mine === null ? 'The change that lost is no longer in the outbox.' : null,
  };
}

/** How it was resolved; `who` says the resolver in staff words (the caller knows who is signed in). */
export function resolutionText(c: Pick<ConsentConflictSummary, 'resolution' | 'resolvedBy'>, who: (id: string) => string = (id) => id): string | null {
  if (!c.resolution) return null;
  return `${c.resolution === 'accepted' ? 'Chain’s state accepted' : 'Re-applied'}${c.resolvedBy ? ` by ${who(c.resolvedBy)}` : ''}`;
}

/**
 * A note on what the consent shows here now: the winner once pulled; until then this workstation's own change (the
 * puller brings the winner); for a clock refusal, the change the chain never took.
 */
export function nowNote(c: Pick<ConsentConflictSummary, 'now' | 'winningWriter' | 'reason' | 'resolution'>): string | null {
  if (!c.now || c.resolution !== null) return null;
  if (c.reason === 'FUTURE') return 'yours; the chain never took it';
  if (c.winningWriter && c.now.writer?.toLowerCase() === c.winningWriter.toLowerCase()) return 'the winner';
  return 'until the winner is pulled from the chain';
}
