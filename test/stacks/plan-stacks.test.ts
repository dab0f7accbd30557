/**
 * The shipped stacks as users run them offline: `plan` over each example config, one process
 * per stack (Pulumi mocks are process-global). Proves the examples are clean of mandatory
 * violations, every manifest validates upstream, and no secret reaches any written file.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { checkPromql } from "../../components/monitoring/promql";
import { GATEWAY_KINDS, validateGatewayObject } from "../support/gateway-schema";

const root = path.join(__dirname, "..", "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "plan-stacks-"));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  out: string;
}

function plan(stack: string, ...extra: string[]): Promise<Run> {
  const out = path.join(tmp, stack);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(root, "cli", "main.ts"),
        "plan",
        stack,
        "--json",
        "--out",
        out,
        ...extra,
      ],
      {
        cwd: root,
        timeout: 90_000,
        maxBuffer: 32 * 1024 * 1024,
        env: { ...process.env, NODE_OPTIONS: "" },
      },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? -1) : 0;
        resolve({ code: typeof code === "number" ? code : -1, stdout, stderr, out });
      },
    );
  });
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** A stack config that holds its secrets in clear, so we can prove they never leak. */
const LEAKY_TOKEN = "hf_PLAINTOKEN_c0ffee1234567890";
const LEAKY_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----PLAINKEY0123456789";
const leakyConfig = path.join(tmp, "Pulumi.homelab-leaky.yaml");
fs.writeFileSync(
  leakyConfig,
  fs
    .readFileSync(path.join(root, "stacks", "Pulumi.homelab.yaml"), "utf8")
    .replace(/llm-serving:hfToken:\n\s+secure: .*/, `llm-serving:hfToken: ${LEAKY_TOKEN}`)
    .replace(
      /llm-serving:sshPrivateKey:\n\s+secure: .*/,
      `llm-serving:sshPrivateKey: "${LEAKY_KEY}"`,
    ),
);

/** The GKE example with the NIM server on and the NGC key in clear. */
const LEAKY_NGC_KEY = "nvapi-PLAINNGCKEY0123456789abcdef";
const nimConfig = path.join(tmp, "Pulumi.gke-nim.yaml");
fs.writeFileSync(
  nimConfig,
  fs
    .readFileSync(path.join(root, "stacks", "Pulumi.gke.yaml"), "utf8")
    .replace(
      "llm-serving:hfToken:",
      `llm-serving:nimEnabled: true\n  llm-serving:ngcApiKey: ${LEAKY_NGC_KEY}\n  llm-serving:hfToken:`,
    ),
);

const runs: Record<string, Run> = {};
beforeAll(async () => {
  const [homelab, gke, leaky, nim] = await Promise.all([
    plan("homelab"),
    plan("gke"),
    plan("homelab-leaky", "--config", leakyConfig),
    plan("gke-nim", "--config", nimConfig),
  ]);
  Object.assign(runs, { homelab, gke, leaky, nim });
}, 120_000);

describe.each(["homelab", "gke"])("plan %s (shipped example)", (stack) => {
  it("exits 0: no mandatory violation", () => {
    const run = runs[stack];
    expect(run.stderr).toMatch(/^plan: wrote \d+ files to /);
    const report = JSON.parse(run.stdout);
    expect(report.violations.filter((v: { level: string }) => v.level === "mandatory")).toEqual([]);
    expect(run.code).toBe(0);
  });

  it("renders manifests that validate against the upstream schemas", () => {
    const files = filesUnder(path.join(runs[stack].out, "manifests"));
    expect(files.length).toBeGreaterThan(4);
    for (const file of files) {
      const object = parse(fs.readFileSync(file, "utf8"));
      const key = `${object.apiVersion}/${object.kind}`;
      // GKE's multi-networking objects are checked in test/gke; its gateway policies here.
      if (object.apiVersion === "networking.gke.io/v1" && !GATEWAY_KINDS.has(key)) continue;
      expect(validateGatewayObject(object), path.basename(file)).toEqual([]);
    }
  });

  it("puts a gateway in front of every server: a pool selecting exactly its Service's pods", () => {
    const objects = filesUnder(path.join(runs[stack].out, "manifests")).map((f) =>
      parse(fs.readFileSync(f, "utf8")),
    );
    const services = objects.filter((o) => o.kind === "Service" && /-api$/.test(o.metadata.name));
    const pools = objects.filter((o) => o.kind === "InferencePool");
    expect(services.length).toBeGreaterThan(0);
    expect(pools).toHaveLength(services.length);
    for (const svc of services) {
      const pool = pools.find(
        (p) =>
          p.metadata.namespace === svc.metadata.namespace &&
          p.metadata.name === svc.metadata.name.replace(/-api$/, "-pool"),
      );
      expect(pool?.spec.selector.matchLabels, svc.metadata.name).toEqual(svc.spec.selector);
      expect(pool?.spec.targetPorts).toEqual([{ number: svc.spec.ports[0].port }]);
    }
  });
});

