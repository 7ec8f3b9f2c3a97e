// The heavier convergence run of issue #18 (`npm run bench -- convergence`): more seeds, six workstations, more
// rounds than the standing test (main/sync/converge-random.test.ts). Prints runs, ops, divergent keys, lost revokes
// and denies, silent losses and conflicts raised. Not a timing: these are counts, and 0 is the only good answer for
// the divergence and loss figures. BENCH_CONVERGE_SEEDS (default 8) sets the number of seeds.
import { startTestChain } from '../main/sync/fixtures/chain';
import { runConvergence } from '../main/sync/fixtures/convergence';
import type { Bench, Figure } from './types';

const bench: Bench = async ({ tmpDir }) => {
  const seeds = Number(process.env.BENCH_CONVERGE_SEEDS ?? 8);
  const chain = await startTestChain();
  try {
    let ops = 0;
    let divergent = 0;
    let lostRefusals = 0;
    let silent = 0;
    let conflicts = 0;
    const failing: number[] = [];
    for (let i = 0; i < seeds; i++) {
      const seed = 1_000 + i;
      const r = await runConvergence(chain, { seed, workstations: 6, rounds: 30, keys: 24, maxOpsPerRound: 5, dir: tmpDir });
      ops += r.ops;
      divergent += r.divergent.length;
      lostRefusals += r.lostRefusals;
      silent += r.silentLosses.length;
      conflicts += r.conflictsRaised;
      if (r.divergent.length || r.silentLosses.length) failing.push(seed);
    }
    const note = failing.length ? `replay with CONVERGE_SEED=<seed> in the test: ${failing.join(', ')}` : 'every seed converged';
    const figures: Figure[] = [
      { name: 'runs (seeds, 6 workstations, 30 rounds, 24 shared keys)', value: seeds, unit: 'runs' },
      { name: 'consent changes made', value: ops, unit: 'ops' },
      { name: 'divergent keys after the final drain (target 0)', value: divergent, unit: 'keys', note },
      { name: 'lost revokes and denies (target 0)', value: lostRefusals, unit: 'ops' },
      { name: 'changes that lost without a conflict (target 0)', value: silent, unit: 'ops' },
      { name: 'conflicts raised to the losing writers', value: conflicts, unit: 'conflicts' },
    ];
    return figures;
  } finally {
    await chain.stop();
  }
};

export default bench;
