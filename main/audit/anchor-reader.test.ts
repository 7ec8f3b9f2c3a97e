// The reader's hand-written ABI against the compiled AuditAnchor: every function selector and event topic agrees,
// so a third party's checker (which has no artifacts) reads the contract the engine writes to.
import { Interface } from 'ethers';
import { describe, expect, it } from 'vitest';
import { loadArtifact } from '../chain/artifacts';
import { AUDIT_ANCHOR_ABI, auditAnchorInterface } from './anchor-reader';

describe('AUDIT_ANCHOR_ABI', () => {
  it('matches the compiled AuditAnchor', () => {
    const compiled = new Interface(loadArtifact('AuditAnchor').abi);
    for (const fragment of AUDIT_ANCHOR_ABI) {
      const name = fragment.split(/[ (]/)[1]!;
      if (fragment.startsWith('event')) expect(auditAnchorInterface.getEvent(name)!.topicHash).toBe(compiled.getEvent(name)!.topicHash);
      else expect(auditAnchorInterface.getFunction(name)!.selector).toBe(compiled.getFunction(name)!.selector);
    }
  });
});
