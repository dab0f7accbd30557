import fc from "fast-check";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IPodTemplateSpec } from "kubernetes-models/v1/PodTemplateSpec";
import { describe, expect, it } from "vitest";
import { versions } from "../../components/versions";
import type { VllmServerPlan } from "../../components/vllm/plan";
import { expectValidManifest } from "../support/k8s-schema";
import { objectsOf, PROFILE_ARGS, plan, SHAPES } from "./fixtures";

/** Pod templates of a plan, with the role each plays. */
function templates(p: VllmServerPlan): Array<{ role: string; t: IPodTemplateSpec }> {
  if (p.deployment) return [{ role: "server", t: p.deployment.spec?.template as IPodTemplateSpec }];
  const lwt = p.leaderWorkerSet?.spec.leaderWorkerTemplate;
  return [
    { role: "leader", t: lwt?.leaderTemplate as IPodTemplateSpec },
    { role: "worker", t: lwt?.workerTemplate as IPodTemplateSpec },
  ];
}

function main(t: IPodTemplateSpec): IContainer {
  return t.spec?.containers[0] as IContainer;
}

function script(t: IPodTemplateSpec): string {
  return main(t).args?.[0] ?? "";
}

const placeable = (shape: string, profile: string) =>
  !(profile === "nvlink" && (SHAPES[shape]?.nodes ?? 1) > 1);

describe("every shape x every profile", () => {
  for (const shape of Object.keys(SHAPES)) {
    for (const profile of Object.keys(PROFILE_ARGS)) {
      if (!placeable(shape, profile)) continue;
      it(`${shape}, ${profile}: valid upstream objects with the profile on every pod`, () => {
        const p = plan({
          parallelism: SHAPES[shape],
          network: PROFILE_ARGS[profile],
          createNamespace: true,
        });
        for (const o of objectsOf(p)) expectValidManifest(o);
        const c = p.config;
        const nodes = c.parallelism.nodes;
        expect(p.deployment !== undefined).toBe(nodes === 1);
        expect(p.leaderWorkerSet !== undefined).toBe(nodes > 1);
        for (const { t } of templates(p)) {
          const env = main(t).env ?? [];
          for (const e of c.network.env) expect(env).toContainEqual(e);
          for (const v of c.network.volumes) expect(t.spec?.volumes).toContainEqual(v);
          for (const [k, v] of Object.entries(c.network.annotations)) {
            expect(t.metadata?.annotations?.[k]).toBe(v);
          }
          expect(t.spec?.hostNetwork ?? false).toBe(c.network.hostNetwork);
          for (const line of c.network.preamble) expect(script(t)).toContain(line);
          const gpus = String(c.parallelism.gpusPerNode);
          expect(main(t).resources?.requests?.["nvidia.com/gpu"]).toBe(gpus);
          expect(main(t).resources?.limits?.["nvidia.com/gpu"]).toBe(gpus);
        }
        expect(p.namespace?.metadata?.labels?.["pod-security.kubernetes.io/enforce"]).toBe(
          c.network.podSecurity,
        );
      });
    }
  }
});

