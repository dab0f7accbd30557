/**
 * The few Kubernetes API calls `benchmark` makes, through `@kubernetes/client-node`:
 * create a Service and a Job, read the Job's status, list its pods, read their logs.
 */
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IService } from "kubernetes-models/v1/Service";

/** Job progress as the API reports it. */
export interface JobStatus {
  active: number;
  succeeded: number;
  failed: number;
}

/** What `benchmark` needs from a cluster. */
export interface ClusterClient {
  createService(namespace: string, body: IService): Promise<void>;
  createJob(namespace: string, body: IJob): Promise<void>;
  readJobStatus(namespace: string, name: string): Promise<JobStatus>;
  /** Pods of a Job: name, phase and completion index, by index. */
  listJobPods(
    namespace: string,
    job: string,
  ): Promise<{ name: string; phase: string; index: number }[]>;
  podLog(namespace: string, pod: string): Promise<string>;
}

/** A client for the cluster of `kubeconfig` (default: `$KUBECONFIG` or `~/.kube/config`). */
export function kubeClient(kubeconfig?: string): ClusterClient {
  const k8s = require("@kubernetes/client-node") as typeof import("@kubernetes/client-node");
  const kc = new k8s.KubeConfig();
  if (kubeconfig) kc.loadFromFile(kubeconfig);
  else kc.loadFromDefault();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const batch = kc.makeApiClient(k8s.BatchV1Api);
  return {
    async createService(namespace, body) {
      await core.createNamespacedService({ namespace, body: body as never });
    },
    async createJob(namespace, body) {
      await batch.createNamespacedJob({ namespace, body: body as never });
    },
    async readJobStatus(namespace, name) {
      const job = await batch.readNamespacedJobStatus({ namespace, name });
      return {
        active: job.status?.active ?? 0,
        succeeded: job.status?.succeeded ?? 0,
        failed: job.status?.failed ?? 0,
      };
    },
    async listJobPods(namespace, job) {
      const list = await core.listNamespacedPod({ namespace, labelSelector: `job-name=${job}` });
      return list.items
        .map((p) => ({
          name: p.metadata?.name ?? "",
          phase: p.status?.phase ?? "Unknown",
          index: Number(p.metadata?.annotations?.["batch.kubernetes.io/job-completion-index"] ?? 0),
        }))
        .sort((a, b) => a.index - b.index);
    },
    async podLog(namespace, pod) {
      return await core.readNamespacedPodLog({ namespace, name: pod });
    },
  };
}

/** What a finished Job left: whether it succeeded and its pods' logs, by completion index. */
export interface JobRun {
  succeeded: boolean;
  logs: string[];
}

/**
 * Creates `service` (if any) and `job`, reports progress through `log` whenever it changes,
 * waits for the Job to finish (`backoffLimit: 0`: one failed pod fails it), then reads the
 * logs of its pods.
 */
export async function runJob(
  client: ClusterClient,
  job: IJob,
  service: IService | undefined,
  log: (line: string) => void,
  pollMs = 5000,
): Promise<JobRun> {
  const namespace = job.metadata?.namespace ?? "default";
  const name = job.metadata?.name ?? "";
  const completions = job.spec?.completions ?? 1;
  if (service) await client.createService(namespace, service);
  await client.createJob(namespace, job);
  log(`job ${namespace}/${name}: created`);
  let last = "";
  let status: JobStatus;
  for (;;) {
    status = await client.readJobStatus(namespace, name);
    const pods = await client.listJobPods(namespace, name);
    const line = `job ${namespace}/${name}: ${status.active} running, ${status.succeeded}/${completions} done, ${status.failed} failed; pods ${pods.map((p) => `${p.name}=${p.phase}`).join(" ") || "none yet"}`;
    if (line !== last) log(line);
    last = line;
    if (status.failed > 0 || status.succeeded >= completions) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  const pods = await client.listJobPods(namespace, name);
  const logs = await Promise.all(pods.map((p) => client.podLog(namespace, p.name)));
  const succeeded = status.failed === 0;
  log(`job ${namespace}/${name}: ${succeeded ? "succeeded" : "FAILED (see the logs written)"}`);
  return { succeeded, logs };
}
