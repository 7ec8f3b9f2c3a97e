// What every benchmark returns: figures, each printed beside the baseline it was measured against in the same run.

export interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number; unit: string };
  /** value / baseline.value, or the ratio that matters for the target (say which in `note`). */
  ratio?: number;
  note?: string;
}

export interface BenchContext {
  tmpDir: string;
  /** Row count for data-heavy benchmarks: BENCH_ROWS, default 1,000,000. */
  rows: number;
}

export type Bench = (ctx: BenchContext) => Promise<Figure[]>;