describe("single node", () => {
  it("1 GPU: a Deployment without parallelism flags", () => {
    const p = plan();
    expect(p.deployment?.spec?.replicas).toBe(1);
    expect(script(p.deployment?.spec?.template as IPodTemplateSpec)).not.toMatch(/parallel-size/);
    expect(p.config.image).toBe(versions.vllmImage);
  });

  it("N GPUs: --tensor-parallel-size N (and PP when set)", () => {
    const s = script(
      plan({ parallelism: { tensor: 2, pipeline: 2 } }).deployment?.spec
        ?.template as IPodTemplateSpec,
    );
    expect(s).toContain("--tensor-parallel-size 2");
    expect(s).toContain("--pipeline-parallel-size 2");
    expect(s).not.toMatch(/--nnodes|--headless/);
  });

  it("engine options and extra args become vllm serve flags, quoted for bash", () => {
    const s = script(
      plan({
        engine: {
          maxModelLen: 8192,
          gpuMemoryUtilization: 0.85,
          maxNumSeqs: 64,
          enableChunkedPrefill: false,
          enablePrefixCaching: true,
          extraArgs: ["--chat-template-content-format", "it's"],
        },
      }).deployment?.spec?.template as IPodTemplateSpec,
    );
    expect(s).toContain(
      "exec vllm serve Qwen/Qwen3-8B --served-model-name qwen3 --host 0.0.0.0 --port 8000 --revision main --max-model-len 8192 --gpu-memory-utilization 0.85 --max-num-seqs 64 --no-enable-chunked-prefill --enable-prefix-caching --chat-template-content-format 'it'\\''s'",
    );
  });

  it("rolls without surge (the new pod needs the old pod's GPUs)", () => {
    expect(plan().deployment?.spec?.strategy?.rollingUpdate).toEqual({
      maxSurge: 0,
      maxUnavailable: 1,
    });
  });

  it("lets pulumi up wait out the model download, not the provider's 10-minute default", () => {
    const p = plan({ startupTimeoutSeconds: 1200 });
    expect(p.deployment?.metadata?.annotations?.["pulumi.com/timeoutSeconds"]).toBe("3000");
    // A Service is awaited until it has endpoints, i.e. until the server is ready.
    expect(p.service.metadata?.annotations?.["pulumi.com/timeoutSeconds"]).toBe("3000");
  });

  it("matches the snapshot (document)", () => {
    expect(objectsOf(plan({ runtimeClassName: "nvidia", replicas: 2 }))).toMatchSnapshot();
  });
});

