// Issue #18's standing acceptance test: four workstations of one facility (same secret, own signers, one node),
// random offline schedules, skewed clocks and random consent changes over shared keys from a seeded generator, then
// a final drain twice; thousands of changes over the seeds. For every key, every workstation (its consents and its
// chain mirror) and the chain must end in the same state, the winner by the ordering rule over all changes; no
// pulled change may be left unapplied; every change that lost must be a conflict at its writer, and no other.
// Replay a failure with CONVERGE_SEED=<seed> (the seed is in every failure message). The heavier version, with node
// restarts and reorgs: `npm run bench -- convergence`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testNodeKind } from '../chain/test-node';
import { startTestChain, tempDir, type TestChain } from './fixtures/chain';
import { runConvergence, type ConvergenceReport } from './fixtures/convergence';

let chain: TestChain;
let dir: string;
beforeAll(async () => {
  chain = await startTestChain();
  dir = tempDir('sync-converge-random');
});
afterAll(async () => {
  await chain?.stop();
});

// anvil runs every seed. EDR runs the first only: what this test checks (the rule, the sink, the conflicts) does not
// depend on the node, and one seed already sends every kind of call the engine makes (~50 batches, reconciles,
// pulls); EDR is here to catch an anvil-only assumption in those calls, and three more seeds would find no new one.
const CI_SEEDS = testNodeKind() === 'edr' ? [11] : [11, 12, 13, 14];
const seeds = process.env.CONVERGE_SEED ? [Number(process.env.CONVERGE_SEED)] : CI_SEEDS;
/**
 * ~540 changes per run: 4 workstations x 12 rounds x 0..24 each. Few rounds with many changes each keep the chain
 * round trips (~30 syncs a run) small next to the work per change; no reorgs here, so the engines re-check only
 * the last 4 blocks (the bench runs reorgs with the engine's 64).
 */
const RUN = { workstations: 4, rounds: 12, keys: 24, maxOpsPerRound: 24, reorgDepth: 4 } as const;

const reports: ConvergenceReport[] = [];

function summary(r: ConvergenceReport): string {
  return (
    `seed ${r.seed} (replay: CONVERGE_SEED=${r.seed}): ${r.ops} ops, ${r.syncs} syncs, ${r.ties} tied stamps, ${r.divergent.length} divergent keys, ` +
    `${r.silentLosses.length} silent losses, ${r.falseConflicts.length} false conflicts, ${r.leftovers.length} leftovers, ${r.lostOps} lost ops, ${r.conflictsRaised} conflicts`
  );
}

describe('random offline schedules converge to the ordering rule', () => {
  for (const seed of seeds) {
    it(`seed ${seed}`, async () => {
      const r = await runConvergence(chain, { seed, dir, ...RUN });
      reports.push(r);
      const s = summary(r);
      console.log(s);
      // Issue #18 item 2: one state everywhere, the rule's winner.
      expect(r.divergent, `${s}\n${r.divergent.join('\n')}`).toEqual([]);
      // Item 1: nothing pulled is left unapplied once the patient is known; everything written was sent.
      expect(r.leftovers, s).toEqual([]);
      // Item 2: every change that lost is a conflict at its writer, and nothing else is.
      expect(r.silentLosses, `${s}\n${r.silentLosses.join('\n')}`).toEqual([]);
      expect(r.falseConflicts, `${s}\n${r.falseConflicts.join('\n')}`).toEqual([]);
      // The run exercised what it claims: many changes, losses to report, equal stamps for the tie-breaks.
      expect(r.ops, s).toBeGreaterThan(400);
      expect(r.lostOps, s).toBeGreaterThan(0);
      expect(r.ties, s).toBeGreaterThan(0);
    }, 300_000);
  }
  if (seeds === CI_SEEDS && CI_SEEDS.length > 1) {
    it('ran thousands of changes over the seeds', () => {
      expect(reports.map((r) => r.seed)).toEqual(CI_SEEDS);
      expect(reports.reduce((n, r) => n + r.ops, 0)).toBeGreaterThanOrEqual(2_000);
    });
  }
});
