// The consent proof checker carries its own ConsentLedger fragment (it must run without the sync layer); they
// must be the compiled contract's, or a checker would look for an event the ledger never emits.
import { Interface } from 'ethers';
import { describe, expect, it } from 'vitest';
import { compileContracts } from '../../contracts/build';
import { loadArtifact } from '../chain/artifacts';
import { LEDGER_PROOF_ABI } from './proof';

describe('LEDGER_PROOF_ABI', () => {
  it('names the compiled ConsentLedger event exactly, and the ledger has no per-key state view to ask instead', () => {
    compileContracts();
    const compiled = new Interface(loadArtifact('ConsentLedger').abi);
    expect(LEDGER_PROOF_ABI.getEvent('ConsentChanged')!.format('full')).toBe(compiled.getEvent('ConsentChanged')!.format('full'));
    // The checker folds the key's events (ledger-state.ts): a stateOf view would be per-key storage, which v3 dropped.
    expect(compiled.getFunction('stateOf')).toBeNull();
  });
});
