// Failure classification, table-driven over what ethers, nodes and the network actually throw (measured in
// the fault tests), and decoding of the contracts' custom errors.
import { describe, expect, it } from 'vitest';
import { AppError } from '../api/errors';
import { contractInterface } from './contracts';
import { classifyFailure, isAlreadyKnown } from './failures';

const ledger = contractInterface('ConsentLedger');
const registry = contractInterface('CredentialRegistry');
const batchId = `0x${'12'.repeat(32)}`;
const withData = (data: string) => Object.assign(new Error('execution reverted'), { code: 'CALL_EXCEPTION', data });

describe('classifyFailure', () => {
  it.each([
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8545'), { code: 'ECONNREFUSED' }), 'offline', 'SYNC_OFFLINE', true],
    ['fetch failed (undici)', new TypeError('fetch failed'), 'offline', 'SYNC_OFFLINE', true],
    ['ethers timeout', Object.assign(new Error('request timeout'), { code: 'TIMEOUT' }), 'rpc', 'SYNC_RPC_TIMEOUT', true],
    ['HTML instead of JSON', Object.assign(new Error('response body is not valid JSON'), { code: 'UNSUPPORTED_OPERATION' }), 'rpc', 'SYNC_RPC_GARBAGE', true],
    ['502 from a proxy', Object.assign(new Error('server response 502 Bad Gateway'), { code: 'SERVER_ERROR' }), 'rpc', 'SYNC_RPC_GARBAGE', true],
    ['missing response', Object.assign(new Error('missing response for request'), { code: 'BAD_DATA' }), 'rpc', 'SYNC_RPC_GARBAGE', true],
    ['a non-hex quantity', new AppError('SYNC_RPC_GARBAGE', 'The node answered eth_chainId with "0xzz"'), 'rpc', 'SYNC_RPC_GARBAGE', true],
    ['insufficient funds (node text)', { error: { message: 'insufficient funds for gas * price + value: have 0 want 1' } }, 'funds', 'SYNC_INSUFFICIENT_FUNDS', true],
    ['insufficient funds (EDR text, ethers UNKNOWN_ERROR)', Object.assign(new Error('could not coalesce error'), { code: 'UNKNOWN_ERROR', error: { code: -32000, message: "Sender doesn't have enough funds to send tx. The max upfront cost is: 63000000000000 and the sender's balance is: 0." } }), 'funds', 'SYNC_INSUFFICIENT_FUNDS', true],
    ['insufficient funds (ethers code)', Object.assign(new Error('insufficient funds'), { code: 'INSUFFICIENT_FUNDS' }), 'funds', 'SYNC_INSUFFICIENT_FUNDS', true],
    ['nonce too low', { info: { error: { code: -32003, message: 'nonce too low' } } }, 'nonce', 'SYNC_NONCE_CONFLICT', true],
    ['replacement underpriced', Object.assign(new Error('replacement transaction underpriced'), { code: 'REPLACEMENT_UNDERPRICED' }), 'nonce', 'SYNC_NONCE_CONFLICT', true],
    ['chain id mismatch', new AppError('CHAIN_ID_MISMATCH', 'The node reports chain id 1'), 'chain-id', 'CHAIN_ID_MISMATCH', true],
    // The path in the message says "timeout": the signer's code wins over text matching.
    ['signing key unavailable', new AppError('SYNC_SIGNER_UNAVAILABLE', 'Cannot read the keystore at /srv/timeout/key.json: ENOENT.'), 'signer', 'SYNC_SIGNER_UNAVAILABLE', true],
    ['revert without data', Object.assign(new Error('execution reverted'), { code: 'CALL_EXCEPTION' }), 'revert', 'SYNC_REVERTED', false],
  ] as const)('%s', (_n, err, subtype, code, transient) => {
    expect(classifyFailure(err, { rpcUrl: 'http://127.0.0.1:8545' })).toMatchObject({ subtype, code, transient });
  });

  it('decodes custom errors by name and marks a replayed batch as already applied', () => {
    const replay = classifyFailure(withData(ledger.encodeErrorResult('BatchAlreadyApplied', [`0x${'12'.repeat(20)}`, batchId])));
    expect(replay).toMatchObject({ subtype: 'revert', errorName: 'BatchAlreadyApplied', alreadyApplied: true });
    const issuer = `0x${'34'.repeat(20)}`;
    const bad = classifyFailure(withData(registry.encodeErrorResult('IssuerNotRegistered', [issuer])));
    expect(bad).toMatchObject({ errorName: 'IssuerNotRegistered', alreadyApplied: false, transient: false });
    expect(bad.message).toContain('CredentialRegistry: IssuerNotRegistered(');
    const unknown = classifyFailure(withData('0xdeadbeef'));
    expect(unknown.message).toContain('revert data 0xdeadbeef');
  });

  it('recognises "already known" rebroadcasts', () => {
    expect(isAlreadyKnown({ error: { message: 'already known' } })).toBe(true);
    expect(isAlreadyKnown(new Error('transaction already imported'))).toBe(true);
    expect(isAlreadyKnown(new Error('nonce too low'))).toBe(false);
  });
});
