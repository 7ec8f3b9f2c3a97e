// `custodian import consents|runs|resume`: the consent import pipeline as a job, through the dispatcher.
import { AppError } from '../../api/errors';
import { followClaimJob } from '../../claims/cli-commands';
import { followRosterJob } from '../../credentials/cli-commands';
import { followImportJob, importConsentsCommand, listImportRunsCommand } from '../../imports/cli-command';
import { typedCall } from '../../runtime/call';
import { commands } from '../command';
import { releaseIdleHeap } from '../heap';
import { registerCliFile } from '../session';

export const importCommands = commands(
  {
    name: ['import', 'consents'],
    args: [{ name: 'FILE' }],
    flags: ['format', 'dry-run', 'json'],
    usage: '[--format csv|fhir] [--dry-run]',
    summary:
      'Import consents from CSV or FHIR R4 (NDJSON or Bundle) as a job, with progress; exit 0\nwhen the import ran (rejected rows are in the rejects file), 1 on a fatal error',
    channels: ['imports.start', 'imports.get'],
    needs: 'signed-in',
    waitForChain: false,
    run: async (ctx, { services, caller }) => {
      const format = ctx.flag('format');
      const options = { ...(format !== undefined ? { format } : {}), dryRun: ctx.flag('dry-run'), json: ctx.flag('json') };
      const uploadId = await registerCliFile(services, caller, ctx.args[0]!);
      // This thread only waits while the job's worker thread imports (minutes at 1,000,000 rows): its heap, grown
      // again by start-up and the sign-in, is given back first (heap.ts; the import's peak RSS).
      releaseIdleHeap();
      return importConsentsCommand(services, caller, uploadId, options, ctx.io);
    },
  },
  {
    name: ['import', 'runs'],
    flags: ['json'],
    summary: 'The latest import runs of every kind (--json): state, counts, and which can be resumed',
    channels: ['imports.runs'],
    needs: 'signed-in',
    waitForChain: false,
    run: (ctx, { services, caller }) => listImportRunsCommand(services, caller, { json: ctx.flag('json') }, ctx.io),
  },
  {
    name: ['import', 'resume'],
    // `import resume RUN` (any kind: run ids are one sequence) or `import resume consents|providers|claims RUN`
    // (the kind is checked against the run's, so a mistyped id of another kind is refused by name).
    args: [{ name: 'KIND', optional: true }, { name: 'RUN', optional: true }],
    flags: ['json'],
    usage: '[consents|providers|claims] RUN',
    summary:
      'Continue an import that was interrupted (killed, shut down) or failed, from its last\ncommitted chunk: nothing already committed is written twice (see custodian import runs)',
    channels: ['imports.resume', 'imports.get', 'credentials.rosterRuns.get', 'claims.importRuns'],
    needs: 'signed-in',
    waitForChain: false,
    run: async (ctx, { services, caller }) => {
      const [first, second] = ctx.args;
      const named = first === 'consents' || first === 'providers' || first === 'claims';
      const runText = named ? second : first;
      if (!named && second !== undefined) throw new AppError('VALIDATION_FAILED', `import resume takes [consents|providers|claims] RUN, got ${ctx.args.join(' ')}`);
      const runId = Number(runText);
      if (!Number.isSafeInteger(runId) || runId < 1) throw new AppError('VALIDATION_FAILED', `import resume needs a run id (see custodian import runs), got ${runText ?? '(none)'}`);
      releaseIdleHeap();
      const resumed = await typedCall(services.dispatch, caller)('imports.resume', { runId, ...(named ? { kind: first } : {}) });
      const json = ctx.flag('json');
      if (resumed.kind === 'providers') return followRosterJob(services, caller, resumed, json, ctx.io);
      if (resumed.kind === 'claims') return followClaimJob(services, caller, resumed, json, ctx.io);
      return followImportJob(services, caller, resumed, json, ctx.io);
    },
  },
);
