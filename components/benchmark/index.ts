/**
 * Benchmarks: the `VllmBenchmark` component (serving benchmark Job, NCCL bandwidth test),
 * the bandwidth maths, and the readers and report of their results.
 */
export * from "./bandwidth";
export * from "./benchmark";
export * from "./cold-start";
export * from "./nccl-test";
export * from "./plan";
export * from "./report";
export * from "./results";
export * from "./serving-job";
