// The heavier convergence run of issue #18 (`npm run bench -- convergence`): more seeds, six workstations, 48 shared
// keys, and on anvil node restarts (stopped at a broadcast, maybe mid-mining, started again from its state file) and
// reorgs of 1-3 blocks mixed into the schedule. CONVERGE_RESTART_ANYWHERE=0 waits for the broadcast's block before
// stopping the node (no torn states). The standing test is main/sync/converge-random.test.ts. Prints runs, ops,
// divergent keys, lost revokes and denies, silent losses, false conflicts, conflicts raised, restarts and reorgs.
// Counts, not timings (the wall time is printed for information): 0 is the only good answer for the divergence
// and loss figures. BENCH_CONVERGE_SEEDS (default 6), BENCH_CONVERGE_WORKSTATIONS (default 6); replay one run
// with BENCH_CONVERGE_SEED=<seed>.
import path from 'node:path';
import { MAX_KEYS } from '../main/sync/fixtures/convergence-keys';
import { runConvergence, startRestartableChain, type ConvergenceReport } from '../main/sync/fixtures/convergence';
import type { Bench, Figure } from './types';

const ROUNDS = 16;
const MAX_OPS_PER_ROUND = 12;
const RESTART_CHANCE = 0.05;
const REORG_CHANCE = 0.25;

const bench: Bench = async ({ tmpDir }) => {
  const seeds = process.env.BENCH_CONVERGE_SEED
    ? [Number(process.env.BENCH_CONVERGE_SEED)]
    : Array.from({ length: Number(process.env.BENCH_CONVERGE_SEEDS ?? 6) }, (_, i) => 1_000 + i);
  const workstations = Number(process.env.BENCH_CONVERGE_WORKSTATIONS ?? 6);
  const anywhere = process.env.CONVERGE_RESTART_ANYWHERE !== '0';
  const { chain, restartable, stop } = await startRestartableChain(path.join(tmpDir, 'node-state.json'));
  const started = performance.now();
  const reports: ConvergenceReport[] = [];
  const errors: string[] = [];
  try {
    for (const seed of seeds) {
      let r: ConvergenceReport;
      try {
        r = await runConvergence(chain, {
          seed,
          workstations,
          rounds: ROUNDS,
          keys: MAX_KEYS,
          maxOpsPerRound: MAX_OPS_PER_ROUND,
          dir: tmpDir,
          ...(chain.control.caps.reorg ? { reorgChance: REORG_CHANCE } : {}),
          ...(restartable ? { restart: { chance: RESTART_CHANCE, node: restartable, anywhere } } : {}),
        });
      } catch (err) {
        // A run that could not finish (a workstation that never synced again) is a finding too: name it, go on.
        errors.push(`seed ${seed}: ${(err as Error).message}`);
        console.log(`convergence | seed ${seed}: FAILED: ${(err as Error).message}`);
        continue;
      }
      reports.push(r);
      const bad = [...r.divergent, ...r.silentLosses, ...r.falseConflicts, ...r.leftovers];
      console.log(
        `convergence | seed ${seed}: ${r.ops} ops, ${r.syncs} syncs, ${r.restarts} restarts (${r.tornBatches} torn batches, ${r.resent} resent, ${r.followedInTornBatch} followed), ${r.reorgs} reorgs, ${r.ties} tied stamps, ${r.lostOps} lost, ${r.conflictsRaised} conflicts, ${bad.length} problems; ` +
          `ms setup ${Math.round(r.ms.setup)} writes ${Math.round(r.ms.writes)} syncs ${Math.round(r.ms.syncs)} check ${Math.round(r.ms.check)}`,
      );
      for (const line of bad.slice(0, 12)) console.log(`convergence | seed ${seed}: ${line}`);
    }
  } finally {
    await stop();
  }
  const sum = (f: (r: ConvergenceReport) => number) => reports.reduce((n, r) => n + f(r), 0);
  const failing = reports.filter((r) => r.divergent.length || r.silentLosses.length || r.falseConflicts.length || r.leftovers.length).map((r) => r.seed);
  failing.push(...errors.map((e) => Number(/^seed (\d+)/.exec(e)![1])));
  const note = failing.length ? `replay with BENCH_CONVERGE_SEED=<seed>: ${failing.join(', ')}` : 'every seed converged';
  const figures: Figure[] = [
    { name: 'runs that could not finish (a workstation failed to sync; target 0)', value: errors.length, unit: 'runs' },
    { name: `runs (${workstations} workstations, ${ROUNDS} rounds, ${MAX_KEYS} shared keys, ${chain.node.kind})`, value: reports.length, unit: 'runs' },
    { name: 'consent changes made', value: sum((r) => r.ops), unit: 'ops' },
    { name: 'syncs', value: sum((r) => r.syncs), unit: 'syncs' },
    { name: `node restarts mid-sync (${anywhere ? 'at the broadcast, maybe mid-mining' : 'once the broadcast is mined'})`, value: sum((r) => r.restarts), unit: 'restarts' },
    { name: 'torn batches: applied without their event, named SYNC_APPLIED_WITHOUT_LOG', value: sum((r) => r.tornBatches), unit: 'batches' },
    { name: 'changes of torn batches sent again unchanged (consent.resend)', value: sum((r) => r.resent), unit: 'ops' },
    { name: 'changes of torn batches followed there by their writer\'s next change of the key (succession, not resent)', value: sum((r) => r.followedInTornBatch), unit: 'ops' },
    { name: 'reorgs of 1-3 blocks', value: sum((r) => r.reorgs), unit: 'reorgs' },
    { name: 'equal stamps from two writers (decided by the tie-breaks)', value: sum((r) => r.ties), unit: 'pairs' },
    { name: 'divergent keys after the final drain (target 0)', value: sum((r) => r.divergent.length), unit: 'keys', note },
    { name: 'lost revokes and denies: the rule picks a refusal, the end state is not it (target 0)', value: sum((r) => r.lostRefusals), unit: 'keys' },
    { name: 'changes that lost without a conflict at their writer (target 0)', value: sum((r) => r.silentLosses.length), unit: 'ops' },
    { name: 'conflicts raised for changes that did not lose (target 0)', value: sum((r) => r.falseConflicts.length), unit: 'conflicts' },
    { name: 'pulled changes left unapplied or events left unsent (target 0)', value: sum((r) => r.leftovers.length), unit: 'findings' },
    { name: 'changes that lost under the rule', value: sum((r) => r.lostOps), unit: 'ops' },
    { name: 'conflicts raised to the losing writers', value: sum((r) => r.conflictsRaised), unit: 'conflicts' },
    { name: 'wall time (information, not a target)', value: (performance.now() - started) / 1000, unit: 's' },
  ];
  return figures;
};

export default bench;