describe("multi node (LeaderWorkerSet)", () => {
  const homelab = () =>
    plan({
      parallelism: SHAPES["two nodes, TP 2 (home lab)"],
      network: PROFILE_ARGS["roce-hostnet"],
      image: versions.ngcVllmImage,
      runtimeClassName: "nvidia",
      createNamespace: true,
    });

  it("size = nodes, RecreateGroupOnPodRestart, one pod per node within a group", () => {
    const lws = homelab().leaderWorkerSet;
    expect(lws?.spec.leaderWorkerTemplate.size).toBe(2);
    expect(lws?.spec.leaderWorkerTemplate.restartPolicy).toBe("RecreateGroupOnPodRestart");
    for (const t of [
      lws?.spec.leaderWorkerTemplate.leaderTemplate,
      lws?.spec.leaderWorkerTemplate.workerTemplate,
    ]) {
      const term =
        t?.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.[0];
      expect(term?.topologyKey).toBe("kubernetes.io/hostname");
      expect(term?.labelSelector?.matchLabels).toEqual({
        "leaderworkerset.sigs.k8s.io/name": "chat",
      });
      expect(term?.matchLabelKeys).toEqual(["leaderworkerset.sigs.k8s.io/group-key"]);
    }
  });

  it("mp: leader and headless workers wired by shell ${LWS_*}, never kubelet $(LWS_*)", () => {
    const [leader, worker] = templates(homelab()).map(({ t }) => script(t));
    const wiring =
      '--nnodes "${LWS_GROUP_SIZE}" --node-rank "${LWS_WORKER_INDEX}" --master-addr "${master_addr}" --master-port 29501';
    // Without a link map the master is the leader's DNS name.
    for (const s of [leader, worker]) expect(s).toContain('master_addr="${LWS_LEADER_ADDRESS}"');
    expect(leader).toContain(wiring);
    expect(leader).not.toContain("--headless");
    expect(worker).toContain(`${wiring} --headless`);
    expect(worker).toMatch(/until getent ahostsv4 "\$\{LWS_LEADER_ADDRESS\}"/);
    for (const s of [leader, worker]) {
      expect(s).not.toMatch(/\$\(LWS_/);
      expect(s).not.toContain("--distributed-executor-backend");
    }
  });

  it("ray: the leader starts a head, waits for the group, then serves with the ray backend", () => {
    const p = plan({
      parallelism: SHAPES["two nodes, TP 8 x PP 2"],
      network: PROFILE_ARGS.tcp,
      launcher: "ray",
    });
    const [leader, worker] = templates(p).map(({ t }) => script(t));
    expect(leader).toContain("ray start --head --port=6379");
    expect(leader.indexOf("ray_nodes")).toBeLessThan(leader.indexOf("exec vllm serve"));
    expect(leader).toContain("--distributed-executor-backend ray");
    expect(leader).not.toContain("--nnodes");
    expect(worker).toContain('master_addr="${LWS_LEADER_ADDRESS}"');
    expect(worker).toContain('exec ray start --address="${master_addr}:6379" --block');
    expect(worker).not.toContain("vllm serve");
  });

  it("probes and the http port only on the serving (leader) container", () => {
    const [leader, worker] = templates(homelab()).map(({ t }) => main(t));
    expect(leader.startupProbe?.httpGet?.path).toBe("/health");
    expect(leader.readinessProbe?.httpGet?.path).toBe("/health");
    expect(leader.livenessProbe?.httpGet?.path).toBe("/health");
    expect(leader.ports).toEqual([{ name: "http", containerPort: 8000, protocol: "TCP" }]);
    for (const probe of ["startupProbe", "readinessProbe", "livenessProbe", "ports"] as const) {
      expect(worker[probe]).toBeUndefined();
    }
  });

  it("startup probe allows the configured download time", () => {
    const c = main(templates(plan({ startupTimeoutSeconds: 2700 }))[0].t);
    const probe = c.startupProbe;
    expect((probe?.periodSeconds ?? 0) * (probe?.failureThreshold ?? 0)).toBeGreaterThanOrEqual(
      2700,
    );
    const dflt = main(templates(plan())[0].t).startupProbe;
    expect((dflt?.periodSeconds ?? 0) * (dflt?.failureThreshold ?? 0)).toBeGreaterThanOrEqual(
      30 * 60,
    );
  });

  it("the Service selects only the leaders, on the named http port", () => {
    const svc = homelab().service;
    expect(svc.metadata?.name).toBe("chat-api");
    expect(svc.spec?.selector).toEqual({
      "leaderworkerset.sigs.k8s.io/name": "chat",
      "leaderworkerset.sigs.k8s.io/worker-index": "0",
    });
    expect(svc.spec?.ports).toEqual([
      { name: "http", port: 8000, targetPort: "http", protocol: "TCP" },
    ]);
  });

  it("home lab and GKE documents match their snapshots", () => {
    expect(objectsOf(homelab())).toMatchSnapshot();
    expect(
      objectsOf(
        plan({
          parallelism: SHAPES["two nodes, TP 8 x PP 2"],
          network: PROFILE_ARGS["gke-rdma"],
          tolerations: [{ key: "nvidia.com/gpu", operator: "Exists", effect: "NoSchedule" }],
          nodeSelector: { "cloud.google.com/gke-accelerator": "nvidia-h200-141gb" },
          resources: { cpu: "100", memory: "1000Gi" },
          createNamespace: true,
        }),
      ),
    ).toMatchSnapshot();
  });
});

describe("always", () => {
  it("the Deployment Service selects exactly the Deployment's pods", () => {
    const p = plan();
    const labels = p.deployment?.spec?.template?.metadata?.labels ?? {};
    expect(p.service.spec?.selector).toEqual(p.deployment?.spec?.selector.matchLabels);
    for (const [k, v] of Object.entries(p.service.spec?.selector ?? {})) expect(labels[k]).toBe(v);
  });

  it("HF token from the Secret, never a literal; HF_HOME is the model cache mount", () => {
    for (const { t } of templates(plan({ parallelism: SHAPES["two nodes, TP 2 (home lab)"] }))) {
      const env = main(t).env ?? [];
      const token = env.find((e) => e.name === "HF_TOKEN");
      expect(token?.value).toBeUndefined();
      expect(token?.valueFrom?.secretKeyRef).toEqual({ name: "hf-token", key: "token" });
      const home = env.find((e) => e.name === "HF_HOME")?.value;
      const mount = main(t).volumeMounts?.find((m) => m.name === "model-cache");
      expect(mount?.mountPath).toBe(home);
      expect(t.spec?.volumes).toContainEqual({
        name: "model-cache",
        persistentVolumeClaim: { claimName: "model-cache" },
      });
    }
  });

  it("without a token secret there is no HF_TOKEN; without a cache, an emptyDir", () => {
    const t = templates(plan({ tokenSecret: undefined, modelCache: undefined }))[0].t;
    expect(main(t).env?.map((e) => e.name)).not.toContain("HF_TOKEN");
    expect(t.spec?.volumes).toContainEqual({ name: "model-cache", emptyDir: {} });
  });

  it("URLs point at the Service in its namespace", () => {
    const p = plan({ port: 9000 });
    expect(p.url).toBe("http://chat-api.llm.svc.cluster.local:9000");
    expect(p.openaiBaseUrl).toBe("http://chat-api.llm.svc.cluster.local:9000/v1");
  });
});

/** Parallelism the validator accepts: TP × PP split evenly, TP groups not straddling nodes. */
const validParallelism = fc
  .record({
    tensor: fc.integer({ min: 1, max: 16 }),
    pipeline: fc.integer({ min: 1, max: 4 }),
    nodes: fc.integer({ min: 1, max: 4 }),
  })
  .filter(({ tensor, pipeline, nodes }) => {
    const world = tensor * pipeline;
    if (world % nodes !== 0) return false;
    const perNode = world / nodes;
    return nodes === 1 || tensor % perNode === 0 || perNode % tensor === 0;
  });

const profileName = fc.constantFrom("tcp", "roce-hostnet", "gke-rdma");

describe("properties", () => {
  it("GPUs per pod x pods per group = TP x PP, for every valid parallelism", () => {
    fc.assert(
      fc.property(validParallelism, fc.constantFrom("tcp", "roce-hostnet"), (par, profile) => {
        const p = plan({ parallelism: par, network: PROFILE_ARGS[profile] });
        const ts = templates(p);
        const gpus = Number(main(ts[0].t).resources?.limits?.["nvidia.com/gpu"]);
        const pods = p.leaderWorkerSet ? p.leaderWorkerSet.spec.leaderWorkerTemplate.size : 1;
        expect(gpus * pods).toBe(par.tensor * par.pipeline);
        for (const { t } of ts) {
          expect(main(t).resources?.requests?.["nvidia.com/gpu"]).toBe(String(gpus));
        }
      }),
      { numRuns: 100 },
    );
  });

  it("the profile's env, mounts, annotations and privileges are identical on leader and worker", () => {
    fc.assert(
      fc.property(
        profileName,
        fc.integer({ min: 2, max: 4 }),
        fc.constantFrom("mp", "ray"),
        (profile, nodes, launcher) => {
          const p = plan({
            parallelism: { tensor: 8, nodes, gpusPerNode: 8, pipeline: nodes },
            network: PROFILE_ARGS[profile],
            launcher,
          });
          const [leader, worker] = templates(p).map(({ t }) => t);
          const pick = (t: IPodTemplateSpec) => ({
            env: main(t).env,
            mounts: main(t).volumeMounts,
            volumes: t.spec?.volumes,
            securityContext: main(t).securityContext,
            hostNetwork: t.spec?.hostNetwork,
            dnsPolicy: t.spec?.dnsPolicy,
            networkAnnotations: Object.fromEntries(
              Object.entries(t.metadata?.annotations ?? {}).filter(
                ([k]) => !k.startsWith("prometheus.io/"),
              ),
            ),
          });
          expect(pick(worker)).toEqual(pick(leader));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("every pod has a size-limited, memory-backed /dev/shm", () => {
    fc.assert(
      fc.property(
        validParallelism,
        profileName,
        fc.constantFrom("1Gi", "16Gi", "64Gi"),
        (par, profile, shm) => {
          fc.pre(profile !== "gke-rdma" || par.tensor * par.pipeline <= 8 * par.nodes);
          const p = plan({ parallelism: par, network: PROFILE_ARGS[profile], shmSize: shm });
          for (const { t } of templates(p)) {
            const mount = main(t).volumeMounts?.find((m) => m.mountPath === "/dev/shm");
            const vol = t.spec?.volumes?.find((v) => v.name === mount?.name);
            expect(vol?.emptyDir).toEqual({ medium: "Memory", sizeLimit: shm });
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("every rendered object is valid upstream (sampled shapes and profiles)", () => {
    fc.assert(
      fc.property(
        validParallelism,
        profileName,
        fc.integer({ min: 1, max: 3 }),
        (par, profile, replicas) => {
          fc.pre(profile !== "gke-rdma" || par.tensor * par.pipeline <= 8 * par.nodes);
          for (const o of objectsOf(
            plan({ parallelism: par, network: PROFILE_ARGS[profile], replicas }),
          )) {
            expectValidManifest(o);
          }
        },
      ),
      { numRuns: 30 },
    );
  });
});
