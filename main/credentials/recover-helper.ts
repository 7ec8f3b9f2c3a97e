// Entry of a recover-pool helper thread: answers batches of credentials with their EIP-712 digests and signers,
// through one signature checker kept for the thread's life (it learns the issuers' keys as it goes).
import { parentPort } from 'node:worker_threads';
import type { CredentialDomain, CredentialFields } from './eip712';
import { createSignatureChecker } from './fast-recover';

const port = parentPort!;
const checker = createSignatureChecker();
port.on('message', ({ id, items }: { id: number; items: { domain: CredentialDomain; fields: CredentialFields; signature: string }[] }) => {
  port.postMessage({ id, out: items.map((it) => checker.recover(it.domain, it.fields, it.signature)) });
});
