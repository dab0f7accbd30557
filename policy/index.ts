/**
 * The CrossGuard entry point: `pulumi preview --policy-pack policy` loads this module, and
 * constructing the pack starts the analyzer's gRPC server (it prints its port on stdout).
 * Nothing else may import this file; tests and tools import `./policies`.
 *
 * Pulumi runs a Node.js pack with `@pulumi/pulumi/cmd/run-policy-pack`, resolved from this
 * directory, which compiles this TypeScript with ts-node (type-checked; `typescript` from the
 * pack's dependencies). Inside this repository the root `node_modules` serves; a copy of the
 * pack on its own needs `npm install` (or `pulumi install`) in `policy/` first.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("llm-serving", {
  description:
    "Guards distributed LLM inference on Kubernetes: shm, RDMA, NCCL, vLLM parallelism, secrets, probes.",
  policies,
});
