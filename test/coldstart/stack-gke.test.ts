/** The GKE stack's model store under plan's mocks: bucket, grants, prefetch Job, streaming LWS. */
import { beforeAll, describe, expect, it } from "vitest";
import type { RecordedResource, Recording } from "../../cli/recorder";
import { gke } from "../../stacks/gke";
import { recorded } from "../support/recording";
import { recordStack } from "../vllm/stack-run";

let rec: Recording;
const of = (type: string) => rec.resources.filter((r) => r.type === type);
const one = (type: string, name: string): RecordedResource => recorded(rec, name, type);
type Spec = Record<string, any>;

beforeAll(async () => {
  ({ rec } = await recordStack("gke", gke, { hfToken: "hf_gke_test_token_0123456789" }));
});

describe("gke: one download per cluster", () => {
  it("creates one locked-down bucket with exactly two grants, read for the model pods only", () => {
    const [bucket] = of("gcp:storage/bucket:Bucket");
    expect(of("gcp:storage/bucket:Bucket")).toHaveLength(1);
    expect(bucket.inputs).toMatchObject({
      name: "my-ml-project-llm-models",
      location: "EUROPE-WEST1",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
    });
    const grants = of("gcp:storage/bucketIAMMember:BucketIAMMember").map((g) => [
      g.inputs.role,
      g.inputs.member,
    ]);
    const pool =
      "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/my-ml-project.svc.id.goog/subject/ns/llm-rdma/sa";
    expect(grants).toEqual([
      ["roles/storage.objectViewer", `${pool}/vllm-model-reader`],
      ["roles/storage.objectUser", `${pool}/model-prefetch`],
    ]);
    // No project-wide storage grants: the bucket's IAM is the only access path.
    expect(
      rec.resources.some(
        (r) =>
          /projectIamMember/i.test(r.type) && String(r.inputs.role).startsWith("roles/storage"),
      ),
    ).toBe(false);
  });

  it("fills the bucket with a prefetch Job that runs as the writer, after its grant", () => {
    const job = one("kubernetes:batch/v1:Job", "multi-node-prefetch");
    const spec = (job.inputs.spec as Spec).template.spec;
    expect(spec.serviceAccountName).toBe("model-prefetch");
    expect(spec.volumes[0].csi.volumeAttributes.bucketName).toBe("my-ml-project-llm-models");
    expect(job.dependencies).toContain(
      one("gcp:storage/bucketIAMMember:BucketIAMMember", "multi-node-model-store-writer").urn,
    );
    const cluster = of("gcp:container/cluster:Cluster")[0];
    expect((cluster.inputs.addonsConfig as Spec).gcsFuseCsiDriverConfig).toEqual({ enabled: true });
  });

  it("streams the multi-node model from the bucket as the reader, once the Job completed", () => {
    const lws = one("kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet", "multi-node-lws");
    const tpl = (lws.inputs.spec as Spec).leaderWorkerTemplate;
    for (const t of [tpl.leaderTemplate, tpl.workerTemplate]) {
      expect(t.spec.serviceAccountName).toBe("vllm-model-reader");
      const c = t.spec.containers[0];
      expect(c.args[0]).toContain(
        "vllm serve gs://my-ml-project-llm-models/models/meta-llama/Llama-3.1-405B-Instruct/main",
      );
      expect(c.args[0]).toContain("--load-format runai_streamer");
      // No per-pod download: no local-SSD request for the weights.
      expect(c.resources.requests["ephemeral-storage"]).toBeUndefined();
      expect(t.spec.volumes.find((v: Spec) => v.name === "model-cache")).toEqual({
        name: "model-cache",
        emptyDir: {},
      });
    }
    // 2 × 405.8 GB / 1 GB/s + 20 min, not 4 h: 202 probes 10 s apart.
    expect(tpl.leaderTemplate.spec.containers[0].startupProbe.failureThreshold).toBe(202);
    expect(lws.dependencies).toContain(one("kubernetes:batch/v1:Job", "multi-node-prefetch").urn);
    expect(lws.dependencies).toContain(
      one("gcp:storage/bucketIAMMember:BucketIAMMember", "multi-node-model-store-reader").urn,
    );
  });

  it("leaves the single-node models on the Hub path", () => {
    const deployments = of("kubernetes:apps/v1:Deployment").filter((d) =>
      d.name.endsWith("-deployment"),
    );
    for (const d of deployments) {
      expect((d.inputs.spec as Spec).template.spec.serviceAccountName).toBeUndefined();
    }
  });
});
