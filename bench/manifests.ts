/** Synthetic manifests for the `check` benchmark: a realistic mix of GPU serving workloads. */
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

/** Object `i` of the mix: Deployments, LeaderWorkerSets and Pods; every 10th breaks a rule. */
export function benchObject(i: number): Obj {
  const name = `model-${i}`;
  const shm = i % 10 !== 0;
  const labels = { app: name };
  switch (i % 3) {
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

/** `n` objects as one multi-document YAML text. */
export function benchYaml(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(stringify(benchObject(i)));
  return `${parts.join("---\n")}`;
}
