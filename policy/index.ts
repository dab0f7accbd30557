/**
 * The CrossGuard entry point: `pulumi preview --policy-pack policy` loads this module, and
 * constructing the pack starts the analyzer's gRPC server (it prints its port on stdout).
 * Nothing else may import this file; tests and tools import `./policies`.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("llm-serving", {
  description:
    "Guards distributed LLM inference on Kubernetes: shm, RDMA, NCCL, vLLM parallelism, secrets, probes.",
  policies,
});
