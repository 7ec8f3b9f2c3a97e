// The payer tool (`custodian payer …`, tests and demos): accepts or denies a recorded claim on ClaimsLedger with a
// payer key, and lets the ledger's admin (governance) register a payer's address. Talks to the chain only; the console learns of the
// answer through the puller, like any other workstation would.
import { Contract, getAddress, hexlify, toUtf8Bytes, Wallet, zeroPadBytes, type JsonRpcProvider } from 'ethers';
import { AppError } from '../api/errors';
import { loadArtifact } from '../chain/artifacts';
import { TxSender } from '../chain/provider';
import { payerHashOf } from './outbox-events';

const STATUS = { accepted: 2, denied: 3 } as const;
const REASON = /^[A-Z0-9-]{1,8}$/;

/** An ASCII reason code (a CARC such as "CO-16") as bytes8; refuses anything else with the rule. */
export function reasonCodeBytes(code: string | undefined): string {
  if (code === undefined || code === '') return `0x${'00'.repeat(8)}`;
  const upper = code.trim().toUpperCase();
  if (!REASON.test(upper)) throw new AppError('VALIDATION_FAILED', `--reason must be 1 to 8 letters, digits or dashes (e.g. CO-16), got ${JSON.stringify(code)}.`);
  return zeroPadBytes(hexlify(toUtf8Bytes(upper)), 8);
}

export interface LedgerTarget {
  provider: JsonRpcProvider;
  ledger: string;
}

function ledgerOf(t: LedgerTarget): Contract {
  return new Contract(t.ledger, loadArtifact('ClaimsLedger').abi, t.provider);
}

/** Accepts or denies `claimHash` as the payer holding `payerKey`; resolves with the transaction once mined. */
export async function payerDecide(t: LedgerTarget, payerKey: string, claimHash: string, decision: 'accepted' | 'denied', reason?: string): Promise<{ txHash: string; blockNumber: number }> {
  if (!/^0x[0-9a-fA-F]{64}$/.test(claimHash)) throw new AppError('VALIDATION_FAILED', `CLAIM_HASH must be 0x and 64 hex digits, got ${JSON.stringify(claimHash)}.`);
  const code = reasonCodeBytes(reason);
  if (decision === 'denied' && /^0x0+$/.test(code)) throw new AppError('VALIDATION_FAILED', 'A denial needs --reason CODE (e.g. CO-16).');
  const ledger = ledgerOf(t);
  const wallet = new Wallet(payerKey, t.provider);
  const receipt = await new TxSender(wallet).send(
    { to: t.ledger, data: ledger.interface.encodeFunctionData('setStatus', [claimHash.toLowerCase(), STATUS[decision], code]) },
    { decodeErrorsWith: ledger.interface },
  );
  return { txHash: receipt.hash, blockNumber: receipt.blockNumber };
}

/**
 * Registers `address` as the account that answers for payer `payerId` (its claims carry payerHashOf(payerId)),
 * signed by the ledger's admin key (governance). Only that account may then decide those claims.
 */
export async function registerPayer(t: LedgerTarget, adminKey: string, payerId: string, address: string): Promise<{ txHash: string }> {
  let payer: string;
  try {
    payer = getAddress(address);
  } catch {
    throw new AppError('VALIDATION_FAILED', `ADDRESS must be a 0x-prefixed 20-byte address with a valid checksum (or all lower case), got ${JSON.stringify(address)}.`);
  }
  if (!payerId.trim()) throw new AppError('VALIDATION_FAILED', 'payer register needs a PAYER_ID.');
  const ledger = ledgerOf(t);
  const wallet = new Wallet(adminKey, t.provider);
  const receipt = await new TxSender(wallet).send({ to: t.ledger, data: ledger.interface.encodeFunctionData('registerPayer', [payerHashOf(payerId.trim()), payer]) }, { decodeErrorsWith: ledger.interface });
  return { txHash: receipt.hash };
}
