import { type EngineLaunch, isNimImage, nimLaunch, otherEngineLaunch, vllmLaunch } from "./engines";
import {
  asArray,
  asRecord,
  type Container,
  containerGpus,
  containerName,
  containersOf,
  type EnvVar,
  envOf,
  forgetTemplates,
  type PodTemplate,
  podTemplates,
} from "./podspecs";
import { baseName, stripCommandPrefixes, type Vars } from "./shell";
import type { Finding, K8sObject } from "./types";
import { analyzeContainer, type ContainerLaunch, isVllmImage, type VllmFlags } from "./vllm";

/*
 * Facts several rules share about a pod template: which containers do the GPU work, what
 * vLLM they launch, and whether the pod is part of a multi-node group.
 */

/** What the rules know about one container of a template. */
export interface ContainerFacts extends ContainerLaunch {
  /** The container itself, by reference into the analysed object. */
  container: Container;
  /** Name for messages. */
  name: string;
  /** GPUs granted to this container. */
  gpus: number;
  /** True for a vLLM image or a container that launches a vLLM server. */
  isVllm: boolean;
  /** Env entries by name (the last one wins, as in Kubernetes). */
  env: Map<string, EnvVar>;
  /** `envFrom` sources, as `configMap:<name>` / `secret:<name>` (their keys are unknown here). */
  envFrom: string[];
  /** The same `envFrom` sources, structured (kind, object name, key prefix). */
  envFromRefs: EnvFromRef[];
  /** Every engine launch found (vLLM, SGLang, TensorRT-LLM, NIM by env, torchrun). */
  engines: EngineLaunch[];
  /** True for a known inference engine (by image or by what it launches). */
  isEngine: boolean;
  /**
   * True when the container starts or joins a Ray cluster itself (`ray start`, or the vLLM
   * image's `multi-node-serving.sh`, which runs `ray start`).
   */
  startsRay: boolean;
  /** True when the container installs Ray before it runs (`pip install … ray …`). */
  installsRay: boolean;
}

/** One `envFrom` source of a container. */
export interface EnvFromRef {
  kind: "configMap" | "secret" | "unknown";
  name: string;
  prefix: string;
}

/** What the rules know about one pod template. */
export interface TemplateFacts {
  /** The template analysed. */
  template: PodTemplate;
  /** Its app containers (init containers excluded: they finish before NCCL runs). */
  containers: ContainerFacts[];
  /** GPUs of one pod of this template. */
  podGpus: number;
  /**
   * The containers that do the accelerator work: those granted GPUs; if none is, the vLLM
   * containers (GPUs can come from a runtime class without a resource request); else all.
   */
  workload: ContainerFacts[];
  /**
   * True for a pod of a multi-node group: an LWS group of size > 1, or an engine launched for
   * several nodes (`--nnodes` > 1 or unresolved, SGLang `--dist-init-addr`, torchrun
   * `--nnodes`/`--rdzv-endpoint`, vLLM `--master-addr`).
   */
  multiNode: boolean;
}

/** Variables Kubernetes and the LWS controller put into every container of `t`. */
export function templateVars(t: PodTemplate, container: Container): Vars {
  const vars: Vars = {};
  for (const e of envOf(container)) {
    if (typeof e.name === "string" && typeof e.value === "string") vars[e.name] = e.value;
  }
  if (t.role !== "single") vars.LWS_GROUP_SIZE = `${t.groupSize}`;
  return vars;
}

function envFromRefs(c: Container): EnvFromRef[] {
  return asArray<Record<string, unknown>>(c.envFrom).map((source) => {
    const cm = asRecord(source.configMapRef).name;
    const secret = asRecord(source.secretRef).name;
    const prefix = typeof source.prefix === "string" ? source.prefix : "";
    if (typeof cm === "string") return { kind: "configMap", name: cm, prefix };
    if (typeof secret === "string") return { kind: "secret", name: secret, prefix };
    return { kind: "unknown", name: "", prefix };
  });
}

function describeEnvFrom(r: EnvFromRef): string {
  if (r.kind === "unknown") return "unknown";
  return `${r.kind}:${r.name}${r.prefix ? ` prefix ${r.prefix}` : ""}`;
}

const SGLANG_IMAGE = /(^|\/)sglang$/;
const TRTLLM_IMAGE = /(^|\/)(tensorrt-llm|tensorrt_llm|tritonserver)(\/|$)/;

function isRayWord(w: string): boolean {
  return /^ray(\[[^\]]*\])?([<>=!~].*)?$/.test(w) || /^vllm\[[^\]]*\bray\b[^\]]*\]/.test(w);
}

/** Engines, Ray start and Ray install found in a container's simple commands. */
function commandFacts(commands: string[][]) {
  const engines: EngineLaunch[] = [];
  let startsRay = false;
  let installsRay = false;
  for (const words of commands) {
    const cmd = stripCommandPrefixes(words).words;
    const head = baseName(cmd[0] ?? "");
    if (cmd.some((w) => baseName(w) === "multi-node-serving.sh")) startsRay = true;
    if (head === "ray" && cmd[1] === "start") startsRay = true;
    const pip = cmd.findIndex((w) => /^(pip3?|uv)$/.test(baseName(w)));
    if (pip !== -1 && cmd.slice(pip + 1).includes("install") && cmd.some(isRayWord)) {
      installsRay = true;
    }
    const launch = otherEngineLaunch(cmd);
    if (launch) engines.push(launch);
  }
  return { engines, startsRay, installsRay };
}

