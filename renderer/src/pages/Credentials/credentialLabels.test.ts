import { describe, expect, it } from 'vitest';
import { CREDENTIAL_VERDICTS, type CredentialView } from '../../../../main/api/credentials';
import { checkLabel, credentialVerdictLine, daysUntil, verdictCounts, expiryText, localizeTimes, statusActions, VERDICT_VIEW, verdictView, verifiedCount } from './credentialLabels';

/** formatDateTime's shape in the test process's locale (en-US in Node): "Mar 1, 2025, 10:00:00 AM UTC". */
const WHEN = String.raw`\w{3} \d{1,2}, 2025, \d\d:\d\d:\d\d [AP]M [\w+:−-]+`;

type Standing = Pick<CredentialView, 'check' | 'localStatus'>;
const check = (verdict: CredentialView['check']['verdict']): CredentialView['check'] => ({ verdict, reason: null, checkedAt: null, lastVerifiedAt: null, label: '' });
const local = (status: 'active' | 'suspended' | 'revoked'): CredentialView['localStatus'] => ({ status, reason: 'r', at: '2025-01-01T00:00:00Z', actor: 'Mae', outboxState: 'pending' });

describe('credentialLabels', () => {
  it('has a label and a colour for every verdict of the API', () => {
    for (const v of CREDENTIAL_VERDICTS) {
      expect(VERDICT_VIEW[v].label).toBeTruthy();
      expect(VERDICT_VIEW[v].color).toBeTruthy();
    }
    expect(verdictView(null).label).toBe('Not checked yet');
  });

  it('never says verified when offline, and names the last good check', () => {
    expect(checkLabel({ verdict: 'unverified_offline', reason: null, checkedAt: null, lastVerifiedAt: null })).toBe('Unverified (offline) — never verified');
    expect(checkLabel({ verdict: 'unverified_offline', reason: null, checkedAt: null, lastVerifiedAt: '2025-03-01T10:00:00Z' })).toMatch(new RegExp(`^Unverified \\(offline\\) — last verified at ${WHEN}$`));
    expect(checkLabel({ verdict: 'bad_signature', reason: null, checkedAt: null, lastVerifiedAt: null })).toBe('Bad signature');
  });

  it.each([
    [{ credentials: 0, verified: 0 }, 'No credentials'],
    [{ credentials: 3, verified: 2 }, '2 of 3 verified'],
  ])('verifiedCount(%o) = %s', (p, expected) => expect(verifiedCount(p)).toBe(expected));

  it.each([
    [{ validUntil: '2030-01-01', daysToExpiry: 2000, expiringSoon: false }, 'Valid until 2030-01-01'],
    [{ validUntil: '2025-01-13', daysToExpiry: 12, expiringSoon: true }, 'Expires in 12 days'],
    [{ validUntil: '2025-01-01', daysToExpiry: 0, expiringSoon: true }, 'Expires today (last valid day)'],
    [{ validUntil: '2024-12-29', daysToExpiry: -3, expiringSoon: false }, 'Expired 3 days ago'],
  ])('expiryText(%o) = %s', (c, expected) => expect(expiryText(c)).toBe(expected));

  it.each<[string, Standing, string[]]>([
    ['verified', { check: check('verified'), localStatus: null }, ['suspended', 'revoked']],
    ['not on the registry', { check: check('not_on_registry'), localStatus: null }, ['suspended', 'revoked', 'active']],
    ['suspended here', { check: check('suspended'), localStatus: local('suspended') }, ['revoked', 'active']],
    ['revoked here', { check: check('revoked'), localStatus: local('revoked') }, ['active']],
    ['reinstated here, chain not yet confirmed', { check: check('not_on_registry'), localStatus: local('active') }, ['suspended', 'revoked', 'active']],
  ])('status actions for a credential %s', (_name, c, expected) => expect(statusActions(c)).toEqual(expected));

  it('shows main’s UTC times in local time and leaves plain dates alone', () => {
    const text = localizeTimes('Suspended at this workstation on 2025-03-01T10:02:11.783Z (board notice); valid 2020-01-01 to 2099-12-31.');
    expect(text).toMatch(new RegExp(`^Suspended at this workstation on ${WHEN} \\(board notice\\); valid 2020-01-01 to 2099-12-31\\.$`));
  });

  it.each([
    ['2025-01-21', 20],
    ['2025-01-01', 0],
    ['2024-12-31', -1],
  ])('daysUntil(%s) from 2025-01-01 = %d', (day, expected) => expect(daysUntil(day, new Date('2025-01-01T23:30:00Z'))).toBe(expected));

  it.each([
    [{}, []],
    [{ verified: 9800, suspended: 200 }, [['suspended', 200], ['verified', 9800]]],
    [{ verified: 3, revoked: 0, unverified_offline: 1, bad_signature: 2 }, [['bad_signature', 2], ['unverified_offline', 1], ['verified', 3]]],
  ] as [Parameters<typeof verdictCounts>[0], ReturnType<typeof verdictCounts>][])('counts %j most serious first', (byVerdict, expected) => {
    expect(verdictCounts(byVerdict)).toEqual(expected);
  });

  it('names each credential with its verdict and when it was checked', () => {
    expect(credentialVerdictLine({ credentialId: 1, type: 'dea_registration', number: 'DEA-1', verdict: 'revoked', reason: 'x', checkedAt: null })).toBe('DEA registration DEA-1: Revoked');
    expect(credentialVerdictLine({ credentialId: 1, type: 'license', number: 'A-1', verdict: null, reason: null, checkedAt: null })).toBe('Medical license A-1: Not checked yet');
    expect(credentialVerdictLine({ credentialId: 1, type: 'license', number: 'A-1', verdict: 'verified', reason: null, checkedAt: '2025-03-01T10:00:00Z' })).toMatch(new RegExp(`^Medical license A-1: Verified \\(checked ${WHEN}\\)$`));
  });
});
