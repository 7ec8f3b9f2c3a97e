import { describe, expect, it } from 'vitest';
import type { ConsentConflictSummary } from '../../../../main/api/sync';
import { changeWord, conflictConsentText, CONFLICT_REASON_TEXT, nowNote, resolutionText, resolveBlocked, winnerText } from './conflictLabels';

const base: ConsentConflictSummary = {
  id: 3,
  outboxId: 9,
  consentId: 12,
  opKey: '0x01',
  reason: 'STALE',
  myOrder: `0190000000000000${'1'}${'a'.repeat(40)}`,
  winningOrder: `0190000000010000${'0'}${'b'.repeat(40)}`,
  winningWriter: `0x${'b'.repeat(40)}`,
  batchId: null,
  txHash: null,
  raisedAt: '2026-01-01T00:00:00.000Z',
  resolution: null,
  resolvedAt: null,
  resolvedBy: null,
  myAt: '2026-01-01T00:00:00.000Z',
  winningAt: '2026-01-01T00:00:01.000Z',
  consent: { patientId: 7, grantee: '1234567893', granteeKind: 'npi', purpose: 'TREAT', category: 'HIV' },
  mine: { change: 'revoke', decision: 'permit', revoked: true },
  now: { consentId: 13, decision: 'permit', status: 'active', writer: `0x${'b'.repeat(40)}` },
};

describe('conflict labels', () => {
  it('never shows the internal reason codes', () => {
    for (const [code, text] of Object.entries(CONFLICT_REASON_TEXT)) {
      expect(text.label).not.toContain(code);
      expect(text.detail).not.toContain(code);
    }
  });

  it.each([
    [{ decision: 'permit' as const, revoked: true }, 'Revoked'],
    [{ decision: 'deny' as const, revoked: false }, 'Deny'],
    [{ decision: 'permit' as const, revoked: false }, 'Permit'],
    [{ decision: 'permit' as const, status: 'revoked' }, 'Revoked'],
    [{ decision: 'deny' as const, status: 'expired' }, 'Expired'],
  ])('says what a change did: %j -> %s', (state, word) => {
    expect(changeWord(state)).toBe(word);
  });

  it('names the consent by patient number and codes, never a name or MRN', () => {
    expect(conflictConsentText(base)).toBe('Patient #7 · NPI 1234567893 · Treatment · HIV');
    expect(conflictConsentText({ ...base, consent: null })).toBe('Consent #12');
  });

  it('names the winner: another workstation by signer, this one, or nobody for a clock refusal', () => {
    expect(winnerText(base, `0x${'a'.repeat(40)}`)).toBe('Another workstation (signer 0xbbbb…bbbb)');
    expect(winnerText(base, `0x${'B'.repeat(40)}`)).toBe('This workstation (a later change)');
    expect(winnerText({ ...base, reason: 'FUTURE', winningWriter: null }, null)).toMatch(/^Nobody/);
  });

  it('says whether what is shown here is the winner yet', () => {
    expect(nowNote(base)).toBe('the winner');
    expect(nowNote({ ...base, now: { ...base.now!, writer: null } })).toMatch(/until the winner is pulled/);
    expect(nowNote({ ...base, reason: 'FUTURE' })).toMatch(/never took it/);
    expect(nowNote({ ...base, now: null })).toBeNull();
    expect(nowNote({ ...base, resolution: 'reapplied' })).toBeNull();
  });

  it('blocks accepting a clock refusal, re-applying without the lost change, and anything once resolved', () => {
    expect(resolveBlocked(base)).toEqual({ accept: null, reapply: null });
    expect(resolveBlocked({ ...base, reason: 'FUTURE' }).accept).toMatch(/re-apply/);
    expect(resolveBlocked({ ...base, mine: null }).reapply).toMatch(/outbox/);
    expect(resolveBlocked({ ...base, resolution: 'accepted' })).toEqual({ accept: 'Already resolved', reapply: 'Already resolved' });
    expect(resolutionText({ resolution: 'reapplied', resolvedBy: 'mgr' })).toBe('Re-applied by mgr');
    expect(resolutionText({ resolution: 'accepted', resolvedBy: 'mgr' }, () => 'Mae (you)')).toBe('Chain’s state accepted by Mae (you)');
    expect(resolutionText({ resolution: null, resolvedBy: null })).toBeNull();
  });
});
