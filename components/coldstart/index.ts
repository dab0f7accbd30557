/** Fast cold start: model stores, the prefetch Job, image pre-pull (see docs/architecture.md). */
export * from "./components";
export * from "./gcs";
export * from "./plan";
export * from "./prefetch";
export * from "./prepull";
export * from "./store";
