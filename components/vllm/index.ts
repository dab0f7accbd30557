/** vLLM serving: the `VllmServer` component and its pure builders. */
export * from "./args";
export * from "./command";
export * from "./plan";
export * from "./server";
export * from "./service";
export * from "./workload";
