// Loads the compiled contract artifacts written by contracts/compile.mjs (ABI and bytecode), validated with zod.
// Read by deploy.ts and by anything that binds to the deployed contracts.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InterfaceAbi } from 'ethers';
import { z } from 'zod';
import { AppError } from '../api/errors';

export const CONTRACT_NAMES = ['ConsentLedger', 'AuditAnchor', 'CredentialRegistry', 'SharingAgreements', 'ClaimsLedger'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

const hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, 'expected 0x-prefixed hex');

const artifactSchema = z.object({
  contractName: z.string().min(1),
  abi: z.array(z.record(z.string(), z.unknown())),
  bytecode: hex.refine((s) => s.length > 2, 'empty bytecode'),
  deployedBytecode: hex.refine((s) => s.length > 2, 'empty deployed bytecode'),
  sourceHash: z.string().min(1),
});

export interface Artifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
  deployedBytecode: string;
  sourceHash: string;
}

/** contracts/artifacts: from CUSTODIAN_ARTIFACTS_DIR, else next to this source file's repository root. */
export function artifactsDir(): string {
  const fromEnv = process.env.CUSTODIAN_ARTIFACTS_DIR;
  if (fromEnv) return path.resolve(fromEnv);
  const url = import.meta.url as string | undefined;
  // A CommonJS bundle has no import.meta.url; packaged builds set CUSTODIAN_ARTIFACTS_DIR.
  return url ? fileURLToPath(new URL('../../contracts/artifacts/', url)) : path.resolve('contracts', 'artifacts');
}

export function loadArtifact(name: ContractName): Artifact {
  const file = path.join(artifactsDir(), `${name}.json`);
  if (!existsSync(file)) {
    throw new AppError(
      'CONTRACTS_NOT_BUILT',
      `Contract artifact ${name}.json is missing in ${path.dirname(file)}. Run \`npm run build:contracts\`.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new AppError(
      'CONTRACTS_NOT_BUILT',
      `Contract artifact ${file} is not valid JSON (${(err as Error).message}). Run \`npm run build:contracts\`.`,
    );
  }
  const parsed = artifactSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AppError(
      'CONTRACTS_NOT_BUILT',
      `Contract artifact ${file} is malformed at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}. ` +
        'Run `npm run build:contracts`.',
    );
  }
  if (parsed.data.contractName !== name) {
    throw new AppError('CONTRACTS_NOT_BUILT', `Contract artifact ${file} holds ${parsed.data.contractName}, not ${name}.`);
  }
  return { ...parsed.data, abi: parsed.data.abi as InterfaceAbi };
}
