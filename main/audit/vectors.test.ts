// Fixed test vectors for the audit trail's hashes: entry hash (SHA-256 over RFC 8785 JSON), Merkle leaf hash, root
// (OpenZeppelin StandardMerkleTree, and the fast tree that must equal it) and batch id. Literals computed once; a
// change in canonicalize, @openzeppelin/merkle-tree or ethers that alters any of them fails here, because anchored
// roots and proof bundles already given out would stop verifying.
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { batchIdOf, fastRoot, leafHashOf, leafOf, libraryRoot } from './merkle';
import { entryHash, GENESIS_HASH } from './trail';

const e1 = {
  id: 1,
  at: '2026-01-02T03:04:05.678Z',
  actor_id: 'u-1',
  actor_name: 'Ada Admin',
  actor_role: 'it_admin',
  workstation: 'ws-01',
  action: 'consents.grant',
  outcome: 'success',
  patient_id: 7,
  subject: 'consent:42',
  details: canonicalize({ purpose: 'TREAT', n: 1 })!,
  prev_hash: GENESIS_HASH,
};
const H1 = 'd92b1cb703af18e7b1a0f76273d5a573f604fba948b57fd55a3a6a96f2da8c17';
const H2 = 'e2fb49db34cb7084a0148b944978274142790c4fc0cedc07a13ff094849c226c';
const ROOT = '0xf781a026d562f2c12fc4eecc2449f0e1e9505c22041480c1772319d805e78859';

describe('fixed vectors: audit', () => {
  it('entry hashes, chained', () => {
    expect(e1.details).toBe('{"n":1,"purpose":"TREAT"}');
    expect(entryHash(e1)).toBe(H1);
    const e2 = { ...e1, id: 2, actor_id: null, actor_name: null, actor_role: null, patient_id: null, subject: null, details: '{}', action: 'auth.lock', outcome: 'denied', prev_hash: H1 };
    expect(entryHash(e2)).toBe(H2);
  });

  it('Merkle leaf, root (library and fast tree) and batch id', () => {
    const leaves = [
      { id: 1, hash: H1 },
      { id: 2, hash: H2 },
      { id: 3, hash: 'ab'.repeat(32) },
    ];
    expect(leafHashOf(leafOf(1, H1))).toBe('0x1eea863dccdf10d6b1c407c2184a9e36edfa969f9065fd8a0204fed2c780057d');
    expect(libraryRoot(leaves)).toBe(ROOT);
    expect(fastRoot(leaves)).toBe(ROOT);
    expect(batchIdOf(1, 3, ROOT)).toBe('0x72ffc6f9c0d4d0e176b307631343551eee3352141b2115cc105e84c6e8907cbe');
  });
});
