/**
 * Everything a `VllmBenchmark` creates, decided in one pure function from the server it
 * measures: the serving-benchmark Job and, on request, the NCCL test.
 */
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { VllmServerArgs } from "../vllm/args";
import { validateVllmServerArgs } from "../vllm/args";
import { type NcclTestPlan, ncclTestPlan } from "./nccl-test";
import {
  type ServingBenchmarkArgs,
  type ServingBenchmarkConfig,
  servingBenchmarkConfig,
  servingBenchmarkJob,
} from "./serving-job";

/** Arguments of `VllmBenchmark`. */
export interface VllmBenchmarkArgs {
  /** The server to measure, exactly as given to its `VllmServer`. Required. */
  server: VllmServerArgs;
  /** Concurrency sweep, lengths, API key. Defaults to those of `ServingBenchmarkArgs`. */
  benchmark?: ServingBenchmarkArgs;
  /** Also run the NCCL bandwidth test on the server's nodes and network. Defaults to false. */
  nccl?: boolean;
}

/** What `VllmBenchmark` creates. */
export interface VllmBenchmarkPlan {
  /** The validated benchmark options. */
  benchmark: ServingBenchmarkConfig;
  /** The `vllm bench serve` Job. */
  job: IJob;
  /** The NCCL test, when asked for. */
  nccl?: NcclTestPlan;
}

/**
 * Validates the server and the options and builds the Jobs.
 * @param defaultName the server's name when `server.name` is unset (its component's name).
 * @throws ConfigError naming every bad field.
 */
export function vllmBenchmarkPlan(
  args: VllmBenchmarkArgs,
  defaultName = "vllm",
): VllmBenchmarkPlan {
  const server = validateVllmServerArgs(args.server, defaultName, "server");
  const benchmark = servingBenchmarkConfig(server, args.benchmark ?? {}, "benchmark");
  return {
    benchmark,
    job: servingBenchmarkJob(server, benchmark),
    ...(args.nccl ? { nccl: ncclTestPlan(server, "nccl") } : {}),
  };
}
