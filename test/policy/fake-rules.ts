/**
 * Tiny stand-in rules for the engine, pack-wrapper and `check` tests: they exercise every path
 * of the contract (resource and stack scope, advisory notes from a mandatory rule, config,
 * remediation, stacks-only) without depending on the real rules' details.
 */
import type { K8sObject, ResourceRule, StackEntry, StackRule } from "../../policy/rules/types";

type Spec = Record<string, unknown>;

/** The pod specs of an object (Pod, workload templates, LWS leader/worker templates). */
function podSpecs(o: K8sObject): Spec[] {
  const spec = o.spec as Spec | undefined;
  if (!spec) return [];
  if (o.kind === "Pod") return [spec];
  if (o.kind === "LeaderWorkerSet") {
    const t = spec.leaderWorkerTemplate as Spec | undefined;
    return [t?.leaderTemplate, t?.workerTemplate].flatMap((x) =>
      (x as Spec)?.spec ? [(x as Spec).spec as Spec] : [],
    );
  }
  const template = spec.template as Spec | undefined;
  return template?.spec ? [template.spec as Spec] : [];
}

/** Mandatory: every pod needs a memory-backed /dev/shm; advisory note without sizeLimit. */
export const fakeShm: ResourceRule = {
  scope: "resource",
  id: "fake-shm",
  description: "Pods need a memory-backed /dev/shm.",
  enforcementLevel: "mandatory",
  remediationSteps: "Add an emptyDir with medium Memory mounted at /dev/shm.",
  configSchema: {
    requireSizeLimit: { type: "boolean", default: true, description: "Note a missing sizeLimit." },
  },
  validate(object, config) {
    return podSpecs(object).flatMap((spec) => {
      const volumes = (spec.volumes ?? []) as Spec[];
      const shm = volumes.find((v) => (v.emptyDir as Spec | undefined)?.medium === "Memory");
      if (!shm) return [{ message: "no memory-backed emptyDir at /dev/shm" }];
      if (config.requireSizeLimit && !(shm.emptyDir as Spec).sizeLimit) {
        return [{ message: "the /dev/shm emptyDir has no sizeLimit", level: "advisory" as const }];
      }
      return [];
    });
  },
  remediate(object) {
    const copy = structuredClone(object) as K8sObject;
    const specs = podSpecs(copy);
    if (specs.length === 0) return undefined;
    for (const spec of specs) {
      spec.volumes = [
        ...((spec.volumes ?? []) as Spec[]),
        { name: "dshm", emptyDir: { medium: "Memory", sizeLimit: "16Gi" } },
      ];
    }
    return copy;
  },
};

/** Advisory: images need a tag other than latest (config: extra allowed tags). */
export const fakeTag: ResourceRule = {
  scope: "resource",
  id: "fake-tag",
  description: "Images are pinned.",
  enforcementLevel: "advisory",
  remediationSteps: "Pin a tag.",
  configSchema: {
    allowedTags: {
      type: "array",
      items: { type: "string", default: "" },
      default: [],
      description: "Tags allowed anyway.",
    },
  },
  validate(object, config) {
    const allowed = config.allowedTags as string[];
    return podSpecs(object).flatMap((spec) =>
      ((spec.containers ?? []) as Spec[]).flatMap((c) => {
        const image = String(c.image ?? "");
        const tag = image.includes(":") ? image.split(":").pop() : "latest";
        return tag === "latest" && !allowed.includes("latest")
          ? [{ message: `image ${image} is not pinned` }]
          : [];
      }),
    );
  },
};

/** Mandatory stack rule: a Service's selector must match some pod template in its namespace. */
export const fakeService: StackRule = {
  scope: "stack",
  id: "fake-service",
  description: "Services select pods.",
  enforcementLevel: "mandatory",
  remediationSteps: "Fix the selector.",
  configSchema: {},
  stacksOnly: false,
  validate(entries: StackEntry[]) {
    const labels = entries.flatMap((e) => {
      const spec = e.object.spec as Spec | undefined;
      const tpl = spec?.template as Spec | undefined;
      const meta = (e.object.kind === "Pod" ? e.object.metadata : tpl?.metadata) as
        | Spec
        | undefined;
      return meta?.labels
        ? [
            {
              ns: e.object.metadata?.namespace ?? "default",
              labels: meta.labels as Record<string, string>,
            },
          ]
        : [];
    });
    return entries.flatMap((entry) => {
      if (entry.object.kind !== "Service") return [];
      const selector = ((entry.object.spec as Spec | undefined)?.selector ?? {}) as Record<
        string,
        string
      >;
      const ns = entry.object.metadata?.namespace ?? "default";
      const hit = labels.some(
        (l) => l.ns === ns && Object.entries(selector).every(([k, v]) => l.labels[k] === v),
      );
      return hit ? [] : [{ entry, finding: { message: "selector matches no pod template" } }];
    });
  },
};

/** Mandatory stacks-only rule: every LeaderWorkerSet must depend on something of type `test:index:Controller`. */
export const fakeController: StackRule = {
  scope: "stack",
  id: "fake-controller",
  description: "LWS needs its controller.",
  enforcementLevel: "mandatory",
  remediationSteps: "Install it.",
  configSchema: { preinstalled: { type: "boolean", default: false } },
  stacksOnly: true,
  validate(entries, config, context) {
    if (config.preinstalled || context !== "stack") return [];
    const byId = new Map(entries.map((e) => [e.id, e]));
    return entries.flatMap((entry) =>
      entry.object.kind === "LeaderWorkerSet" &&
      !entry.dependencies.some((d) => byId.get(d)?.type === "kubernetes:helm.sh/v3:Release")
        ? [
            {
              entry,
              finding: { message: "no LWS controller installed before this LeaderWorkerSet" },
            },
          ]
        : [],
    );
  },
};

/** All fake rules, in a stable order. */
export const fakeRules = [fakeShm, fakeTag, fakeService, fakeController];
