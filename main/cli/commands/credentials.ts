// `custodian credentials …` and `custodian import providers`: the issuer tools sign offline; verify and set-status
// run signed in; issuer governance needs the chain and an IT admin.
import { AppError } from '../../api/errors';
import {
  domainFromServices,
  importProvidersCommand,
  issueCommand,
  issuerGovernanceCommand,
  setStatusCommand,
  signStatusCommand,
  verifyFileCommand,
} from '../../credentials/cli-commands';
import { credentialDomain } from '../../credentials/eip712';
import { commands, withServices } from '../command';
import { registerCliFile } from '../session';

const CHAIN_ID = /^\d+$/;
const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

export const credentialCommands = commands(
  {
    name: ['credentials', 'issue'],
    flags: ['issuer-key', 'npi', 'type', 'jurisdiction', 'number', 'valid-from', 'valid-until', 'out', 'chain-id', 'registry'],
    usage:
      '--issuer-key HEX|KEYSTORE --npi N --type license --jurisdiction J --number X\n  --valid-from YYYY-MM-DD --valid-until YYYY-MM-DD [--out FILE] [--chain-id N --registry ADDR]',
    summary:
      "Sign a credential as an issuer (set-up, demos, tests); a keystore's passphrase comes from\nCUSTODIAN_ISSUER_PASSPHRASE. Signs for this data folder's registry unless both are given",
    channels: [],
    // The issuer's tool: signs offline, opening the data folder only to learn its registry.
    needs: 'nothing',
    run: async (ctx) => {
      const issuerKey = ctx.flag('issuer-key');
      if (!issuerKey) throw new AppError('VALIDATION_FAILED', 'credentials issue needs --issuer-key (a hex private key or an encrypted keystore file).');
      const issue = { issuerKey, npi: ctx.flag('npi'), type: ctx.flag('type'), jurisdiction: ctx.flag('jurisdiction'), number: ctx.flag('number'), validFrom: ctx.flag('valid-from'), validUntil: ctx.flag('valid-until'), out: ctx.flag('out') };
      const chainId = ctx.flag('chain-id');
      const registry = ctx.flag('registry');
      if (chainId !== undefined || registry !== undefined) {
        if (!chainId || !registry || !CHAIN_ID.test(chainId) || !ADDRESS.test(registry)) throw new AppError('VALIDATION_FAILED', '--chain-id (a number) and --registry (a 0x address) go together.');
        return issueCommand(issue, credentialDomain(Number(chainId), registry), ctx.io);
      }
      return withServices(ctx.dataDir, (s) => issueCommand(issue, domainFromServices(s), ctx.io));
    },
  },
  {
    name: ['credentials', 'verify'],
    args: [{ name: 'FILE' }],
    flags: ['json'],
    summary: 'Verify a signed credential document: exit 0 when verified, 3 with the verdict otherwise',
    channels: ['credentials.check'],
    needs: 'signed-in',
    run: (ctx, { services, caller }) => verifyFileCommand(services, caller, ctx.args[0]!, ctx.flag('json'), ctx.io),
  },
  {
    name: ['credentials', 'set-status'],
    args: [{ name: 'ID' }, { name: 'active|suspended|revoked' }, { name: 'REASON', rest: true, optional: true }],
    flags: ['issuer-key', 'signature', 'json'],
    usage: '--issuer-key HEX|KEYSTORE | --signature FILE',
    summary:
      "Suspend, revoke or reinstate a directory credential with its ISSUER's signature (signed\nhere with the issuer's key, or a file from sign-status): queued for the chain (outbox)",
    channels: ['credentials.setStatus'],
    needs: 'signed-in',
    run: (ctx, { services, caller }) => {
      const [id, status, ...reason] = ctx.args;
      const issuerKey = ctx.flag('issuer-key');
      const signatureFile = ctx.flag('signature');
      const authority = issuerKey ? { issuerKey } : signatureFile ? { signatureFile } : null;
      return setStatusCommand(services, caller, Number(id), status!, reason.join(' '), authority, ctx.flag('json'), ctx.io);
    },
  },
  {
    name: ['credentials', 'sign-status'],
    flags: ['issuer-key', 'credential-hash', 'status', 'expires-at', 'chain-id', 'registry', 'out'],
    usage: '--issuer-key HEX|KEYSTORE --credential-hash H --status S --expires-at N\n  --chain-id N --registry ADDR [--out FILE]',
    summary: "The issuer's offline tool: sign a status (EIP-712, nonce = now in ms, 30-day deadline)",
    channels: [],
    needs: 'nothing',
    run: (ctx) => {
      const issuerKey = ctx.flag('issuer-key');
      const chainId = ctx.flag('chain-id');
      const registry = ctx.flag('registry');
      if (!issuerKey || !chainId || !CHAIN_ID.test(chainId) || !registry || !ADDRESS.test(registry)) {
        throw new AppError('VALIDATION_FAILED', 'credentials sign-status needs --issuer-key, --chain-id (a number) and --registry (a 0x address).');
      }
      const sign = { issuerKey, credentialHash: ctx.flag('credential-hash'), status: ctx.flag('status'), expiresAt: ctx.flag('expires-at'), out: ctx.flag('out') };
      return signStatusCommand(sign, Number(chainId), registry, ctx.io);
    },
  },
  {
    name: ['credentials', 'register-issuer'],
    args: [{ name: 'ADDRESS' }, { name: 'NAME', optional: true }],
    usage: '(IT admin: --user)',
    summary: 'Register an issuer in CredentialRegistry (governance: the devnet key, or the keystore)',
    channels: ['credentials.registerIssuer'],
    // Governance changes the registry every workstation trusts: an IT admin signs in, and the change is audited.
    needs: 'signed-in',
    run: (ctx, { services, caller }) => issuerGovernanceCommand(services, caller, 'register', ctx.args[0]!, ctx.args[1], ctx.io),
  },
  {
    name: ['credentials', 'revoke-issuer'],
    args: [{ name: 'ADDRESS' }],
    summary: 'Remove an issuer from CredentialRegistry',
    channels: ['credentials.revokeIssuer'],
    needs: 'signed-in',
    run: (ctx, { services, caller }) => issuerGovernanceCommand(services, caller, 'revoke', ctx.args[0]!, undefined, ctx.io),
  },
  {
    name: ['import', 'providers'],
    args: [{ name: 'FILE' }],
    flags: ['json', 'dry-run', 'format'],
    usage: '[--format csv|fhir] [--dry-run]',
    summary:
      'Import a roster of providers: CSV (with their signed credentials) or FHIR R4 Practitioner and\nPractitionerRole (NDJSON or Bundle); a job, with progress; --dry-run checks and resolves every row\nand stores nothing',
    channels: ['credentials.import', 'credentials.rosterRuns.get'],
    needs: 'signed-in',
    run: async (ctx, { services, caller }) => importProvidersCommand(services, caller, await registerCliFile(services, caller, ctx.args[0]!), ctx.flag('json'), ctx.io, ctx.flag('dry-run'), ctx.flag('format')),
  },
);
