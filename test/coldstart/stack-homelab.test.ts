/** The home lab's prefetch into the NFS cache and its image pre-pull, under plan's mocks. */
import { beforeAll, describe, expect, it } from "vitest";
import type { RecordedResource, Recording } from "../../cli/recorder";
import { homelab } from "../../stacks/homelab";
import { recorded } from "../support/recording";
import { recordStack } from "../vllm/stack-run";

let rec: Recording;
const one = (type: string, name: string): RecordedResource => recorded(rec, name, type);
type Spec = Record<string, any>;

beforeAll(async () => {
  ({ rec } = await recordStack("homelab", homelab, {
    hfToken: "hf_homelab_test_token_0123456789",
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n",
  }));
});

describe("homelab: prefetch into the shared cache before the LWS group starts", () => {
  it("runs one prefetch Job on the NFS cache the servers mount", () => {
    const job = one("kubernetes:batch/v1:Job", "model-prefetch");
    const spec = (job.inputs.spec as Spec).template.spec;
    const lws = one("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", "vllm-lws");
    const leader = (lws.inputs.spec as Spec).leaderWorkerTemplate.leaderTemplate.spec;
    expect(spec.volumes[0]).toEqual(leader.volumes.find((v: Spec) => v.name === "model-cache"));
    expect(spec.volumes[0].nfs).toBeDefined();
    expect(spec.containers[0].image).toBe(leader.containers[0].image);
  });

  it("starts vLLM only after the Job, from the verified directory, with the Hub offline", () => {
    const lws = one("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", "vllm-lws");
    expect(lws.dependencies).toContain(one("kubernetes:batch/v1:Job", "model-prefetch").urn);
    const tpl = (lws.inputs.spec as Spec).leaderWorkerTemplate;
    for (const t of [tpl.leaderTemplate, tpl.workerTemplate]) {
      const c = t.spec.containers[0];
      expect(c.args[0]).toContain(
        "vllm serve /root/.cache/huggingface/llm-serving/models/Qwen/Qwen3-32B/main",
      );
      expect(c.env).toContainEqual({ name: "HF_HUB_OFFLINE", value: "1" });
    }
  });

  it("keeps the vLLM image pulled on the GPU nodes", () => {
    const ds = one("kubernetes:apps/v1:DaemonSet", "image-prepull");
    const spec = (ds.inputs.spec as Spec).template.spec;
    const lws = one("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", "vllm-lws");
    const leader = (lws.inputs.spec as Spec).leaderWorkerTemplate.leaderTemplate.spec;
    expect(spec.initContainers.map((c: Spec) => c.image)).toEqual([leader.containers[0].image]);
    expect(spec.nodeSelector).toEqual(leader.nodeSelector);
  });
});
