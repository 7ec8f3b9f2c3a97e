// loadArtifact: the real build output loads; a missing or malformed folder gives CONTRACTS_NOT_BUILT.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileContracts } from '../../contracts/build';
import { loadArtifact } from './artifacts';

let dir: string | null = null;
beforeAll(() => compileContracts());
afterEach(() => {
  delete process.env.CUSTODIAN_ARTIFACTS_DIR;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

describe('loadArtifact', () => {
  it('loads the compiled artifacts from contracts/artifacts', () => {
    const artifact = loadArtifact('AuditAnchor');
    expect(artifact.contractName).toBe('AuditAnchor');
    expect(artifact.bytecode).toMatch(/^0x[0-9a-f]{100,}$/);
    expect(JSON.stringify(artifact.abi)).toContain('"anchorHead"');
  });

  it('reports CONTRACTS_NOT_BUILT with the build command for a missing or malformed artifact', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'custodian-artifacts-'));
    process.env.CUSTODIAN_ARTIFACTS_DIR = dir;
    expect(() => loadArtifact('ConsentLedger')).toThrow(/npm run build:contracts/);
    writeFileSync(path.join(dir, 'ConsentLedger.json'), JSON.stringify({ contractName: 'ConsentLedger', abi: [] }));
    expect(() => loadArtifact('ConsentLedger')).toThrow(expect.objectContaining({ code: 'CONTRACTS_NOT_BUILT' }));
  });
});