describe("plan homelab", () => {
  it("serves TP 2 across both DGX Sparks as one LeaderWorkerSet over the RoCE link", () => {
    const lws = parse(
      fs.readFileSync(
        path.join(
          runs.homelab.out,
          "manifests",
          "leaderworkerset.x-k8s.io-v1-LeaderWorkerSet--vllm-lws.yaml",
        ),
        "utf8",
      ),
    );
    expect(lws.spec.leaderWorkerTemplate.size).toBe(2);
    const leader = lws.spec.leaderWorkerTemplate.leaderTemplate.spec;
    expect(leader.hostNetwork).toBe(true);
    expect(leader.runtimeClassName).toBe("nvidia");
    expect(leader.containers[0].args[0]).toContain("--tensor-parallel-size 2");
    expect(leader.containers[0].env).toContainEqual({
      name: "NCCL_SOCKET_IFNAME",
      value: "enp1s0f0np0",
    });
  });

  it("writes every remote script, create and delete", () => {
    const scripts = fs.readdirSync(path.join(runs.homelab.out, "scripts"));
    for (const step of [
      "preflight-controller",
      "install-spark-1",
      "join-spark-2",
      "admit-spark-1",
      "rbac",
      "kubeconfig",
      "nfs-export",
    ]) {
      expect(
        scripts.some((s) => s.endsWith(`-${step}.create.sh`)),
        step,
      ).toBe(true);
    }
    expect(scripts.some((s) => s.endsWith(".delete.sh"))).toBe(true);
  });

  it("redacts secrets held in clear in the stack file from every output and file", () => {
    const run = runs.leaky;
    expect(run.code).toBe(0);
    const texts = [
      run.stdout,
      run.stderr,
      ...filesUnder(run.out).map((f) => fs.readFileSync(f, "utf8")),
    ];
    for (const text of texts) {
      expect(text).not.toContain(LEAKY_TOKEN);
      expect(text).not.toContain("PLAINKEY0123456789");
    }
    const report = JSON.parse(run.stdout);
    expect(report.outputs.kubeconfig).toBe("[secret]");
  });
});

