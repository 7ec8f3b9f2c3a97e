// EIP-712 digests and signature recovery spread over helper threads for bulk verification: they are ~99% of a
// credential check's CPU, and a bulk job would otherwise use one core. Null (check in-thread) where it cannot start.
import os from 'node:os';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CREDENTIAL_TYPED_DATA, type CredentialDomain, type CredentialFields } from './eip712';
import type { Recovered } from './verdict';

/** Computes each credential's EIP-712 digest and recovers its signer (null where the signature is not valid). */
export type RecoverMany = (items: readonly { domain: CredentialDomain; fields: CredentialFields; signature: string }[]) => Promise<Recovered[]>;

export interface RecoverPool {
  readonly size: number;
  recover: RecoverMany;
  close(): Promise<void>;
}

// Plain CommonJS so it runs from source and from a bundle alike; ethers is required by the path main resolved.
// The digest is eip712.ts credentialDigest over the same typed data (tests compare the two on every check).
const HELPER = `
const { parentPort, workerData } = require('node:worker_threads');
const { TypedDataEncoder, recoverAddress, keccak256, concat } = require(workerData.ethers);
const encoder = TypedDataEncoder.from(workerData.types);
const separators = new Map();
function digestOf(domain, fields) {
  const key = domain.name + '|' + domain.version + '|' + domain.chainId + '|' + domain.verifyingContract.toLowerCase();
  let sep = separators.get(key);
  if (sep === undefined) { sep = TypedDataEncoder.hashDomain(domain); separators.set(key, sep); }
  return keccak256(concat(['0x1901', sep, encoder.hash(fields)]));
}
parentPort.on('message', ({ id, items }) => {
  const out = items.map((it) => {
    const digest = digestOf(it.domain, it.fields);
    let signer = null;
    try { signer = recoverAddress(digest, it.signature); } catch {}
    return { digest, signer };
  });
  parentPort.postMessage({ id, out });
});`;

function ethersEntry(): string | null {
  const url = import.meta.url as string | undefined;
  if (!url) return null;
  try {
    return createRequire(url).resolve('ethers');
  } catch {
    return null;
  }
}

/** Starts `size` helper threads (default: one per core), or returns null when helpers cannot be used here. */
export function startRecoverPool(size = os.availableParallelism()): RecoverPool | null {
  const ethers = ethersEntry();
  if (!ethers || size < 2) return null;
  const workers = Array.from({ length: size }, () => new Worker(HELPER, { eval: true, workerData: { ethers, types: CREDENTIAL_TYPED_DATA } }));
  const pending = new Map<number, { resolve: (out: Recovered[]) => void; reject: (err: Error) => void }>();
  let nextId = 0;
  for (const w of workers) {
    w.on('message', (m: { id: number; out: Recovered[] }) => {
      pending.get(m.id)?.resolve(m.out);
      pending.delete(m.id);
    });
    w.on('error', (err) => {
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    });
    // Kept referenced: an awaited answer must keep the thread alive. close() ends them.
  }
  const ask = (w: Worker, items: Parameters<RecoverMany>[0]) =>
    new Promise<Recovered[]>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      w.postMessage({ id, items });
    });
  return {
    size,
    async recover(items) {
      const per = Math.ceil(items.length / size);
      const parts = await Promise.all(workers.map((w, i) => (i * per < items.length ? ask(w, items.slice(i * per, (i + 1) * per)) : Promise.resolve([]))));
      return parts.flat();
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
