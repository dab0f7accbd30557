/**
 * The serving benchmark: a Kubernetes Job that runs `vllm bench serve` (the server's own
 * image) against the server's Service, once per `--max-concurrency` level, saving each
 * result as JSON and printing it to the log between markers the CLI collects.
 *
 * Flags as `vllm/benchmarks/serve.py` and `vllm/benchmarks/datasets/arg_utils.py` define
 * them (vllm-project/vllm): `--base-url`, `--endpoint`, `--backend openai`, `--model`
 * (tokenizer) with `--served-model-name` (the API name), `--dataset-name random`,
 * `--random-input-len`, `--random-output-len`, `--num-prompts`, `--max-concurrency`,
 * `--percentile-metrics`, `--metric-percentiles`, `--ignore-eos`, `--save-result`,
 * `--result-dir`, `--result-filename`, `--metadata`, `--ready-check-timeout-sec`,
 * `--disable-tqdm`. The API key reaches it as `OPENAI_API_KEY`, which
 * `vllm/benchmarks/lib/endpoint_request_func.py` sends as `Authorization: Bearer`.
 */
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import { z } from "zod";
import { parseOrThrow } from "../validation";
import type { VllmServerConfig } from "../vllm/args";
import { serviceUrl } from "../vllm/service";

/** Marks the line before each result's JSON in the Job's log. */
export const RESULT_MARKER = "LLM_SERVING_RESULT";

/** A key of a Secret in the server's namespace. */
export interface BenchmarkSecretRef {
  /** Secret name. Required. */
  name: string;
  /** Key inside the Secret. Defaults to `api-key`. */
  key?: string;
}

/** Options of the serving benchmark (everything else comes from the server). */
export interface ServingBenchmarkArgs {
  /** `--max-concurrency` levels, run in order. Defaults to `[1, 4, 16, 64]`. */
  concurrency?: number[];
  /** Prompt tokens per request (`--random-input-len`). Defaults to 1024. */
  inputLen?: number;
  /** Generated tokens per request (`--random-output-len`, with `--ignore-eos`). Defaults to 256. */
  outputLen?: number;
  /** Requests per concurrency level = this × the level, at least 16 (`--num-prompts`). Defaults to 8. */
  promptsPerConcurrency?: number;
  /**
   * The server's API key: a key of a Secret in the server's namespace, passed as
   * `OPENAI_API_KEY`. Defaults to none (a server without a key).
   */
  apiKeySecret?: BenchmarkSecretRef;
  /** Job name. Defaults to `<server>-bench`. */
  name?: string;
}

const dnsLabel = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "must be a DNS label (lowercase, digits, '-')");

const argsSchema = z
  .object({
    concurrency: z
      .array(z.number().int().min(1, "must be at least 1").max(4096, "must be at most 4096"))
      .min(1, "needs at least one level")
      .optional(),
    inputLen: z.number().int().min(1, "must be at least 1").optional(),
    outputLen: z.number().int().min(1, "must be at least 1").optional(),
    promptsPerConcurrency: z.number().int().min(1, "must be at least 1").optional(),
    apiKeySecret: z
      .object({ name: dnsLabel, key: z.string().min(1).optional() })
      .strict()
      .optional(),
    name: dnsLabel.optional(),
  })
  .strict();

/** Validated benchmark options with defaults. */
export interface ServingBenchmarkConfig {
  name: string;
  concurrency: number[];
  inputLen: number;
  outputLen: number;
  promptsPerConcurrency: number;
  apiKeySecret?: { name: string; key: string };
}

/** Validates `args` (paths prefixed with `root`). @throws ConfigError */
export function servingBenchmarkConfig(
  server: VllmServerConfig,
  args: ServingBenchmarkArgs = {},
  root = "",
): ServingBenchmarkConfig {
  const a = parseOrThrow(argsSchema, args, "VllmBenchmark", root);
  return {
    name: a.name ?? `${server.name}-bench`.slice(0, 63),
    concurrency: a.concurrency ?? [1, 4, 16, 64],
    inputLen: a.inputLen ?? 1024,
    outputLen: a.outputLen ?? 256,
    promptsPerConcurrency: a.promptsPerConcurrency ?? 8,
    ...(a.apiKeySecret
      ? { apiKeySecret: { name: a.apiKeySecret.name, key: a.apiKeySecret.key ?? "api-key" } }
      : {}),
  };
}

