import { describe, expect, it } from "vitest";
import {
  BUCKET_READ_ROLE,
  BUCKET_WRITE_ROLE,
  bucketGrants,
  defaultModelBucket,
  modelBucketArgs,
  validateGcsModelStore,
  workloadIdentityPrincipal,
} from "../../components/coldstart/gcs";
import { modelPrefetchPlan } from "../../components/coldstart/plan";
import { PREFETCH_SCRIPT, prefetchTimeoutSeconds } from "../../components/coldstart/prefetch";
import { imagePrePullDaemonSet } from "../../components/coldstart/prepull";
import { startupAllowanceSeconds } from "../../components/coldstart/store";
import { ConfigError } from "../../components/validation";
import { vllmServerPlan } from "../../components/vllm/plan";
import { expectValidManifest } from "../support/k8s-schema";

const problems = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
};

const STORE = {
  kind: "bucket" as const,
  bucket: "acme-llm-models",
  serviceAccountName: "vllm-model-reader",
};
const big = {
  model: { id: "meta-llama/Llama-3.1-405B-Instruct" },
  parallelism: { tensor: 8, pipeline: 2, nodes: 2, gpusPerNode: 8 },
  network: { profile: "tcp" as const },
};

describe("modelStore on VllmServer", () => {
  it("streams a bucket store with the Run:ai streamer, distributed over the TP ranks", () => {
    const plan = vllmServerPlan({ ...big, modelStore: { ...STORE, concurrency: 16 } }, "big");
    const spec = plan.leaderWorkerSet?.spec.leaderWorkerTemplate.leaderTemplate?.spec;
    const script = spec?.containers[0].args?.[0] ?? "";
    expect(script).toContain(
      "exec vllm serve gs://acme-llm-models/models/meta-llama/Llama-3.1-405B-Instruct/main --served-model-name meta-llama/Llama-3.1-405B-Instruct",
    );
    expect(script).toContain(
      `--load-format runai_streamer --model-loader-extra-config '{"distributed":true,"concurrency":16}'`,
    );
    expect(spec?.serviceAccountName).toBe("vllm-model-reader");
    expect(spec?.automountServiceAccountToken).toBe(false);
    expect(spec?.containers[0].env).toContainEqual({ name: "HF_HUB_OFFLINE", value: "1" });
    expectValidManifest(plan.leaderWorkerSet);
  });

  it("reads a prefetched cache directory with the Hub offline, and leaves hub alone", () => {
    const cache = vllmServerPlan(
      { model: { id: "Qwen/Qwen3-32B", revision: "v1" }, modelStore: { kind: "cache" } },
      "q",
    );
    const c = cache.deployment?.spec?.template.spec?.containers[0];
    expect(c?.args?.[0]).toContain(
      "exec vllm serve /root/.cache/huggingface/llm-serving/models/Qwen/Qwen3-32B/v1 --served-model-name Qwen/Qwen3-32B",
    );
    expect(c?.args?.[0]).not.toContain("--revision");
    expect(c?.env).toContainEqual({ name: "HF_HUB_OFFLINE", value: "1" });
    const hub = vllmServerPlan({ model: { id: "Qwen/Qwen3-32B", revision: "v1" } }, "q");
    const h = hub.deployment?.spec?.template.spec?.containers[0];
    expect(h?.args?.[0]).toContain(
      "exec vllm serve Qwen/Qwen3-32B --served-model-name Qwen/Qwen3-32B --host 0.0.0.0 --port 8000 --revision v1",
    );
    expect(h?.env?.map((e) => e.name)).not.toContain("HF_HUB_OFFLINE");
  });

  it("names every misuse by path", () => {
    expect(problems(() => vllmServerPlan({ ...big, modelStore: { kind: "bucket" } }, "b"))).toEqual(
      [
        "modelStore.bucket: a bucket store needs the bucket's name",
        "modelStore.serviceAccountName: a bucket store needs the service account Workload Identity lets read the bucket",
      ],
    );
    expect(
      problems(() =>
        vllmServerPlan(
          { ...big, modelStore: STORE, engine: { extraArgs: ["--load-format=auto"] } },
          "b",
        ),
      ),
    ).toEqual(["engine.extraArgs[0]: --load-format is set by the bucket model store: remove it"]);
    expect(
      problems(() =>
        vllmServerPlan(
          { model: { id: "a/b" }, modelStore: { kind: "cache", bucket: "x-y-z" } as never },
          "c",
        ),
      ),
    ).toEqual(["modelStore.bucket: only a bucket store uses bucket: remove it"]);
    expect(
      problems(() =>
        vllmServerPlan({ model: { id: "a/b" }, modelStore: { kind: "s3" } as never }, "c"),
      ),
    ).toEqual(["modelStore.kind: must be hub, cache or bucket"]);
    expect(
      problems(() =>
        vllmServerPlan(
          {
            model: { id: "meta-llama/Llama-3.1-8B-Instruct" },
            runtime: "nim",
            image: "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.4",
            modelStore: { kind: "cache" },
          },
          "n",
        ),
      ),
    ).toContain(
      "modelStore: a NIM fetches its own weights from NGC into its cache: modelStore applies to vLLM only, remove it",
    );
  });
});

