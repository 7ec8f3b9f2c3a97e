import { describe, expect, it } from 'vitest';
import type { AuditVerifyReport } from '../../../../main/api/audit';
import { SYNC_FAILURE_REASONS } from '../../../../main/api/events';
import { batchInFlight, confirmationsText, describeSender, describeSyncState, failureAdvice, failureLabel, formatEther, judgeRoot, shortHex } from './syncLabels';

describe('syncLabels', () => {
  it.each([
    ['0', '0.0000 ETH'],
    ['1000000000000000000', '1.0000 ETH'],
    ['9999999123400000000000', '9,999.9991 ETH'],
    ['15000000000000', '< 0.0001 ETH'],
    ['50000000000000', '0.0001 ETH'],
    ['', '—'],
    ['-5', '—'],
    ['12.5', '—'],
  ])('formatEther(%s) = %s', (wei, expected) => expect(formatEther(wei)).toBe(expected));

  it('formatEther handles null', () => expect(formatEther(null)).toBe('—'));

  it.each([
    ['0x' + 'ab'.repeat(32), '0xabab…abab'],
    ['0x1234', '0x1234'],
    [null, '—'],
  ])('shortHex(%s) = %s', (hex, expected) => expect(shortHex(hex)).toBe(expected));

  it.each([
    ['offline', 'Chain offline'],
    ['chain-id', 'Wrong chain id'],
    ['reorg', 'Removed by a reorg'],
    ['gas-spike', 'Gas spike'],
    ['', 'Failed'],
  ])('failureLabel(%s) = %s', (subtype, expected) => expect(failureLabel(subtype)).toBe(expected));

  it.each(SYNC_FAILURE_REASONS)('failure reason %s has its own label and advice', (reason) => {
    // A label made up from the subtype's words would mean the table misses this reason.
    const generated = reason.replace(/-/g, ' ');
    expect(failureLabel(reason).toLowerCase()).not.toBe(generated);
    expect(failureAdvice(reason)).toEqual(expect.any(String));
    const view = describeSyncState({ state: 'failed', batchId: null, reason, message: 'm' });
    expect(view.label).toBe(`Failed: ${failureLabel(reason).toLowerCase()}`);
    expect(view.color).toBe(reason === 'offline' || reason === 'reorg' ? 'orange' : 'red');
  });

  it('says what the new reasons mean for the operator', () => {
    expect(failureLabel('signer')).toBe('Signing key unavailable');
    expect(failureLabel('payload')).toBe('Payload rejected, not sent');
    expect(failureAdvice('payload')).toMatch(/never sent/);
    expect(failureAdvice('reorg')).toMatch(/undone here until they land again/);
    expect(failureAdvice('signer')).toMatch(/passphrase/);
  });

  it('describes each sender state', () => {
    expect(describeSyncState({ state: 'idle', pending: 0 })).toMatchObject({ label: 'Up to date', color: 'teal' });
    expect(describeSyncState({ state: 'queued', pending: 1 }).detail).toBe('1 event waits for the next batch.');
    expect(describeSyncState({ state: 'queued', pending: 1200 }).detail).toBe('1,200 events wait for the next batch.');
    expect(describeSyncState({ state: 'failed', batchId: null, reason: 'funds', message: 'Fund it' })).toMatchObject({ label: 'Failed: signer out of funds', color: 'red', detail: 'Fund it' });
    expect(describeSyncState({ state: 'failed', batchId: null, reason: 'offline', message: 'x' }).color).toBe('orange');
    expect(describeSyncState({ state: 'paused', pending: 3 }).label).toBe('Paused');
  });

  it('shows confirmations only for batches on their way to or in a block', () => {
    expect(confirmationsText(0, 1, 'pending')).toBe('—');
    expect(confirmationsText(2, 1, 'confirmed')).toBe('2 / 1');
    expect(batchInFlight('sent', 0, 1)).toBe(true);
    expect(batchInFlight('confirmed', 1, 1)).toBe(false);
    expect(batchInFlight('failed', 0, 1)).toBe(false);
  });

  describe('judgeRoot', () => {
    const base: AuditVerifyReport = {
      ok: true,
      depth: 'quick',
      entries: 10,
      lastEntryId: 10,
      unbatchedEntries: 0,
      batches: { total: 1, anchored: 1, notAnchored: 0, mismatched: 0, unchecked: 0 },
      chain: { state: 'checked', chainId: 31337, contract: '0xabc' },
      firstProblem: null,
      log: {
        treeSize: 10,
        root: '0x' + '2'.repeat(64),
        verifiedSize: 10,
        lastSignedHead: null,
        lastMatchingHead: null,
        unsignedTail: null,
        headsFile: 'present',
        headsInDatabase: 1,
        headsInFile: 1,
        chainHead: { state: 'unavailable', reason: 'not in this test' },
      },
      batchProblems: [],
      exportSets: { verified: 0, notCovered: 0, tampered: [] },
      warnings: [],
      durationMs: 3,
      checkedAt: '2025-01-01T00:00:00Z',
    };
    it('matches when anchored and the log still gives the head', () => expect(judgeRoot(base, 10, true).tone).toBe('teal'));
    it('is not anchored yet without an anchor', () => expect(judgeRoot(base, 10, false).tone).toBe('yellow'));
    it('reports a problem at or before the head', () => {
      const report = { ...base, ok: false, firstProblem: { kind: 'changed' as const, entryId: 4, message: 'root differs' } };
      expect(judgeRoot(report, 10, true)).toMatchObject({ tone: 'red', text: 'root differs' });
      expect(judgeRoot({ ...base, log: { ...base.log, verifiedSize: 5 } }, 10, true).tone).toBe('red');
    });
    it('says when the chain could not be read', () => expect(judgeRoot({ ...base, chain: { state: 'unavailable', reason: 'offline' } }, 10, true).tone).toBe('orange'));
  });

  describe('describeSender', () => {
    const now = Date.parse('2026-03-01T10:05:00Z');
    const offline = { state: 'offline', mode: 'embedded', since: '2026-03-01T10:02:00Z', queued: 3, reason: 'timeout', source: 'node' } as const;
    const connected = { state: 'connected', mode: 'embedded', since: '2026-03-01T09:00:00Z', queued: 0, blockNumber: 7 } as const;

    it('says offline with the queue and its age while the shared health is offline, whatever the sender last said', () => {
      for (const sender of [{ state: 'idle', pending: 0 }, { state: 'failed', batchId: null, reason: 'offline', message: 'x' }, { state: 'failed', batchId: null, reason: 'rpc', message: 'x' }, null] as const) {
        const view = describeSender(sender, offline, now)!;
        expect(view).toMatchObject({ state: 'offline', label: 'Offline, 3 queued' });
        expect(view.detail).toContain('has not answered for 3 min');
        expect(view.detail).toContain('3 events are queued here, not sent.');
        expect(view.detail).not.toContain('Nothing is waiting');
      }
      expect(describeSender({ state: 'idle', pending: 0 }, { ...offline, queued: 0 }, now)).toMatchObject({ label: 'Offline', detail: expect.stringContaining('Nothing is waiting to be sent.') });
    });

    it("keeps the sender's own failure that is not about the connection, and its own state when connected", () => {
      expect(describeSender({ state: 'failed', batchId: null, reason: 'funds', message: 'no gas' }, offline, now)).toMatchObject({ state: 'failed', label: 'Failed: signer out of funds' });
      expect(describeSender({ state: 'idle', pending: 0 }, connected, now)).toMatchObject({ state: 'idle', label: 'Up to date' });
      expect(describeSender({ state: 'idle', pending: 0 }, { state: 'connecting', mode: 'embedded', since: '2026-03-01T10:04:30Z', queued: 1 }, now)).toMatchObject({ state: 'connecting', detail: expect.stringContaining('1 event is queued here') });
      expect(describeSender(null, connected, now)).toBeNull();
    });
  });
});
