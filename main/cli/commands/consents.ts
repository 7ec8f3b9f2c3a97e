// `custodian consent proof|check-proof` and `custodian facility-secret export|import|fingerprint`.
import { AppError } from '../../api/errors';
import { exportSecretCommand, fingerprintCommand, importSecretCommand } from '../../consents/facility-secret-cli';
import { consentCheckProofCommand, consentProofCommand } from '../../consents/proof-cli';
import { commands } from '../command';
import { promptHidden, registerCliFile, registerCliSaveTarget } from '../session';

/** The transport passphrase of a facility-secret file: the environment, else typed (twice for an export). */
async function secretPassphrase(confirm: boolean): Promise<string> {
  const fromEnv = process.env.CUSTODIAN_SECRET_PASSPHRASE;
  if (fromEnv !== undefined) return fromEnv;
  if (!process.stdin.isTTY) throw new AppError('FACILITY_SECRET_PASSPHRASE_MISSING', 'No passphrase: set CUSTODIAN_SECRET_PASSPHRASE or run in a terminal to be asked.');
  const first = await promptHidden('Passphrase for the facility-secret file: ');
  if (confirm && (await promptHidden('The same passphrase again: ')) !== first) throw new AppError('FACILITY_SECRET_PASSPHRASE_MISMATCH', 'The two passphrases differ; nothing was written.');
  return first;
}

export const consentCommands = commands(
  {
    name: ['consent', 'proof'],
    args: [{ name: 'ID' }],
    flags: ['out'],
    summary:
      "Export the proof bundle of consent ID's latest change on ConsentLedger: its terms and the\nopening of that one change (never the facility secret); audited as a read of the consent",
    channels: ['consents.proof'],
    needs: 'signed-in',
    run: (ctx, { services, caller }) => consentProofCommand(services, caller, ctx.args[0], { out: ctx.flag('out') }, ctx.io),
  },
  {
    name: ['consent', 'check-proof'],
    args: [{ name: 'FILE' }],
    flags: ['rpc', 'at-block', 'ledger', 'json'],
    usage: '--rpc URL [--at-block N] [--ledger ADDR]',
    summary:
      "Check a consent proof bundle with nothing but a JSON-RPC endpoint: the change, its terms and\nthe ledger's state at the block (exit 0: this change holds there; 4: a later change replaced it)",
    channels: [],
    // Opens no data folder: the bundle and the endpoint are all a third party has.
    needs: 'nothing',
    run: (ctx) =>
      consentCheckProofCommand(ctx.args[0], { rpc: ctx.flag('rpc') ?? process.env.CUSTODIAN_RPC_URL, atBlock: ctx.flag('at-block'), ledger: ctx.flag('ledger'), json: ctx.flag('json') }, ctx.io),
  },
  {
    name: ['facility-secret', 'export'],
    flags: ['out'],
    usage: '--out FILE',
    summary:
      "Wrap this folder's facility secret for another workstation of the facility (IT admin;\npassphrase from CUSTODIAN_SECRET_PASSPHRASE or a hidden prompt, 12 characters or more)",
    channels: ['facilitySecret.export'],
    needs: 'signed-in',
    waitForChain: false,
    run: async (ctx, { services, caller }) => {
      const out = ctx.flag('out');
      if (!out) throw new AppError('VALIDATION_FAILED', 'facility-secret export needs --out FILE.');
      return exportSecretCommand(services, caller, { targetId: await registerCliSaveTarget(services, caller, out), out }, secretPassphrase, ctx.io);
    },
  },
  {
    name: ['facility-secret', 'import'],
    args: [{ name: 'FILE' }],
    summary:
      'Install a facility secret exported on another workstation; refused when this folder already\nhas patients pseudonymised under a different secret (IT admin)',
    channels: ['facilitySecret.import'],
    needs: 'signed-in',
    waitForChain: false,
    run: async (ctx, { services, caller }) => importSecretCommand(services, caller, await registerCliFile(services, caller, ctx.args[0]!), secretPassphrase, ctx.io),
  },
  {
    name: ['facility-secret', 'fingerprint'],
    flags: ['json'],
    summary: "Print the secret's fingerprint (not the secret) to compare between workstations (IT admin)",
    channels: ['facilitySecret.fingerprint'],
    needs: 'signed-in',
    waitForChain: false,
    run: (ctx, { services, caller }) => fingerprintCommand(services, caller, ctx.flag('json'), ctx.io),
  },
);