describe("startup allowances follow the load path", () => {
  it("gives Llama 3.1 405B (811.7 GB BF16) half an hour from the bucket, hours from the Hub", () => {
    // 2 × 405.8 GB per node / 1 GB/s + 1200 s warm-up.
    expect(startupAllowanceSeconds("bucket", "meta-llama/Llama-3.1-405B-Instruct", 2)).toBe(2012);
    // 2 × 811.7 GB (every node downloads all shards) / 100 MB/s + 1200 s.
    expect(startupAllowanceSeconds("hub", "meta-llama/Llama-3.1-405B-Instruct", 2)).toBe(17434);
    expect(startupAllowanceSeconds("cache", "Qwen/Qwen3-32B", 1)).toBe(1463);
    expect(startupAllowanceSeconds("bucket", "acme/unknown", 2)).toBeUndefined();
    expect(prefetchTimeoutSeconds("meta-llama/Llama-3.1-405B-Instruct")).toBe(18034);
    expect(prefetchTimeoutSeconds("acme/unknown")).toBe(21600);
  });
});

describe("prefetch Job", () => {
  it("fills a model cache: the script constant, inputs only as env, token from the Secret", () => {
    const job = modelPrefetchPlan(
      {
        namespace: "llm",
        modelId: "Qwen/Qwen3-32B",
        modelCache: { nfsServer: "10.0.0.1", nfsPath: "/srv/llm-serving/hf-cache" },
        tokenSecret: { name: "hf-token" },
        image: "nvcr.io/nvidia/vllm:26.10-py3",
      },
      "model-prefetch",
    );
    expectValidManifest(job);
    const spec = job.spec?.template.spec;
    const c = spec?.containers[0];
    expect(c?.command).toEqual(["/bin/bash", "-c", PREFETCH_SCRIPT]);
    expect(c?.env).toContainEqual({ name: "MODEL_ID", value: "Qwen/Qwen3-32B" });
    expect(c?.env).toContainEqual({
      name: "STORE_DIR",
      value: "/root/.cache/huggingface/llm-serving/models/Qwen/Qwen3-32B/main",
    });
    expect(c?.env).toContainEqual({
      name: "HF_TOKEN",
      valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } },
    });
    expect(spec?.restartPolicy).toBe("OnFailure");
    expect(spec?.volumes?.[0]).toEqual({
      name: "model-cache",
      nfs: { server: "10.0.0.1", path: "/srv/llm-serving/hf-cache" },
    });
    expect(job.metadata?.annotations?.["pulumi.com/timeoutSeconds"]).toBe("3111");
    expect(job.spec?.activeDeadlineSeconds).toBe(3111);
  });

  it("fills a bucket through Cloud Storage FUSE as its own service account, scratch on local disk", () => {
    const job = modelPrefetchPlan(
      {
        namespace: "llm-rdma",
        modelId: "a/b",
        bucket: "acme-llm-models",
        serviceAccountName: "model-prefetch",
      },
      "p",
    );
    expectValidManifest(job);
    const spec = job.spec?.template.spec;
    expect(job.spec?.template.metadata?.annotations).toEqual({ "gke-gcsfuse/volumes": "true" });
    expect(spec?.serviceAccountName).toBe("model-prefetch");
    expect(spec?.volumes).toEqual([
      {
        name: "store",
        csi: {
          driver: "gcsfuse.csi.storage.gke.io",
          volumeAttributes: { bucketName: "acme-llm-models", mountOptions: "implicit-dirs" },
        },
      },
      { name: "scratch", emptyDir: { sizeLimit: "50Gi" } },
    ]);
    const env = Object.fromEntries((spec?.containers[0].env ?? []).map((e) => [e.name, e.value]));
    expect(env.STORE_DIR).toBe("/store/models/a/b/main");
    expect(env.STATE_DIR).toBe("/store/state/a/b/main");
    expect(env.SCRATCH_DIR).toBe("/scratch/scratch/a/b/main");
  });

  it("rejects no store or two, and a revision that would leave the store", () => {
    expect(problems(() => modelPrefetchPlan({ namespace: "llm", modelId: "a/b" }, "p"))).toEqual([
      "bucket: set exactly one of modelCache and bucket: the store the Job fills",
    ]);
    expect(
      problems(() =>
        modelPrefetchPlan(
          { namespace: "llm", modelId: "a/b", bucket: "x-y-z", revision: "../x" },
          "p",
        ),
      ),
    ).toEqual(["revision: must be a branch, tag or commit without /"]);
  });
});

