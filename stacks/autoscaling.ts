/**
 * A stack's per-server autoscaling keys (`autoscaling` in the home lab,
 * `<server>Autoscaling` on GKE): an object of `VllmAutoscalingArgs` fields, `{}` for off,
 * checked here so every problem names the stack key.
 */
import type { ConfigProblem } from "../components/validation";
import { type VllmAutoscalingArgs, validateAutoscaling } from "../components/vllm/autoscaling";

/** A parsed autoscaling key: the args when on, and every problem by stack key. */
export interface AutoscalingSetting {
  /** The server's `autoscaling` args; absent when the key is `{}`. */
  args?: VllmAutoscalingArgs;
  /** Problems, by key (`oneNodeAutoscaling.maxReplicas`). */
  problems: ConfigProblem[];
}

/**
 * Reads one autoscaling key.
 * @param key the stack key, used in every problem's path.
 * @param monitoring whether the stack deploys the Prometheus KEDA reads the queue from.
 */
export function autoscalingSetting(
  key: string,
  value: Record<string, unknown>,
  monitoring: boolean,
): AutoscalingSetting {
  if (Object.keys(value).length === 0) return { problems: [] };
  const { problems } = validateAutoscaling(value, false);
  const byKey = problems.map((p) => ({
    path: [key, ...p.path.slice(1)].join("."),
    message: p.message,
  }));
  if (!monitoring && value.prometheusUrl === undefined) {
    byKey.push({
      path: key,
      message:
        "autoscaling reads the server's queue from the stack's Prometheus: set monitoring to true, give a prometheusUrl, or set this key to {}",
    });
  }
  return byKey.length > 0
    ? { problems: byKey }
    : { args: value as unknown as VllmAutoscalingArgs, problems: [] };
}

/** The config key of each GKE model's autoscaling, by model name. */
export const AUTOSCALING_KEY = {
  "single-gpu": "singleGpuAutoscaling",
  "one-node": "oneNodeAutoscaling",
  "multi-node": "multiNodeAutoscaling",
  nim: "nimAutoscaling",
} as const;