describe("plan gke", () => {
  it("creates the three shapes, the RDMA one in its own privileged namespace", () => {
    const manifests = fs.readdirSync(path.join(runs.gke.out, "manifests"));
    expect(manifests).toContain("apps-v1-Deployment--single-gpu-deployment.yaml");
    expect(manifests).toContain("apps-v1-Deployment--one-node-deployment.yaml");
    expect(manifests).toContain("leaderworkerset.x-k8s.io-v1-LeaderWorkerSet--multi-node-lws.yaml");
    const rdmaNs = parse(
      fs.readFileSync(path.join(runs.gke.out, "manifests", "v1-Namespace--llm-rdma.yaml"), "utf8"),
    );
    expect(rdmaNs.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    const ns = parse(
      fs.readFileSync(path.join(runs.gke.out, "manifests", "v1-Namespace--llm.yaml"), "utf8"),
    );
    expect(ns.metadata.labels["pod-security.kubernetes.io/enforce"]).toBe("baseline");
  });

  it("autoscales the single-node servers with KEDA: targets exist, queries parse", () => {
    const dir = path.join(runs.gke.out, "manifests");
    const objects = fs
      .readdirSync(dir)
      .map((f) => parse(fs.readFileSync(path.join(dir, f), "utf8")));
    const scaled = objects.filter((o) => o.kind === "ScaledObject");
    expect(scaled.map((o) => o.metadata.name).sort()).toEqual(["one-node", "single-gpu"]);
    for (const so of scaled) {
      const ref = so.spec.scaleTargetRef;
      const target = objects.find(
        (o) =>
          o.apiVersion === ref.apiVersion &&
          o.kind === ref.kind &&
          o.metadata?.name === ref.name &&
          o.metadata?.namespace === so.metadata.namespace,
      );
      expect(target?.kind, so.metadata.name).toBe("Deployment");
      for (const t of so.spec.triggers) expect(checkPromql(t.metadata.query).problems).toEqual([]);
    }
    expect(objects.some((o) => o.kind === "Namespace" && o.metadata.name === "keda")).toBe(true);
  });

  it("is hardened: private nodes, authorized networks only, its own node account, read-only host mounts", () => {
    const resources = JSON.parse(
      fs.readFileSync(path.join(runs.gke.out, "resources.json"), "utf8"),
    ) as { type: string; inputs: Record<string, any> }[];
    const ofType = (t: string) => resources.filter((r) => r.type === t).map((r) => r.inputs);
    const [cluster] = ofType("gcp:container/cluster:Cluster");
    expect(cluster?.privateClusterConfig?.enablePrivateNodes).toBe(true);
    expect(cluster?.masterAuthorizedNetworksConfig?.cidrBlocks).toEqual([
      { cidrBlock: "203.0.113.0/24", displayName: "authorized 203.0.113.0/24" },
    ]);
    expect(cluster?.datapathProvider).toBe("ADVANCED_DATAPATH");
    const [account] = ofType("gcp:serviceaccount/account:Account");
    const email = `${account?.accountId}@my-ml-project.iam.gserviceaccount.com`;
    const pools = ofType("gcp:container/nodePool:NodePool");
    expect(pools).toHaveLength(2);
    for (const pool of pools) {
      expect(pool.nodeConfig.serviceAccount).toBe(email);
      expect(pool.networkConfig.enablePrivateNodes).toBe(true);
    }
    expect(ofType("gcp:compute/routerNat:RouterNat")).toHaveLength(1);
    const lws = parse(
      fs.readFileSync(
        path.join(
          runs.gke.out,
          "manifests",
          "leaderworkerset.x-k8s.io-v1-LeaderWorkerSet--multi-node-lws.yaml",
        ),
        "utf8",
      ),
    );
    for (const role of ["leaderTemplate", "workerTemplate"]) {
      const pod = lws.spec.leaderWorkerTemplate[role].spec;
      const hostVolumes = pod.volumes.filter((v: any) => v.hostPath).map((v: any) => v.name);
      expect(hostVolumes.length, role).toBeGreaterThan(0);
      for (const m of pod.containers[0].volumeMounts.filter((m: any) =>
        hostVolumes.includes(m.name),
      )) {
        expect(m.readOnly, `${role} ${m.mountPath}`).toBe(true);
      }
    }
  });
});

describe("plan gke with nimEnabled (NGC key in clear in the stack file)", () => {
  const manifest = (name: string) =>
    parse(fs.readFileSync(path.join(runs.nim.out, "manifests", name), "utf8"));

  it("exits 0 with no mandatory violation, every manifest valid upstream", () => {
    const report = JSON.parse(runs.nim.stdout);
    expect(report.violations.filter((v: { level: string }) => v.level === "mandatory")).toEqual([]);
    expect(runs.nim.code).toBe(0);
    for (const file of filesUnder(path.join(runs.nim.out, "manifests"))) {
      const object = parse(fs.readFileSync(file, "utf8"));
      const key = `${object.apiVersion}/${object.kind}`;
      if (object.apiVersion === "networking.gke.io/v1" && !GATEWAY_KINDS.has(key)) continue;
      // A Secret whose whole stringData is secret prints as one placeholder: check the rest.
      if (object.kind === "Secret" && object.stringData === "[secret]") delete object.stringData;
      expect(validateGatewayObject(object), path.basename(file)).toEqual([]);
    }
  });

  it("renders the NIM server with NIM's env, probes, cache, shm and NGC Secrets", () => {
    const pod = manifest("apps-v1-Deployment--nim-deployment.yaml").spec.template.spec;
    const c = pod.containers[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
    expect(c.image).toBe("nvcr.io/nim/meta/llama-3.1-8b-instruct:2.0.12");
    expect(env.NIM_CACHE_PATH.value).toBe("/opt/nim/.cache");
    expect(env.NIM_TENSOR_PARALLEL_SIZE.value).toBe("1");
    expect(env.NIM_SERVED_MODEL_NAME.value).toBe("meta-llama/Llama-3.1-8B-Instruct");
    expect(env.NGC_API_KEY.valueFrom.secretKeyRef).toEqual({
      name: "ngc-api-key",
      key: "NGC_API_KEY",
    });
    expect(env.VLLM_API_KEY).toBeUndefined();
    expect(pod.imagePullSecrets).toEqual([{ name: "ngc-registry" }]);
    expect(c.readinessProbe.httpGet.path).toBe("/v1/health/ready");
    expect(c.livenessProbe.httpGet.path).toBe("/v1/health/live");
    expect(pod.volumes).toContainEqual({
      name: "dshm",
      emptyDir: { medium: "Memory", sizeLimit: "16Gi" },
    });
    expect(c.volumeMounts).toContainEqual({ name: "model-cache", mountPath: "/opt/nim/.cache" });
    const registry = manifest("v1-Secret--llm-ngc-registry.yaml");
    expect(registry.type).toBe("kubernetes.io/dockerconfigjson");
    expect(registry.stringData).toBe("[secret]");
    expect(manifest("v1-Secret--llm-ngc-api-key.yaml").stringData).toBe("[secret]");
    const monitor = manifest("monitoring.coreos.com-v1-PodMonitor--monitoring-vllm-nim.yaml");
    expect(monitor.spec.podMetricsEndpoints[0].path).toBe("/v1/metrics");
  });

  it("prints the NGC key nowhere, neither as given nor inside the registry auth", () => {
    const auth = Buffer.from(`$oauthtoken:${LEAKY_NGC_KEY}`).toString("base64");
    const texts = [
      runs.nim.stdout,
      runs.nim.stderr,
      ...filesUnder(runs.nim.out).map((f) => fs.readFileSync(f, "utf8")),
    ];
    for (const text of texts) {
      expect(text).not.toContain("PLAINNGCKEY");
      expect(text).not.toContain(auth);
    }
  });
});
