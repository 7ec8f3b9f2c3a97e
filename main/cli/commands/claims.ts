// `custodian import claims`, `claims check`, the payer's tool `payer accept|deny`, and `payer register` (through the
// channel claims.payers.register, then the ledger admin's registration on chain).
import { claimsCheckCommand, importClaimsCommand, payerCommand, payerRegisterCommand, type PayerArgs } from '../../claims/cli-commands';
import { commands, signIn, withServices, type CliContext } from '../command';
import { registerCliFile } from '../session';

const payerArgs = (ctx: CliContext): PayerArgs => ({ rpc: ctx.flag('rpc'), chainId: ctx.flag('chain-id'), ledger: ctx.flag('ledger'), keyFile: ctx.flag('key-file'), reason: ctx.flag('reason') });

function payer(sub: 'accept' | 'deny', ctx: CliContext): Promise<number> {
  const [arg, arg2] = ctx.args;
  const args = payerArgs(ctx);
  // With --rpc it talks to that node alone; otherwise to this data folder's chain.
  return args.rpc ? payerCommand(sub, arg, args, null, ctx.io, arg2) : withServices(ctx.dataDir, (s) => payerCommand(sub, arg, args, s, ctx.io, arg2));
}

/** With --rpc: the chain side alone (no data folder). Otherwise a staff member signs in and the channel runs first. */
function payerRegister(ctx: CliContext): Promise<number> {
  const [payerId, address] = ctx.args;
  const args = payerArgs(ctx);
  if (args.rpc) return payerRegisterCommand(payerId, address, args, null, ctx.io);
  return withServices(ctx.dataDir, async (s) => payerRegisterCommand(payerId, address, args, await signIn(s, ctx.user), ctx.io));
}

const PAYER_FLAGS = ['reason', 'rpc', 'ledger', 'chain-id', 'key-file'] as const;

export const claimsCommands = commands(
  {
    name: ['import', 'claims'],
    args: [{ name: 'FILE' }],
    flags: ['json', 'dry-run', 'format'],
    usage: '[--format csv|fhir] [--dry-run]',
    summary:
      'Pre-check and store claims (CSV, or FHIR R4 Claim as NDJSON or Bundle) as a job (idempotent by\nclaim id); passing claims are queued for ClaimsLedger; rejected rows go to a rejects file;\n--dry-run stores nothing',
    channels: ['claims.import', 'claims.importRuns'],
    needs: 'signed-in',
    waitForChain: false,
    run: async (ctx, { services, caller }) => importClaimsCommand(services, caller, await registerCliFile(services, caller, ctx.args[0]!), ctx.flag('json'), ctx.io, ctx.flag('dry-run'), ctx.flag('format')),
  },
  {
    name: ['claims', 'check'],
    args: [{ name: 'FILE' }],
    flags: ['out', 'json'],
    usage: '[--out F] [--json]',
    summary: 'Pre-check every claim of a CSV and print its verdict and reasons; nothing is stored',
    channels: ['claims.checkFile'],
    needs: 'signed-in',
    waitForChain: false,
    run: async (ctx, { services, caller }) => claimsCheckCommand(services, caller, await registerCliFile(services, caller, ctx.args[0]!), { json: ctx.flag('json'), out: ctx.flag('out') }, ctx.io),
  },
  {
    name: ['payer', 'accept'],
    aliases: [['payer', 'deny']],
    args: [{ name: 'CLAIM_HASH' }, { name: 'SALT', optional: true }],
    flags: [...PAYER_FLAGS],
    usage: '[--reason CODE] [--rpc URL --ledger ADDR --chain-id N --key-file F]',
    summary: 'Act as the payer on ClaimsLedger (tests, demos); a denial (payer deny) needs --reason (e.g. CO-16)',
    channels: [],
    needs: 'nothing',
    run: (ctx) => payer(ctx.words[1] === 'deny' ? 'deny' : 'accept', ctx),
  },
  {
    name: ['payer', 'register'],
    args: [{ name: 'PAYER_ID' }, { name: 'ADDRESS', optional: true }],
    flags: ['rpc', 'ledger', 'chain-id', 'key-file'],
    summary:
      "Address this data folder's claims for PAYER_ID to ADDRESS (signed in, claims.configure),\nthen register it on ClaimsLedger (governance: the ledger admin's key: the devnet key,\n--key-file or CUSTODIAN_PAYER_KEY); only it may decide them (the chain never sees PAYER_ID).\nWith --rpc: the chain registration alone",
    channels: ['claims.payers.register'],
    needs: 'nothing',
    run: payerRegister,
  },
);
