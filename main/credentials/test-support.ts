// Shared fixtures of the credentials tests and benchmark: a migrated SQLite file, signed credentials, and a real
// node (anvil, or EDR with CUSTODIAN_TEST_NODE=edr) with the contracts deployed, an issuer registered and statuses written directly with TxSender.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hexlify, randomBytes, Wallet, type BaseWallet, type JsonRpcProvider, type Signer } from 'ethers';
import type { CredentialType } from '../api/credentials';
import { startTestNode, type TestNode } from '../chain/test-node';
import { deployContracts, type DeployedContracts } from '../chain/deploy';
import { DEVNET_SIGNER_KEY } from '../chain/devnet';
import { createProvider, TxSender } from '../chain/provider';
import { openDatabase, type Db } from '../db/connection';
import { migrate } from '../db/migrate';
import type { SignedCredential } from './document';
import type { CredentialDomain } from './eip712';
import { issueCredential } from './issuer';
import { credentialRegistryInterface } from './registry-client';
import { registerIssuer } from './registry-admin';
import { signStatusWithKey, statusDomain } from './status-signature';
import { insertCredential, upsertProvider } from './store';
import { expiresAtOf, REGISTRY_STATUS } from './verdict';

export function tempDir(prefix = 'custodian-credentials-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function openTestDb(dir: string): Db {
  const db = openDatabase(path.join(dir, 'custodian.sqlite'));
  migrate(db);
  return db;
}

export const TEST_NPIS = ['1234567893', '1245319599', '1003000126', '1558444216', '1679576722'] as const;

export interface CredentialInput {
  npi?: string;
  credentialType?: CredentialType;
  jurisdiction?: string;
  number?: string;
  validFrom?: string;
  validUntil?: string;
}

export function signTestCredential(issuer: Signer, domain: CredentialDomain, input: CredentialInput = {}): Promise<SignedCredential> {
  return issueCredential(issuer, domain, {
    npi: input.npi ?? TEST_NPIS[0],
    credentialType: input.credentialType ?? 'license',
    jurisdiction: input.jurisdiction ?? 'US-CA',
    number: input.number ?? `A${Math.floor(Math.random() * 1e9)}`,
    validFrom: input.validFrom ?? '2020-01-01',
    validUntil: input.validUntil ?? '2099-12-31',
  });
}

/** Stores a signed credential (and its provider) as a roster import would. */
export function storeCredential(db: Db, c: SignedCredential, provider: { name?: string; organization?: string | null } = {}): number {
  const now = new Date().toISOString();
  const p = upsertProvider(db, { npi: c.fields.npi, name: provider.name ?? `Provider ${c.fields.npi}`, organization: provider.organization ?? null, specialty: null }, 'test', now);
  return insertCredential(
    db,
    { providerId: p.id, fields: c.fields, chainId: c.domain.chainId, registry: c.domain.verifyingContract, hash: c.hash, signature: c.signature, source: 'test', importRunId: null, sourceRow: null },
    now,
  ).id;
}

export interface RegistryChain {
  node: TestNode;
  provider: JsonRpcProvider;
  contracts: DeployedContracts;
  chainId: number;
  admin: TxSender;
  registerIssuer(issuer: string, name?: string): Promise<void>;
  /** Writes statuses signed by each update's issuer key (the registry accepts nothing else), sent by the devnet key as a relay. */
  setStatuses(updates: { hash: string; status: 'active' | 'suspended' | 'revoked'; validUntil: string; issuer: BaseWallet }[]): Promise<void>;
  stop(): Promise<void>;
}

/** Per process, strictly increasing: each test status beats the ones written before it. */
let statusNonce = Date.now();

const STATUS_CODE = { active: REGISTRY_STATUS.active, suspended: REGISTRY_STATUS.suspended, revoked: REGISTRY_STATUS.revoked } as const;

/** A real node (anvil, or EDR with CUSTODIAN_TEST_NODE=edr) with the contracts deployed by the devnet key, which holds the governance and status roles. */
export async function startRegistryChain(): Promise<RegistryChain> {
  const node = await startTestNode({ chainId: 31337 });
  const provider = createProvider(node.rpcUrl, node.chainId);
  const admin = new TxSender(new Wallet(DEVNET_SIGNER_KEY, provider));
  const contracts = await deployContracts(new Wallet(DEVNET_SIGNER_KEY, provider), undefined, admin);
  const iface = credentialRegistryInterface();
  return {
    node,
    provider,
    contracts,
    chainId: node.chainId,
    admin,
    async registerIssuer(issuer, name = 'State Medical Board') {
      await registerIssuer(admin, contracts.CredentialRegistry, issuer, name);
    },
    async setStatuses(updates) {
      for (let i = 0; i < updates.length; i += 300) {
        const batch = updates.slice(i, i + 300).map((u) => {
          const signed = signStatusWithKey(u.issuer, statusDomain(node.chainId, contracts.CredentialRegistry), { credentialHash: u.hash, status: u.status, expiresAt: expiresAtOf(u.validUntil), nonce: ++statusNonce, deadline: 4_000_000_000 });
          return { credentialHash: u.hash, status: STATUS_CODE[u.status], expiresAt: signed.expiresAt, issuer: signed.issuer, nonce: signed.nonce, deadline: signed.deadline, signature: signed.signature };
        });
        await admin.send({ to: contracts.CredentialRegistry, data: iface.encodeFunctionData('setStatuses', [hexlify(randomBytes(32)), batch]) }, { decodeErrorsWith: iface });
      }
    },
    async stop() {
      provider.destroy();
      await node.stop();
    },
  };
}
