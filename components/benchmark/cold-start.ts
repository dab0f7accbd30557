/**
 * Cold start of one vLLM pod, from what the cluster and vLLM record: the pod's conditions and
 * container state (`kubectl get pod -o json`) and vLLM's log with kubelet timestamps
 * (`kubectl logs --timestamps`). Every phase is measured from the moment the pod was
 * scheduled:
 *
 * - container started: `status.containerStatuses[].state.running.startedAt` (image pulled,
 *   init containers done, container created);
 * - weights loaded: the last `Model loading took … GiB … and … seconds` line (vLLM's
 *   `gpu_model_runner.py`; each worker logs it, the slowest one counts);
 * - API up: `Starting vLLM API server … on …` (vLLM's `api_server.py`);
 * - ready: the pod's `Ready` condition.
 */

/** One pod's cold start, in seconds after it was scheduled (null where the input lacks the event). */
export interface ColdStart {
  server: string;
  pod: string;
  /** When the pod was scheduled (RFC 3339). */
  scheduledAt: string;
  containerStartedS: number | null;
  weightsLoadedS: number | null;
  apiUpS: number | null;
  readyS: number | null;
  /** What vLLM reports for loading the weights (the slowest worker), and the GiB it loaded. */
  vllmLoadSeconds: number | null;
  vllmLoadGiB: number | null;
}

interface PodJson {
  metadata?: { name?: string; labels?: Record<string, string> };
  status?: {
    conditions?: { type?: string; status?: string; lastTransitionTime?: string }[];
    containerStatuses?: { name?: string; state?: { running?: { startedAt?: string } } }[];
  };
}

/** vLLM's model-loading line: `%.4f GiB and`, `%s GiB and`, `%s GiB memory and` across versions. */
const MODEL_LOADING = /Model loading took ([\d.]+) GiB(?: memory)? and ([\d.]+) seconds/;
const API_SERVER = /Starting vLLM API server(?: \d+)? on /;
/** The kubelet's `--timestamps` prefix: RFC 3339 with nanoseconds, then a space. */
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) /;

function seconds(from: number, iso: string | undefined): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.round((t - from) / 100) / 10;
}

/**
 * Reads one pod's cold start.
 * @param podText `kubectl get pod NAME -o json`.
 * @param logText `kubectl logs NAME -c vllm --timestamps` (the serving container).
 * @throws Error when the pod was never scheduled, or the log has no kubelet timestamps.
 */
export function parseColdStart(podText: string, logText: string): ColdStart {
  const pod = JSON.parse(podText) as PodJson;
  const conditions = pod.status?.conditions ?? [];
  const when = (type: string) =>
    conditions.find((c) => c.type === type && c.status === "True")?.lastTransitionTime;
  const scheduledAt = when("PodScheduled");
  if (!scheduledAt) throw new Error(`pod ${pod.metadata?.name ?? "?"} was never scheduled`);
  const t0 = Date.parse(scheduledAt);
  const labels = pod.metadata?.labels ?? {};
  const started = (pod.status?.containerStatuses ?? [])
    .map((c) => c.state?.running?.startedAt)
    .filter((s): s is string => typeof s === "string")
    .sort();
  let loadedAt: string | undefined;
  let apiAt: string | undefined;
  let loadSeconds: number | null = null;
  let loadGiB: number | null = null;
  let stamped = false;
  for (const line of logText.split("\n")) {
    const ts = TIMESTAMP.exec(line);
    if (!ts) continue;
    stamped = true;
    const loading = MODEL_LOADING.exec(line);
    if (loading) {
      if (!loadedAt || ts[1] > loadedAt) loadedAt = ts[1];
      loadGiB = Math.max(loadGiB ?? 0, Number(loading[1]));
      loadSeconds = Math.max(loadSeconds ?? 0, Number(loading[2]));
    }
    if (!apiAt && API_SERVER.test(line)) apiAt = ts[1];
  }
  if (logText.trim() !== "" && !stamped) {
    throw new Error("the log has no timestamps: capture it with kubectl logs --timestamps");
  }
  return {
    server:
      labels["app.kubernetes.io/instance"] ??
      labels["leaderworkerset.sigs.k8s.io/name"] ??
      pod.metadata?.name ??
      "?",
    pod: pod.metadata?.name ?? "?",
    scheduledAt,
    containerStartedS: seconds(t0, started[started.length - 1]),
    weightsLoadedS: seconds(t0, loadedAt),
    apiUpS: seconds(t0, apiAt),
    readyS: seconds(t0, when("Ready")),
    vllmLoadSeconds: loadSeconds,
    vllmLoadGiB: loadGiB,
  };
}

const fmt = (s: number | null) =>
  s === null ? "–" : s >= 120 ? `${(s / 60).toFixed(1)} min` : `${s.toFixed(1)} s`;

/** The report's cold-start table (Markdown lines), one row per pod. */
export function coldStartTable(rows: ColdStart[]): string[] {
  if (rows.length === 0) return [];
  const sorted = [...rows].sort(
    (a, b) => a.server.localeCompare(b.server) || a.pod.localeCompare(b.pod),
  );
  return [
    "## Cold start",
    "",
    "Time after the pod was scheduled; vLLM's own weight-loading time in the last column.",
    "",
    "| server | pod | container started | weights loaded | API up | ready | vLLM load |",
    "|---|---|---:|---:|---:|---:|---:|",
    ...sorted.map(
      (r) =>
        `| ${r.server} | ${r.pod} | ${fmt(r.containerStartedS)} | ${fmt(r.weightsLoadedS)} | ${fmt(r.apiUpS)} | ${fmt(r.readyS)} | ${r.vllmLoadSeconds === null ? "–" : `${fmt(r.vllmLoadSeconds)}, ${r.vllmLoadGiB} GiB`} |`,
    ),
    "",
  ];
}
