// Fixed test vectors for what a consent puts on chain or hashes: pseudonym, canonical terms, document hash, ledger
// key parts, and RFC 8785 canonical JSON from the `canonicalize` package. The expected values are literals computed
// once (commit "Fixed test vectors"); a library or code change that alters any output fails here, because
// workstations and the chain would then disagree about the same patient or consent.
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { canonicalTerms, documentHashOf, type ConsentTerms } from './canonical';
import { ConsentSealer } from './ledger-seal';
import { CATEGORY_HASHES, granteeHashOf, PURPOSE_HASHES } from './outbox-events';
import { Pseudonymizer } from './pseudonym';

const SECRET = Buffer.from('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f', 'hex');
const PSEUDONYM = '0x374d0daea5a08523b863ed94f615bb255effd7a3f1477acfd95b2f02fc68ad76';
const terms: ConsentTerms = {
  patient: PSEUDONYM,
  grantee: '1234567893',
  granteeKind: 'npi',
  decision: 'permit',
  purpose: 'TREAT',
  category: 'mental-health',
  periodStart: 1704067200,
  periodEnd: 1893456000,
};

describe('fixed vectors: consents', () => {
  it('pseudonym: HMAC-SHA256(secret, facility \\x1f MRN)', () => {
    const p = new Pseudonymizer(SECRET);
    expect(p.pseudonym('FAC-01', 'MRN-000123')).toBe(PSEUDONYM);
    expect(p.pseudonym('Zürich Kinderspital', 'Ä-42')).toBe('0x57394cd2023b4f49bf1c64a4b49edc63b76273eae64d4d791a4e637420f06303');
  });

  it('canonical terms and the document hash', () => {
    expect(canonicalTerms(terms)).toBe(
      '{"category":"mental-health","decision":"permit","grantee":"1234567893","granteeKind":"npi","patient":"0x374d0daea5a08523b863ed94f615bb255effd7a3f1477acfd95b2f02fc68ad76","periodEnd":1893456000,"periodStart":1704067200,"purpose":"TREAT","v":1}',
    );
    expect(documentHashOf(terms)).toBe('0xf8d21cda57e0158e1a2a9c2b8ae411bb61b97bdf371807f7997893032388d562');
    expect(documentHashOf({ ...terms, periodEnd: null, decision: 'deny', grantee: 'org-é', granteeKind: 'org' })).toBe('0xf80dbd43f54604150d84acacbf789de5d45fa05852e25b18469efb04fe9f078e');
  });

  it('ConsentLedger key parts and key', () => {
    const granteeHash = granteeHashOf('npi', '1234567893');
    expect(granteeHash).toBe('0x452a9bc52fb49868dd4437e24dfb06a331f16c2ce34ff9d832f3836db072b6d0');
    expect(PURPOSE_HASHES.TREAT).toBe('0xc085ab1d5f807c39e10996a170e44b2cf9afeabb5ad807b90906bc0eca27ac97');
    expect(CATEGORY_HASHES['mental-health']).toBe('0x9648d6ef5dc2f75d6d4a941739bb01ea4c54cb9f6a135da8ca9a289fa8d5944f');
    // ConsentLedger v2: the facility id and the keyed op key (a per-key salt under the facility secret).
    const sealer = new ConsentSealer(SECRET);
    expect(sealer.facilityId).toBe('0xb2f2b552d2cdb6244904bc1a24ecf43d247c7e1f05579d0748d5d90c941de90d');
    expect(sealer.opKey({ patientPseudonym: PSEUDONYM, granteeKind: 'npi', grantee: '1234567893', purposeCode: 1, categoryCode: 2 })).toBe(
      '0xe241d38f84b5865d593015990462a4dfc3500715fc69d3894f492b7609252c6e',
    );
  });

  it('canonical JSON (RFC 8785) from the canonicalize package: key order, numbers, escapes', () => {
    const value = { b: [1, 2.5, 1e21, -0, 0.1], a: { z: null, é: 'ü\u2028"', '€': true, '1': 'one' }, c: 'x' };
    expect(canonicalize(value)).toBe('{"a":{"1":"one","z":null,"é":"ü\u2028\\"","€":true},"b":[1,2.5,1e+21,0,0.1],"c":"x"}');
  });
});