describe("model bucket and its grants", () => {
  const o = validateGcsModelStore({
    project: "acme-ml",
    region: "europe-west1",
    bucket: defaultModelBucket("acme-ml", "llm"),
    namespace: "llm-rdma",
    readerServiceAccount: "vllm-model-reader",
    writerServiceAccount: "model-prefetch",
  });

  it("locks the bucket down: uniform access, no public access, never force-destroyed", () => {
    expect(modelBucketArgs(o)).toMatchObject({
      name: "acme-ml-llm-models",
      location: "EUROPE-WEST1",
      uniformBucketLevelAccess: true,
      publicAccessPrevention: "enforced",
      forceDestroy: false,
    });
  });

  it("grants read to the model pods' KSA and write to the Job's, each as its Workload Identity principal", () => {
    expect(bucketGrants(o, "123456789012")).toEqual([
      {
        who: "reader",
        bucket: "acme-ml-llm-models",
        role: BUCKET_READ_ROLE,
        member:
          "principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/acme-ml.svc.id.goog/subject/ns/llm-rdma/sa/vllm-model-reader",
      },
      {
        who: "writer",
        bucket: "acme-ml-llm-models",
        role: BUCKET_WRITE_ROLE,
        member: workloadIdentityPrincipal("123456789012", "acme-ml", "llm-rdma", "model-prefetch"),
      },
    ]);
    expect(BUCKET_READ_ROLE).toBe("roles/storage.objectViewer");
  });

  it("refuses one account for both roles and a bucket name Cloud Storage refuses", () => {
    expect(
      problems(() => validateGcsModelStore({ ...o, writerServiceAccount: o.readerServiceAccount })),
    ).toEqual([
      "writerServiceAccount: must differ from readerServiceAccount: the model pods may only read",
    ]);
    expect(problems(() => validateGcsModelStore({ ...o, bucket: "my.google.bucket" }))[0]).toMatch(
      /^bucket: /,
    );
  });
});

describe("image pre-pull DaemonSet", () => {
  it("pulls each image once in an init container that runs as nobody, then idles", () => {
    const ds = imagePrePullDaemonSet({
      name: "image-prepull",
      namespace: "llm",
      images: [
        "nvcr.io/nvidia/vllm:26.10-py3",
        "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.4",
        "nvcr.io/nvidia/vllm:26.10-py3",
      ],
      nodeSelector: { "nvidia.com/gpu.present": "true" },
    });
    expectValidManifest(ds);
    const spec = ds.spec?.template.spec;
    expect(spec?.initContainers?.map((c) => c.image)).toEqual([
      "nvcr.io/nvidia/vllm:26.10-py3",
      "nvcr.io/nim/meta/llama-3.1-8b-instruct:1.8.4",
    ]);
    for (const c of [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])]) {
      expect(c.securityContext).toMatchObject({
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
      expect(c.resources?.requests).toEqual({ cpu: "10m", memory: "16Mi" });
    }
    expect(spec?.automountServiceAccountToken).toBe(false);
  });

  it("refuses unpinned images", () => {
    expect(
      problems(() =>
        imagePrePullDaemonSet({
          name: "p",
          namespace: "llm",
          images: ["vllm/vllm-openai:latest"],
          nodeSelector: {},
        }),
      ),
    ).toEqual(["images[0]: `latest` is not a pin: name a version"]);
  });
});
