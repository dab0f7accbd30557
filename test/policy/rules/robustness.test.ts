import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { rules } from "../../../policy/rules";
import { withDefaults } from "../../../policy/rules/config";
import type { K8sObject, StackEntry } from "../../../policy/rules/types";

// `check` reads whatever YAML it is given: a rule must report or skip, never throw, whatever
// type a field has. Fields are either junk of any type or the right shape with junk inside.
const junk = fc.oneof(
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.constant(2_000_000_000),
  fc.boolean(),
  fc.array(fc.anything({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.anything({ maxDepth: 1 }), {
    maxKeys: 3,
    noNullPrototype: true,
  }),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.oneof(junk, arb);
const words = fc.array(
  fc.constantFrom(
    "vllm",
    "serve",
    "-tp",
    "8",
    "--nnodes",
    "$(LWS_GROUP_SIZE)",
    "sh",
    "-c",
    "x'",
    '"',
    "source",
    "set_nccl_env.sh",
    "HF_TOKEN=abc",
    "--headless",
    "${A:-",
  ),
  { maxLength: 8 },
);

const container = fc.record(
  {
    name: maybe(fc.string({ maxLength: 5 })),
    image: maybe(
      fc.constantFrom("vllm/vllm-openai:v0.11.0", "vllm/vllm-openai", "a:latest", "x@y"),
    ),
    command: maybe(words),
    args: maybe(
      fc.oneof(
        words,
        words.map((w) => [w.join(" ")]),
      ),
    ),
    env: maybe(
      fc.array(
        fc.record(
          {
            name: maybe(fc.constantFrom("HF_TOKEN", "NCCL_DEBUG", "NCCL_IB_HCA")),
            value: junk,
            valueFrom: junk,
          },
          { requiredKeys: [] },
        ),
        { maxLength: 3 },
      ),
    ),
    resources: maybe(
      fc.record(
        {
          limits: maybe(
            fc.dictionary(fc.constantFrom("nvidia.com/gpu", "rdma/a"), junk, {
              noNullPrototype: true,
            }),
          ),
          requests: maybe(
            fc.dictionary(fc.constantFrom("nvidia.com/gpu"), junk, { noNullPrototype: true }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    volumeMounts: maybe(
      fc.array(
        fc.record(
          { name: junk, mountPath: maybe(fc.constantFrom("/dev/shm", "/dev/infiniband")) },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
    ),
    securityContext: maybe(
      fc.record(
        { privileged: junk, capabilities: maybe(fc.record({ add: junk }, { requiredKeys: [] })) },
        { requiredKeys: [] },
      ),
    ),
    readinessProbe: junk,
    startupProbe: junk,
  },
  { requiredKeys: [] },
);
const podSpec = fc.record(
  {
    containers: maybe(fc.array(container, { maxLength: 2 })),
    initContainers: maybe(fc.array(container, { maxLength: 1 })),
    volumes: maybe(
      fc.array(
        fc.record(
          {
            name: junk,
            emptyDir: maybe(
              fc.record(
                { medium: maybe(fc.constant("Memory")), sizeLimit: junk },
                { requiredKeys: [] },
              ),
            ),
            hostPath: maybe(fc.record({ path: junk }, { requiredKeys: [] })),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 2 },
      ),
    ),
    hostNetwork: junk,
  },
  { requiredKeys: [] },
);
const template = fc.record(
  {
    metadata: maybe(
      fc.record(
        {
          labels: junk,
          annotations: maybe(
            fc.dictionary(fc.constant("networking.gke.io/interfaces"), junk, {
              noNullPrototype: true,
            }),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
    spec: maybe(podSpec),
  },
  { requiredKeys: [] },
);
const object: fc.Arbitrary<K8sObject> = fc.oneof(
  fc.record({
    apiVersion: fc.constant("v1"),
    kind: fc.constant("Pod"),
    metadata: junk,
    spec: maybe(podSpec),
  }),
  fc.record({
    apiVersion: fc.constant("apps/v1"),
    kind: fc.constant("Deployment"),
    metadata: junk,
    spec: maybe(fc.record({ replicas: junk, template: maybe(template) }, { requiredKeys: [] })),
  }),
  fc.record({
    apiVersion: fc.constant("batch/v1"),
    kind: fc.constant("CronJob"),
    spec: maybe(
      fc.record(
        {
          jobTemplate: maybe(
            fc.record(
              { spec: maybe(fc.record({ template: maybe(template) }, { requiredKeys: [] })) },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  }),
  fc.record({
    apiVersion: fc.constant("leaderworkerset.x-k8s.io/v1"),
    kind: fc.constant("LeaderWorkerSet"),
    metadata: maybe(fc.record({ name: junk }, { requiredKeys: [] })),
    spec: maybe(
      fc.record(
        {
          leaderWorkerTemplate: maybe(
            fc.record(
              {
                size: maybe(fc.integer({ min: -1, max: 4 })),
                leaderTemplate: maybe(template),
                workerTemplate: maybe(template),
              },
              { requiredKeys: [] },
            ),
          ),
        },
        { requiredKeys: [] },
      ),
    ),
  }),
  fc.record({
    apiVersion: fc.constant("v1"),
    kind: fc.constant("Service"),
    metadata: junk,
    spec: maybe(fc.record({ selector: junk, type: junk }, { requiredKeys: [] })),
  }),
) as fc.Arbitrary<K8sObject>;

describe("rules on malformed input", () => {
  it("never throw, whatever type a field has", () => {
    fc.assert(
      fc.property(fc.array(object, { minLength: 1, maxLength: 3 }), junk, (objects, deps) => {
        const entries = objects.map(
          (o, i): StackEntry => ({
            object: o,
            id: `e${i}`,
            dependencies: deps as never,
            type: "kubernetes:leaderworkerset.x-k8s.io/v1:LeaderWorkerSet",
          }),
        );
        for (const rule of rules) {
          const config = withDefaults(rule);
          if (rule.scope === "resource") {
            for (const o of objects) {
              rule.validate(o, config);
              rule.remediate?.(o, config);
            }
          } else {
            rule.validate(entries, config, "stack");
            rule.validate(entries, config, "manifests");
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe("rules on missing objects", () => {
  it("skip entries and objects that are not objects at all", () => {
    for (const rule of rules) {
      const config = withDefaults(rule);
      for (const bad of [null, undefined, "Deployment", 3]) {
        if (rule.scope === "resource") {
          expect(rule.validate(bad as never, config)).toEqual([]);
        } else {
          const entry = { object: bad, id: "x", dependencies: [] } as never as StackEntry;
          expect(rule.validate([entry], config, "stack")).toEqual([]);
        }
      }
    }
  });
});
