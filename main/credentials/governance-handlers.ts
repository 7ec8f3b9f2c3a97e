// Handlers of issuer governance (credentials.registerIssuer / revokeIssuer): register or remove an issuer in
// CredentialRegistry with the governance key. Through the dispatcher like every channel, so only an IT admin
// (sync.configure) reaches the chain, and the change is in the audit trail with its transaction.
import type { HandlersFor } from '../api/channel';
import type { issuerGovernanceChannels } from '../api/credentials';
import { AppError } from '../api/errors';
import { TxSender } from '../chain/provider';
import type { ChainRuntime } from '../runtime/chain-runtime';
import type { RequestContext } from '../runtime/dispatcher';
import { governanceSigner, registerIssuer, revokeIssuer } from './registry-admin';

export interface IssuerGovernanceDeps {
  chain: Pick<ChainRuntime, 'connection' | 'current' | 'devnetKeys'>;
  chainConfig: { mode: string; keystorePath?: string | undefined };
}

export function createIssuerGovernanceHandlers(deps: IssuerGovernanceDeps): HandlersFor<typeof issuerGovernanceChannels, RequestContext> {
  const registryAndSender = async () => {
    const conn = deps.chain.connection;
    if (!conn) throw new AppError('CHAIN_UNAVAILABLE', `The chain is not connected (${deps.chain.current.state}); issuer governance needs it.`);
    const registry = conn.endpoint.contracts.CredentialRegistry;
    if (!registry) throw new AppError('CHAIN_UNAVAILABLE', 'No CredentialRegistry is configured for this chain.');
    return { registry, sender: new TxSender(await governanceSigner(conn.provider, deps.chainConfig, () => deps.chain.devnetKeys())) };
  };
  return {
    'credentials.registerIssuer': async ({ address, name }, ctx) => {
      const { registry, sender } = await registryAndSender();
      const receipt = await registerIssuer(sender, registry, address, name);
      ctx.audit({ subject: address, details: { name, registry, tx: receipt.hash } });
      return { address, registry, txHash: receipt.hash, blockNumber: receipt.blockNumber };
    },
    'credentials.revokeIssuer': async ({ address }, ctx) => {
      const { registry, sender } = await registryAndSender();
      const receipt = await revokeIssuer(sender, registry, address);
      ctx.audit({ subject: address, details: { registry, tx: receipt.hash } });
      return { address, registry, txHash: receipt.hash, blockNumber: receipt.blockNumber };
    },
  };
}
