// `custodian audit …`: every subcommand but check-proof runs signed in, through the dispatcher.
import fs from 'node:fs';
import { AppError } from '../../api/errors';
import { checkProofBundle, parseProofBundle } from '../../audit/proof';
import { formatBatches, formatProofCheck, formatVerifyReport } from '../../audit/report-text';
import { createProvider } from '../../chain/provider';
import { commands } from '../command';

export const auditCommands = commands(
  {
    name: ['audit', 'verify'],
    flags: ['quick', 'json'],
    summary: 'Check the audit log against its signed tree heads (database, heads file, chain)',
    channels: ['audit.verify'],
    needs: 'signed-in',
    run: async (ctx, { call }) => {
      const report = await call('audit.verify', { depth: ctx.flag('quick') ? 'quick' : 'full' });
      ctx.print(formatVerifyReport(report), report);
      if (report.firstProblem) throw new AppError('AUDIT_TAMPERED', report.firstProblem.message, report.firstProblem);
      return report.ok ? 0 : 1;
    },
  },
  {
    name: ['audit', 'seal'],
    aliases: [['audit', 'batch']],
    flags: ['json'],
    summary: 'Sign a tree head over the audit log now and queue it for AuditAnchor (alias: batch)',
    channels: ['audit.batchNow'],
    needs: 'signed-in',
    run: async (ctx, { call }) => {
      const result = await call('audit.batchNow', {});
      ctx.print(formatBatches(result.sealed, result.unbatched, result.head, result.unsignedReason), result);
      return 0;
    },
  },
  {
    name: ['audit', 'proof'],
    args: [{ name: 'ID' }],
    flags: ['out'],
    summary:
      'Export the proof bundle of audit entry ID: its inclusion in a signed tree head and the\nconsistency of that head with the latest head anchored on chain',
    channels: ['audit.proof'],
    needs: 'signed-in',
    run: async (ctx, { call }) => {
      const [arg] = ctx.args;
      const entryId = Number(arg);
      if (!Number.isSafeInteger(entryId) || entryId < 1) throw new AppError('VALIDATION_FAILED', `audit proof needs an entry id, got ${arg ?? 'nothing'}`);
      const { bundle, anchorStatus } = await call('audit.proof', { entryId });
      const out = ctx.flag('out');
      const json = `${JSON.stringify(bundle, null, 2)}\n`;
      if (out) fs.writeFileSync(out, json, { flag: 'wx' });
      else ctx.io.out(json);
      if (anchorStatus !== 'anchored') ctx.io.err(`Warning: no head covering entry ${entryId} is ${anchorStatus === 'not-anchored' ? 'anchored yet' : 'checked: the chain is unavailable'} (signed head of ${bundle.head.treeSize} entries); the bundle has no anchoring transaction.\n`);
      if (out) ctx.io.err(`Proof bundle for entry ${entryId} written to ${out}\n`);
      return 0;
    },
  },
  {
    name: ['audit', 'check-proof'],
    args: [{ name: 'FILE' }],
    flags: ['rpc', 'json'],
    summary: 'Check a proof bundle with nothing but a JSON-RPC endpoint (inclusion, signature and\nconsistency offline; the anchor on chain)',
    channels: [],
    // A third party's check: the bundle and an endpoint, no data folder.
    needs: 'nothing',
    run: async (ctx) => {
      const [file] = ctx.args;
      let json: unknown;
      try {
        json = JSON.parse(fs.readFileSync(file!, 'utf8'));
      } catch (err) {
        throw new AppError('AUDIT_PROOF_INVALID', `${file} is not a readable JSON proof bundle: ${(err as Error).message}`);
      }
      const bundle = parseProofBundle(json);
      const rpc = ctx.flag('rpc') ?? process.env.CUSTODIAN_RPC_URL;
      const provider = rpc ? createProvider(rpc, bundle.anchor?.chainId ?? 1) : null;
      try {
        const result = await checkProofBundle(bundle, provider);
        ctx.print(formatProofCheck(result), result);
        return result.ok ? 0 : result.offlineOk && !result.onChainChecked ? 3 : 1;
      } finally {
        provider?.destroy();
      }
    },
  },
);
