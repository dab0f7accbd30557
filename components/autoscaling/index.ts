/** Autoscaling: the `Keda` component and its plan (the ScaledObject builder is `vllm/autoscaling`). */
export * from "./keda";
export * from "./plan";