/**
 * The Job's script. Every value arrives in the environment and is expanded quoted, so no
 * user string is ever parsed by the shell.
 */
export const SERVING_BENCHMARK_SCRIPT = `set -euo pipefail
mkdir -p "$RESULT_DIR"
read -r -a levels <<< "$CONCURRENCY"
for c in "\${levels[@]}"; do
  prompts=$(( c * PROMPTS_PER_CONCURRENCY ))
  if [ "$prompts" -lt 16 ]; then prompts=16; fi
  file="\${SERVER}-concurrency\${c}.json"
  echo "benchmark: \${SERVER} max-concurrency \${c}, \${prompts} prompts"
  vllm bench serve \\
    --backend openai --base-url "$BASE_URL" --endpoint /v1/completions \\
    --model "$MODEL" --served-model-name "$SERVED_MODEL_NAME" \\
    --dataset-name random --random-input-len "$INPUT_LEN" --random-output-len "$OUTPUT_LEN" \\
    --ignore-eos --num-prompts "$prompts" --max-concurrency "$c" \\
    --percentile-metrics ttft,tpot,itl,e2el --metric-percentiles 50,95,99 \\
    --ready-check-timeout-sec 600 --disable-tqdm \\
    --save-result --result-dir "$RESULT_DIR" --result-filename "$file" \\
    --metadata "server=\${SERVER}"
  echo "${RESULT_MARKER} \${file}"
  cat "\${RESULT_DIR}/\${file}"
  echo
done
`;

/** The benchmark Job for one server. */
export function servingBenchmarkJob(server: VllmServerConfig, b: ServingBenchmarkConfig): IJob {
  const env: IEnvVar[] = [
    { name: "SERVER", value: server.name },
    { name: "BASE_URL", value: serviceUrl(server) },
    { name: "MODEL", value: server.model.id },
    { name: "SERVED_MODEL_NAME", value: server.model.servedName },
    { name: "CONCURRENCY", value: b.concurrency.join(" ") },
    { name: "INPUT_LEN", value: String(b.inputLen) },
    { name: "OUTPUT_LEN", value: String(b.outputLen) },
    { name: "PROMPTS_PER_CONCURRENCY", value: String(b.promptsPerConcurrency) },
    { name: "RESULT_DIR", value: "/results" },
    // The tokenizer is downloaded once into the pod's scratch space.
    { name: "HF_HOME", value: "/scratch/hf" },
  ];
  if (server.tokenSecret) {
    env.push({
      name: "HF_TOKEN",
      valueFrom: { secretKeyRef: { name: server.tokenSecret.name, key: server.tokenSecret.key } },
    });
  }
  if (b.apiKeySecret) {
    env.push({
      name: "OPENAI_API_KEY",
      valueFrom: { secretKeyRef: { name: b.apiKeySecret.name, key: b.apiKeySecret.key } },
    });
  }
  const labels = {
    "app.kubernetes.io/name": "vllm-benchmark",
    "app.kubernetes.io/instance": b.name,
    "app.kubernetes.io/part-of": "llm-serving",
    "llm-serving.dev/server": server.name,
  };
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: b.name, namespace: server.namespace, labels },
    spec: {
      backoffLimit: 0,
      // Results live in the log: keep the finished pod a day for `kubectl logs`.
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: "Never",
          enableServiceLinks: false,
          automountServiceAccountToken: false,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          containers: [
            {
              name: "bench",
              image: server.image,
              command: ["/bin/bash", "-c", SERVING_BENCHMARK_SCRIPT],
              env,
              resources: { requests: { cpu: "2", memory: "4Gi" }, limits: { memory: "8Gi" } },
              securityContext: { allowPrivilegeEscalation: false },
              volumeMounts: [
                { name: "results", mountPath: "/results" },
                { name: "scratch", mountPath: "/scratch" },
              ],
            },
          ],
          volumes: [
            { name: "results", emptyDir: {} },
            { name: "scratch", emptyDir: {} },
          ],
        },
      },
    },
  };
}
