// `custodian consent proof ID` (signed in, through the dispatcher: permission consents.view, audited as a read of the
// patient's consent) and `custodian consent check-proof FILE --rpc URL` (no data folder, no database: the bundle and
// a JSON-RPC endpoint only). Wired by the CLI shell (main/cli/index.ts).
import fs from 'node:fs';
import type { ConsentProofCheck } from '../api/consents';
import { AppError } from '../api/errors';
import { createProvider } from '../chain/provider';
import { typedCall } from '../runtime/call';
import type { CallerContext, Dispatch } from '../runtime/dispatcher';
import { checkConsentProof, parseConsentProofText } from './proof';

/** What these commands use of the started services (the CLI passes its Services): typed here, so the domain never imports the composition root. */
type CommandServices = { dispatch: Dispatch };

export interface ProofCliOutput {
  out(text: string): void;
  err(text: string): void;
}

/** Exit code of a proof that holds but whose change a later one replaced by the asked block (scripts tell them apart). */
export const EXIT_REPLACED = 4;

export async function consentProofCommand(services: CommandServices, caller: CallerContext, idText: string | undefined, opts: { out?: string | undefined }, io: ProofCliOutput): Promise<number> {
  const id = Number(idText);
  if (!Number.isSafeInteger(id) || id < 1) throw new AppError('VALIDATION_FAILED', `consent proof needs a consent id, got ${idText ?? 'nothing'}`);
  const bundle = await typedCall(services.dispatch, caller)('consents.proof', { id });
  const json = `${JSON.stringify(bundle, null, 2)}\n`;
  if (opts.out) {
    fs.writeFileSync(opts.out, json, { flag: 'wx', mode: 0o600 });
    io.err(`Proof bundle of consent ${id} (transaction ${bundle.chain.txHash}, block ${bundle.chain.blockNumber}) written to ${opts.out}. It opens this one change: hand it only to whom may see this consent.\n`);
  } else {
    io.out(json);
  }
  return 0;
}

export function formatConsentProofCheck(r: ConsentProofCheck): string {
  const lines = r.steps.map((s) => `ok   ${s.name.padEnd(12)} ${s.message}`);
  const t = r.terms;
  lines.push(
    `Proof OK: consent ${r.consentId} (${t.decision} ${t.purpose}/${t.category} for ${t.granteeKind} ${t.grantee}, ${t.validFrom}–${t.validUntil || 'open'}${t.revoked ? ', revoked' : ''}) is on chain in block ${r.op.blockNumber}.`,
  );
  for (const later of r.laterOps) {
    lines.push(`     later change: ${later.decision}${later.revoked ? ', revoked' : ''} at stamp ${later.hlc} by ${later.writer} (block ${later.blockNumber}, tx ${later.txHash})`);
  }
  lines.push(
    r.current
      ? `At block ${r.atBlock} this change is the ledger's state for the key.`
      : `At block ${r.atBlock} the ledger's state is a LATER change (${r.stateAtBlock.decision}${r.stateAtBlock.revoked ? ', revoked' : ''}, stamp ${r.stateAtBlock.hlc}, by ${r.stateAtBlock.writer}): this change no longer holds there.`,
  );
  if (!r.ledger.pinned) lines.push(`Note: the ledger ${r.ledger.address} was taken from the bundle; anyone can deploy a ConsentLedger. Confirm it is the facility's, or pass --ledger ADDR.`);
  return lines.join('\n');
}

export async function consentCheckProofCommand(file: string | undefined, opts: { rpc?: string | undefined; atBlock?: string | undefined; ledger?: string | undefined; json: boolean }, io: ProofCliOutput): Promise<number> {
  if (!file) throw new AppError('VALIDATION_FAILED', 'consent check-proof needs a bundle FILE.');
  if (!opts.rpc) throw new AppError('VALIDATION_FAILED', 'consent check-proof needs --rpc URL (or CUSTODIAN_RPC_URL): the proof is checked against the chain.');
  if (opts.atBlock !== undefined && !/^\d{1,15}$/.test(opts.atBlock)) throw new AppError('VALIDATION_FAILED', `--at-block must be a block number, got ${opts.atBlock}`);
  if (opts.ledger !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(opts.ledger)) throw new AppError('VALIDATION_FAILED', `--ledger must be a 0x address, got ${opts.ledger}`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new AppError('CONSENT_PROOF_INVALID', `malformed: ${file} cannot be read: ${(err as Error).message}`, { reason: 'malformed' });
  }
  const bundle = parseConsentProofText(text);
  const provider = createProvider(opts.rpc, bundle.chain.chainId);
  try {
    const result = await checkConsentProof(bundle, provider, { ...(opts.atBlock !== undefined ? { atBlock: Number(opts.atBlock) } : {}), ...(opts.ledger ? { ledger: opts.ledger } : {}) });
    io.out(opts.json ? `${JSON.stringify(result, null, 2)}\n` : `${formatConsentProofCheck(result)}\n`);
    return result.current ? 0 : EXIT_REPLACED;
  } finally {
    provider.destroy();
  }
}
