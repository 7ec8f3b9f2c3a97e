// Small statistics shared by the benchmarks that report latency percentiles.

/** The p-th percentile (0-100) of an ascending-sorted sample, nearest-rank. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
