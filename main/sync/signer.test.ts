// Loading the signing key: the devnet key, an encrypted keystore unlocked from the environment, and clear
// messages (never key material) for every way it can be missing.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encryptKeystoreJson, Wallet } from 'ethers';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { tempDir } from './fixtures/chain';
import { loadSigner } from './signer';

const contracts = { ConsentLedger: `0x${'11'.repeat(20)}`, AuditAnchor: `0x${'22'.repeat(20)}`, CredentialRegistry: `0x${'33'.repeat(20)}` };

describe('loadSigner', () => {
  it('uses the devnet key for the embedded chain', async () => {
    const w = await loadSigner({ mode: 'embedded' }, () => DEVNET_SIGNER_KEY);
    expect(w.address).toBe(new Wallet(DEVNET_SIGNER_KEY).address);
  });

  it('unlocks an encrypted keystore with the passphrase from the environment, and names what is missing', async () => {
    const dir = tempDir('signer');
    const wallet = Wallet.createRandom();
    const file = path.join(dir, 'key.json');
    fs.writeFileSync(file, await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, 'correct horse', { scrypt: { N: 1 << 10 } }));
    const external = { mode: 'external' as const, rpcUrl: 'http://127.0.0.1:1', chainId: 5, contracts, confirmations: 2, finality: 'finalized-if-supported' as const, startBlock: 0, keystorePath: file };
    expect((await loadSigner(external, () => null, { CUSTODIAN_KEYSTORE_PASSPHRASE: 'correct horse' })).address).toBe(wallet.address);
    const cases: Array<[typeof external | Omit<typeof external, 'keystorePath'>, NodeJS.ProcessEnv, RegExp]> = [
      [{ ...external }, {}, /Set CUSTODIAN_KEYSTORE_PASSPHRASE/],
      [{ ...external }, { CUSTODIAN_KEYSTORE_PASSPHRASE: 'wrong' }, /wrong passphrase/],
      [{ ...external, keystorePath: path.join(dir, 'missing.json') }, { CUSTODIAN_KEYSTORE_PASSPHRASE: 'x' }, /Cannot read the keystore .* ENOENT/],
      [{ mode: 'external', rpcUrl: 'http://127.0.0.1:1', chainId: 5, contracts, confirmations: 2, finality: 'finalized-if-supported' as const, startBlock: 0 }, {}, /No signing key configured/],
    ];
    for (const [config, env, message] of cases) {
      const err = await loadSigner(config, () => null, env).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'SYNC_SIGNER_UNAVAILABLE' });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).not.toContain(wallet.privateKey.slice(2, 12));
    }
  });
});
