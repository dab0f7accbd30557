/**
 * Collective bandwidth as NVIDIA/nccl-tests defines it (doc/PERFORMANCE.md, v2.19.6):
 * algorithm bandwidth `algbw = S / t`, and bus bandwidth `busbw = algbw × factor(n)`, the
 * factor making the number comparable to the hardware's link speed whatever the rank count.
 * S is the size of the whole array in bytes (for all-gather: sendcount × n × element size).
 */

/** The collectives the NCCL test runs and reports. */
export const NCCL_OPS = ["all_reduce", "all_gather"] as const;

/** A collective nccl-tests knows. */
export type NcclOp =
  | "all_reduce"
  | "all_gather"
  | "reduce_scatter"
  | "broadcast"
  | "reduce"
  | "alltoall";

/** nccl-tests' bus-bandwidth correction factor of `op` over `ranks` ranks. */
export function busBandwidthFactor(op: NcclOp, ranks: number): number {
  if (!Number.isInteger(ranks) || ranks < 1) throw new Error(`ranks must be >= 1, got ${ranks}`);
  switch (op) {
    case "all_reduce":
      return (2 * (ranks - 1)) / ranks;
    case "all_gather":
    case "reduce_scatter":
    case "alltoall":
      return (ranks - 1) / ranks;
    case "broadcast":
    case "reduce":
      return 1;
  }
}

/**
 * `{algbw, busbw}` in GB/s (1e9 bytes per second, as nccl-tests prints them) of one
 * collective moving `bytes` in `seconds` across `ranks` ranks.
 */
export function collectiveBandwidth(
  op: NcclOp,
  bytes: number,
  seconds: number,
  ranks: number,
): { algbwGBs: number; busbwGBs: number } {
  if (!(seconds > 0)) throw new Error(`time must be positive, got ${seconds}`);
  const algbwGBs = bytes / seconds / 1e9;
  return { algbwGBs, busbwGBs: algbwGBs * busBandwidthFactor(op, ranks) };
}
