// The payer tool (`custodian payer …`, tests and demos): accepts or denies a recorded claim on ClaimsLedger with a
// payer key (and the claim's salt, handed over off chain), and lets the ledger's admin (governance) register a payer's address. Talks to the chain only; the console learns of the
// answer through the puller, like any other workstation would.
import { Contract, getAddress, hexlify, toUtf8Bytes, Wallet, zeroPadBytes, type JsonRpcProvider } from 'ethers';
import { AppError } from '../api/errors';
import { loadArtifact } from '../chain/artifacts';
import { TxSender } from '../chain/provider';
import { payerNonceOf, sealReasonCode } from './outbox-events';

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

const BYTES32 = /^0x[0-9a-fA-F]{64}$/;
const SALT = /^0x[0-9a-fA-F]{32}$/;

/** What the payer holds of one claim: its commitment on chain and the salt the facility handed over off chain. */
export interface PayerClaim {
  claimHash: string;
  salt: string;
}

/**
 * Accepts or denies a claim as the payer holding `payerKey`; resolves with the transaction once mined. The salt opens
 * the claim's payer commitment (payerNonceOf) and masks the reason code, so the chain never shows it in clear.
 */
export async function payerDecide(t: LedgerTarget, payerKey: string, claim: PayerClaim, decision: 'accepted' | 'denied', reason?: string): Promise<{ txHash: string; blockNumber: number }> {
  if (!BYTES32.test(claim.claimHash)) throw new AppError('VALIDATION_FAILED', `CLAIM_HASH must be 0x and 64 hex digits, got ${JSON.stringify(claim.claimHash)}.`);
  if (!SALT.test(claim.salt)) throw new AppError('VALIDATION_FAILED', 'SALT must be 0x and 32 hex digits (the claim\'s salt, handed over by the facility with the claim).');
  const code = reasonCodeBytes(reason);
  if (decision === 'denied' && /^0x0+$/.test(code)) throw new AppError('VALIDATION_FAILED', 'A denial needs --reason CODE (e.g. CO-16).');
  const salt = claim.salt.toLowerCase();
  const ledger = ledgerOf(t);
  const wallet = new Wallet(payerKey, t.provider);
  const receipt = await new TxSender(wallet).send(
    { to: t.ledger, data: ledger.interface.encodeFunctionData('setStatus', [claim.claimHash.toLowerCase(), STATUS[decision], sealReasonCode(salt, code), payerNonceOf(salt)]) },
    { decodeErrorsWith: ledger.interface },
  );
  return { txHash: receipt.hash, blockNumber: receipt.blockNumber };
}

/**
 * Registers `address` as a payer account on ClaimsLedger, signed by the ledger's admin key (governance). The chain
 * learns only the address, never which payer id it answers for: that stays in each facility (payers.ts).
 */
export async function registerPayer(t: LedgerTarget, adminKey: string, address: string): Promise<{ txHash: string; address: string }> {
  let payer: string;
  try {
    payer = getAddress(address);
  } catch {
    throw new AppError('VALIDATION_FAILED', `ADDRESS must be a 0x-prefixed 20-byte address with a valid checksum (or all lower case), got ${JSON.stringify(address)}.`);
  }
  const ledger = ledgerOf(t);
  const wallet = new Wallet(adminKey, t.provider);
  const receipt = await new TxSender(wallet).send({ to: t.ledger, data: ledger.interface.encodeFunctionData('registerPayer', [payer, true]) }, { decodeErrorsWith: ledger.interface });
  return { txHash: receipt.hash, address: payer };
}
