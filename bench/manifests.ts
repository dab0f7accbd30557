/**
 * Synthetic manifests for the `check` benchmark: a realistic mix of GPU serving workloads, each
 * with the Service that fronts it (as Helm charts and the LWS/production-stack examples ship
 * them), so the stack rule that matches Services to pod templates works at full size.
 */
import { stringify } from "yaml";

type Obj = Record<string, unknown>;

function vllmContainer(
  name: string,
  tp: number,
  gpus: number,
  shm: boolean,
  extraArgs: string[] = [],
): Obj {
  return {
    name,
    image: "vllm/vllm-openai:v0.11.0",
    command: ["vllm", "serve"],
    args: ["Qwen/Qwen3-8B", "--tensor-parallel-size", `${tp}`, "--port", "8000", ...extraArgs],
    env: [
      { name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: "hf-token", key: "token" } } },
      { name: "VLLM_API_KEY", valueFrom: { secretKeyRef: { name: "vllm-api-key", key: "key" } } },
      { name: "NCCL_DEBUG", value: "WARN" },
    ],
    ports: [{ containerPort: 8000, name: "http" }],
    resources: { limits: { "nvidia.com/gpu": gpus }, requests: { "nvidia.com/gpu": gpus } },
    readinessProbe: { httpGet: { path: "/health", port: 8000 } },
    startupProbe: { httpGet: { path: "/health", port: 8000 }, failureThreshold: 120 },
    volumeMounts: shm ? [{ name: "dshm", mountPath: "/dev/shm" }] : [],
  };
}

function podSpec(container: Obj, shm: boolean): Obj {
  return {
    containers: [container],
    volumes: shm ? [{ name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "16Gi" } }] : [],
  };
}

/** Workload `k` of the mix: Deployments, LeaderWorkerSets and Pods; every 10th breaks a rule. */
export function benchWorkload(k: number): Obj {
  const name = `model-${k}`;
  const shm = k % 10 !== 0;
  const labels = { app: name };
  switch (k % 3) {
    case 0:
      return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: "llm", labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: podSpec(vllmContainer("vllm", 2, 2, shm), shm) },
        },
      };
    case 1: {
      const template = (role: string, extra: string[]) => ({
        metadata: { labels: { ...labels, role } },
        spec: podSpec(
          vllmContainer(role, 8, 8, shm, [
            "--pipeline-parallel-size",
            "2",
            "--nnodes",
            "$(LWS_GROUP_SIZE)",
            ...extra,
          ]),
          shm,
        ),
      });
      return {
        apiVersion: "leaderworkerset.x-k8s.io/v1",
        kind: "LeaderWorkerSet",
        metadata: { name, namespace: "llm" },
        spec: {
          replicas: 1,
          leaderWorkerTemplate: {
            size: 2,
            leaderTemplate: template("leader", []),
            workerTemplate: template("worker", ["--headless"]),
          },
        },
      };
    }
    default:
      return {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "llm", labels },
        spec: podSpec(vllmContainer("vllm", 2, 2, shm), shm),
      };
  }
}

/** The Service in front of workload `k` (an LWS's selects its leader, as LWS examples do). */
export function benchService(k: number): Obj {
  const name = `model-${k}`;
  const selector: Record<string, string> =
    k % 3 === 1 ? { "leaderworkerset.sigs.k8s.io/name": name, role: "leader" } : { app: name };
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "llm" },
    spec: { selector, ports: [{ name: "http", port: 8000, targetPort: 8000 }] },
  };
}

/** Object `i` of the set: even indexes are workloads, odd ones the Service of the one before. */
export function benchObject(i: number): Obj {
  const k = Math.floor(i / 2);
  return i % 2 === 0 ? benchWorkload(k) : benchService(k);
}

/**
 * `n` objects as one multi-document YAML text. Objects differ only in their number and in
 * whether they break a rule, so each shape is stringified once and the number substituted:
 * 200,000 objects are written in seconds instead of minutes.
 */
export function benchYaml(n: number): string {
  const shapes = new Map<string, string>();
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = Math.floor(i / 2);
    // Objects with the same parity, kind (k % 3) and rule-breaking (k % 10 === 0) share a shape.
    const key = `${i % 2}:${k % 3}:${k % 10 === 0}`;
    let shape = shapes.get(key);
    if (shape === undefined) {
      shape = stringify(benchObject(i)).replaceAll(`model-${k}`, "@NAME@");
      shapes.set(key, shape);
    }
    parts.push(shape.replaceAll("@NAME@", `model-${k}`));
  }
  return `${parts.join("---\n")}`;
}