/** Analyses one template. */
export function analyzeTemplate(t: PodTemplate): TemplateFacts {
  const containers = containersOf(t.spec).map((c): ContainerFacts => {
    const launch = analyzeContainer(c, templateVars(t, c));
    const env = new Map<string, EnvVar>();
    for (const e of envOf(c)) if (typeof e.name === "string") env.set(e.name, e);
    const facts = commandFacts(launch.commands);
    const refs = envFromRefs(c);
    const engines = [...launch.launches.map(vllmLaunch), ...facts.engines];
    const nim = isNimImage(c.image)
      ? nimLaunch((name) => {
          const v = env.get(name)?.value;
          return v === undefined || v === null ? undefined : `${v}`;
        })
      : undefined;
    if (nim) engines.push(nim);
    const image = typeof c.image === "string" ? c.image : "";
    const repo = image.split("@")[0]?.replace(/:[^/:]*$/, "") ?? "";
    const isVllm = isVllmImage(c.image) || launch.launches.length > 0;
    // A literal, not `{ ...launch, … }`: see `template` in podspecs.ts for why.
    return {
      launches: launch.launches,
      sourcesGibEnv: launch.sourcesGibEnv,
      commands: launch.commands,
      container: c,
      name: containerName(c),
      gpus: containerGpus(c),
      isVllm,
      isEngine:
        isVllm ||
        engines.some((e) => e.engine !== "torchrun") ||
        isNimImage(c.image) ||
        SGLANG_IMAGE.test(repo) ||
        TRTLLM_IMAGE.test(repo),
      env,
      envFrom: refs.map(describeEnvFrom),
      envFromRefs: refs,
      engines,
      startsRay: facts.startsRay,
      installsRay: facts.installsRay,
    };
  });
  const podGpus = containers.reduce((sum, c) => sum + c.gpus, 0);
  const withGpus = containers.filter((c) => c.gpus > 0);
  const engines = containers.filter((c) => c.isEngine);
  const workload = withGpus.length > 0 ? withGpus : engines.length > 0 ? engines : containers;
  const multiNode =
    t.groupSize > 1 ||
    containers.some((c) =>
      c.engines.some((l) => l.nnodes === null || (l.nnodes ?? 1) > 1 || l.namesPeers),
    );
  return { template: t, containers, podGpus, workload, multiNode };
}

// Nine rules analyse the same object; `check` runs them over thousands of objects. Objects
// are treated as immutable while rules read them (every front end hands rules fresh
// objects); code that edits an object (remediation) analyses its copy with `fresh`.
const analysisCache = new WeakMap<object, TemplateFacts[]>();

/**
 * Every template of `object`, analysed. The result is cached per object identity; pass
 * `fresh: true` to analyse an object you are about to modify (nothing is cached then).
 */
export function analyzeObject(object: K8sObject, options?: { fresh?: boolean }): TemplateFacts[] {
  if (options?.fresh || object === null || typeof object !== "object") {
    return podTemplates(object, { fresh: true }).map(analyzeTemplate);
  }
  let facts = analysisCache.get(object);
  if (facts === undefined) {
    facts = podTemplates(object).map(analyzeTemplate);
    analysisCache.set(object, facts);
  }
  return facts;
}

/**
 * Drops the cached analysis of `object`. `check` calls it once every resource rule has seen
 * the object: the stack rules need little of it, and keeping the analysis of every object of
 * a 200,000-object set alive would double check's memory.
 */
export function releaseAnalysis(object: K8sObject): void {
  if (object !== null && typeof object === "object") analysisCache.delete(object);
  forgetTemplates(object);
}

/** GPUs of one whole group: Σ over the object's templates of pods per group × GPUs per pod. */
export function groupGpus(templates: TemplateFacts[]): number {
  return templates.reduce((sum, t) => sum + t.template.podsPerGroup * t.podGpus, 0);
}

/**
 * True when nothing in the object does GPU work: no GPUs requested and no inference engine
 * (a llama.cpp RPC group, a CPU batch job). Its pods run no NCCL.
 */
export function cpuOnly(templates: TemplateFacts[]): boolean {
  return templates.every((t) => t.podGpus === 0 && !t.containers.some((c) => c.isEngine));
}

/** All engine launches of a template, with the container that runs each. */
export function engineLaunchesOf(
  t: TemplateFacts,
): { container: ContainerFacts; launch: EngineLaunch }[] {
  return t.containers.flatMap((c) => c.engines.map((launch) => ({ container: c, launch })));
}

/** All vLLM launches of a template, with the container that runs each. */
export function launchesOf(t: TemplateFacts): { container: ContainerFacts; flags: VllmFlags }[] {
  return t.containers.flatMap((c) => c.launches.map((flags) => ({ container: c, flags })));
}

/** The literal value of an env var, undefined when unset or set from a reference. */
export function literalEnv(c: ContainerFacts, name: string): string | undefined {
  const v = c.env.get(name)?.value;
  return typeof v === "string" || typeof v === "number" || typeof v === "boolean"
    ? `${v}`
    : undefined;
}

/** Findings without repeats (two templates sharing a flaw should not say it twice). */
export function uniqueFindings(findings: Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    if (seen.has(f.message)) return false;
    seen.add(f.message);
    return true;
  });
}
