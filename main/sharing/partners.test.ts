// The partner directory folded from agreements: one row per partner id, counts by effective status, what its active
// agreements cover, active partners first; search by any part of the id or the start of an address, taken as text.
import { describe, expect, it } from 'vitest';
import type { AgreementView } from '../api/sharing';
import { partnerDirectory, partnerMatches } from './partners';

const ADDR = { north: '0x1111111111111111111111111111111111111111', north2: '0x2222222222222222222222222222222222222222', lake: '0xabcdefabcdefabcdefabcdefabcdefabcdefabcd' };
let n = 0;
function agreement(partnerOrgId: string, partnerAddress: string, fields: Partial<AgreementView> = {}): AgreementView {
  n += 1;
  return {
    id: `0x${String(n).padStart(64, '0')}`,
    ourRole: 'A',
    partnerOrgId,
    partnerAddress,
    ourAddress: '0x9999999999999999999999999999999999999999',
    direction: 'outbound',
    categories: ['general'],
    purposes: ['TREAT'],
    validFrom: '2026-01-01',
    validUntil: '2027-01-01',
    documentHash: `0x${'a'.repeat(64)}`,
    termsHash: `0x${'b'.repeat(64)}`,
    status: 'active',
    chainState: 'on-chain',
    signedByUs: true,
    signedByPartner: true,
    terminatedBy: null,
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...fields,
  };
}

const AGREEMENTS = [
  agreement('NORTH-CLINIC', ADDR.north, { categories: ['HIV'], purposes: ['HPAYMT'], validUntil: '2026-09-01' }),
  agreement('NORTH-CLINIC', ADDR.north2, { direction: 'inbound', validUntil: '2027-03-01', updatedAt: '2026-02-01T00:00:00.000Z' }),
  agreement('NORTH-CLINIC', ADDR.north, { status: 'terminated' }),
  agreement('lakeside.hosp', ADDR.lake, { status: 'proposed', signedByPartner: false }),
  agreement('Acme_Labs', ADDR.lake, { status: 'expired' }),
];

describe('partnerDirectory', () => {
  it('folds the agreements into one row per partner, active partners first', () => {
    const d = partnerDirectory(AGREEMENTS);
    expect(d.map((p) => p.orgId)).toEqual(['NORTH-CLINIC', 'Acme_Labs', 'lakeside.hosp']);
    expect(d[0]).toEqual({
      orgId: 'NORTH-CLINIC',
      addresses: [ADDR.north, ADDR.north2],
      agreements: 3,
      active: 2,
      proposed: 0,
      ended: 1,
      activeUntil: '2027-03-01',
      categories: ['HIV', 'general'],
      purposes: ['HPAYMT', 'TREAT'],
      directions: ['inbound', 'outbound'],
      lastChangedAt: '2026-02-01T00:00:00.000Z',
    });
    expect(d[1]).toMatchObject({ agreements: 1, active: 0, ended: 1, activeUntil: null, categories: [], directions: [] });
    expect(d[2]).toMatchObject({ agreements: 1, proposed: 1, activeUntil: null });
    expect(partnerDirectory([])).toEqual([]);
  });

  it.each([
    ['', ['NORTH-CLINIC', 'Acme_Labs', 'lakeside.hosp']],
    ['north', ['NORTH-CLINIC']],
    ['side.h', ['lakeside.hosp']],
    ['_', ['Acme_Labs']],
    ['%', []],
    ['.*', []],
    ['0xabcd', ['Acme_Labs', 'lakeside.hosp']],
    ['ABCDEF', ['Acme_Labs', 'lakeside.hosp']],
    ['2222', ['NORTH-CLINIC']],
    // Three hex digits are too short to pick by address; "1" is not part of any id.
    ['111', []],
    ['nobody', []],
  ])('search %j finds %j', (search, ids) => {
    expect(partnerDirectory(AGREEMENTS, search).map((p) => p.orgId)).toEqual(ids);
  });

  it('matches an address only from its start', () => {
    expect(partnerMatches({ orgId: 'X1', addresses: [ADDR.lake] }, 'cdef')).toBe(false);
    expect(partnerMatches({ orgId: 'X1', addresses: [ADDR.lake] }, '0xABCD')).toBe(true);
  });
});
