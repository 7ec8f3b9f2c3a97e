// Pulled credential statuses are applied only when the transaction that carried them holds the issuer's EIP-712
// signature for exactly that status (the puller re-checks what the registry checked), so a status that reached the
// log by any other path (a forged devnet state, a contract that emits without checking) is reported, not applied.
import type { JsonRpcProvider, Log } from 'ethers';
import { statusDomain, statusSignedByIssuer, type ChainStatus } from './status-signature';
import { contractInterface } from '../sync/contracts';

const STATUS_NAMES: Record<number, ChainStatus> = { 1: 'active', 2: 'suspended', 3: 'revoked' };

/** Keys `${txHash}:${credentialHash}:${status}` of the statuses in `logs` whose issuer signature checks out. */
export async function verifiedStatusKeys(provider: JsonRpcProvider, chainId: number, registry: string | undefined, logs: readonly Log[]): Promise<Set<string>> {
  const verified = new Set<string>();
  if (!registry) return verified;
  const iface = contractInterface('CredentialRegistry');
  const topic = iface.getEvent('CredentialStatusChanged')!.topicHash;
  const txs = new Set(logs.filter((l) => l.address.toLowerCase() === registry.toLowerCase() && l.topics[0] === topic).map((l) => l.transactionHash.toLowerCase()));
  const domain = statusDomain(chainId, registry);
  for (const hash of txs) {
    const tx = await provider.getTransaction(hash);
    if (!tx || tx.to?.toLowerCase() !== registry.toLowerCase()) continue;
    let updates: unknown[];
    try {
      const call = iface.parseTransaction({ data: tx.data });
      if (call?.name !== 'setStatuses') continue;
      updates = [...(call.args.getValue('updates') as unknown[])];
    } catch {
      continue;
    }
    for (const raw of updates) {
      const u = raw as { credentialHash: string; status: bigint; expiresAt: bigint; issuer: string; nonce: bigint; deadline: bigint; signature: string };
      const status = STATUS_NAMES[Number(u.status)];
      if (!status) continue;
      const signed = { credentialHash: u.credentialHash, status, expiresAt: Number(u.expiresAt), nonce: Number(u.nonce), deadline: Number(u.deadline), issuer: u.issuer, signature: u.signature };
      if (statusSignedByIssuer(domain, signed)) verified.add(`${hash}:${u.credentialHash.toLowerCase()}:${Number(u.status)}`);
    }
  }
  return verified;
}
