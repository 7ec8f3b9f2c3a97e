// Two processes on one data folder share its embedded devnet: the second attaches to the first's anvil and signs
// with the same folder's operating key (read from chain/devnet-keys.json), never with a public dev key.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Wallet } from 'ethers';
import { afterAll, describe, expect, it } from 'vitest';
import { compileContracts } from '../../contracts/build';
import { devnetKeysFile, readDevnetKeys, isAnvilDevAccount } from '../chain/devnet-keys';
import { TEST_FOLDER_SECRET } from '../chain/test-support';
import { ConsentSealer } from '../consents/ledger-seal';
import { loadOrCreateFacilitySecret } from '../consents/pseudonym';
import { ChainRuntime } from './chain-runtime';
import { EventBus } from './event-bus';
import { silentLogger } from './log';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'custodian-chain-runtime-'));
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

// The probe's time limit is raised: on a loaded machine the 1st probe may run past the console's limit (read as offline).
describe('ChainRuntime on the embedded devnet', () => {
  it('the owner and a console that attaches to its devnet both sign with the folder operating key', async () => {
    compileContracts();
    const facilityId = () => new ConsentSealer(loadOrCreateFacilitySecret(dataDir)).facilityId;
    const owner = new ChainRuntime({ dataDir, config: { mode: 'embedded' }, events: new EventBus(), log: silentLogger, probeTimeoutMs: 60_000, embeddedFacilityId: facilityId, folderSecret: () => TEST_FOLDER_SECRET });
    await owner.start();
    const attached = new ChainRuntime({ dataDir, config: { mode: 'embedded' }, events: new EventBus(), log: silentLogger, probeTimeoutMs: 60_000, embeddedFacilityId: facilityId, folderSecret: () => TEST_FOLDER_SECRET });
    try {
      expect(owner.current.state).toBe('connected');
      await attached.start();
      expect(attached.current.state).toBe('connected');
      expect(attached.connection?.endpoint.rpcUrl).toBe(owner.connection?.endpoint.rpcUrl);
      const operating = readDevnetKeys(devnetKeysFile(dataDir), TEST_FOLDER_SECRET).operating;
      expect(owner.embeddedSignerKey).toBe(operating.privateKey);
      expect(attached.embeddedSignerKey).toBe(operating.privateKey);
      expect(isAnvilDevAccount(new Wallet(attached.embeddedSignerKey!).address)).toBe(false);
    } finally {
      await attached.stop();
      await owner.stop();
    }
  });
});
