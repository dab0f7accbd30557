import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { withDependencies } from "../vllm/server";
import { type VllmBenchmarkArgs, vllmBenchmarkPlan } from "./plan";

export type { VllmBenchmarkArgs } from "./plan";

/**
 * Measures a vLLM server from inside the cluster: a Job running `vllm bench serve` (the
 * server's image) against its Service over a `--max-concurrency` sweep, and optionally the
 * NCCL bandwidth test on the server's nodes with its network profile. Results are in the
 * Jobs' logs; `llm-serving benchmark` collects them and `llm-serving report` tabulates them.
 * Give it `dependsOn: [server]`.
 */
export class VllmBenchmark extends pulumi.ComponentResource {
  /** Name of the benchmark Job. */
  public readonly jobName: pulumi.Output<string>;

  constructor(name: string, args: VllmBenchmarkArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate first: a bad config registers nothing, not even this component.
    const plan = vllmBenchmarkPlan(args, name);
    super("llm-serving:index:VllmBenchmark", name, {}, opts);
    const childOpts = { parent: this, dependsOn: withDependencies(opts?.dependsOn, []) };
    const job = new k8s.batch.v1.Job(`${name}-job`, plan.job as k8s.batch.v1.JobArgs, childOpts);
    if (plan.nccl) {
      const svc = plan.nccl.service
        ? [
            new k8s.core.v1.Service(
              `${name}-nccl-svc`,
              plan.nccl.service as k8s.core.v1.ServiceArgs,
              childOpts,
            ),
          ]
        : [];
      new k8s.batch.v1.Job(`${name}-nccl`, plan.nccl.job as k8s.batch.v1.JobArgs, {
        parent: this,
        dependsOn: withDependencies(opts?.dependsOn, svc),
      });
    }
    this.jobName = job.metadata.name;
    this.registerOutputs({ jobName: this.jobName });
  }
}
