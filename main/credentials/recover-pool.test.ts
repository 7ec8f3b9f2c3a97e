// The helper-thread recovery used by bulk verification gives exactly what the in-thread code gives: the same
// EIP-712 digest as credentialDigest and the same signer, null for a signature that is not valid.
import { Wallet } from 'ethers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SignedCredential } from './document';
import { credentialDigest, credentialDomain, recoverSigner } from './eip712';
import { startRecoverPool, type RecoverPool } from './recover-pool';
import { signTestCredential, TEST_NPIS } from './test-support';

let pool: RecoverPool | null;
const creds: SignedCredential[] = [];

beforeAll(async () => {
  pool = startRecoverPool(2);
  const a = Wallet.createRandom();
  const b = Wallet.createRandom();
  for (let i = 0; i < 9; i++) {
    creds.push(await signTestCredential(i % 2 ? a : b, credentialDomain(i % 3 ? 31337 : 1, '0x5FbDB2315678afecb367f032d93F642f64180aa3'), { npi: TEST_NPIS[i % 5]!, number: `P-${i}` }));
  }
});
afterAll(async () => {
  await pool?.close();
});

describe('startRecoverPool', () => {
  it('starts from source (tsx and vitest resolve ethers)', () => {
    expect(pool?.size).toBe(2);
  });

  it('computes the same digests and signers as the in-thread code, in order', async () => {
    const items = creds.map((c) => ({ domain: c.domain, fields: c.fields, signature: c.signature }));
    items.push({ ...items[0]!, signature: `0x${'11'.repeat(64)}ff` });
    const out = await pool!.recover(items);
    expect(out).toEqual(items.map((it) => ({ digest: credentialDigest(it.domain, it.fields), signer: recoverSigner(credentialDigest(it.domain, it.fields), it.signature) })));
    expect(out.at(-1)!.signer).toBeNull();
    expect(out.slice(0, -1).map((o) => o.signer)).toEqual(creds.map((c) => c.fields.issuer));
  });

  it('is not started for one core', () => {
    expect(startRecoverPool(1)).toBeNull();
  });
});

describe('a helper that ends', () => {
  const itemsOf = () => creds.map((c) => ({ domain: c.domain, fields: c.fields, signature: c.signature }));
  const expected = () => itemsOf().map((it) => ({ digest: credentialDigest(it.domain, it.fields), signer: recoverSigner(credentialDigest(it.domain, it.fields), it.signature) }));

  it('is replaced, also when it ended without an error, and the pool keeps answering in full', async () => {
    const own = startRecoverPool(2)!;
    try {
      expect(await own.recover(itemsOf())).toEqual(expected());
      const [first, second] = own.helperThreads();
      // An exit with no 'error' event (as when a thread is terminated or calls process.exit) is what was missed before.
      await first!.terminate();
      await until(() => own.replaced === 1);
      expect(own.helperThreads()[0]).not.toBe(first);
      expect(own.helperThreads()[1]).toBe(second);
      expect(await own.recover(itemsOf())).toEqual(expected());
    } finally {
      await own.close();
    }
  });

  it('hands the batch it held to its replacement: the caller still gets every answer', async () => {
    const own = startRecoverPool(2)!;
    try {
      const pending = own.recover(itemsOf());
      // Both helpers end while the batch is out; neither has answered (the threads are still starting).
      await Promise.all(own.helperThreads().map((w) => w.terminate()));
      expect(await pending).toEqual(expected());
      expect(own.replaced).toBe(2);
    } finally {
      await own.close();
    }
  });
});

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setImmediate(resolve));
}
