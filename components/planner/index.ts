/** GPU memory and parallelism planner: catalogs, vLLM's startup estimate, verdicts. Pure. */
export * from "./dtypes";
export * from "./estimate";
export * from "./gpus";
export * from "./models";
export * from "./plan";
export * from "./server";
