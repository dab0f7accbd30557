/**
 * The pack as the Pulumi engine runs it: `policy/` started through `@pulumi/pulumi`'s own
 * policy-pack runner (what the CLI's `pulumi-analyzer-policy` plugin execs, TypeScript compiled
 * by ts-node with type checking), spoken to over the analyzer gRPC protocol.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { rules } from "../../policy/rules";

const ROOT = join(__dirname, "..", "..");
const PACK = join(ROOT, "policy");
// Load the protocol modules through @pulumi/pulumi so they share its protobuf runtime.
const sdkRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const grpc = sdkRequire("@grpc/grpc-js");
const services = sdkRequire("./proto/analyzer_grpc_pb");
const pb = sdkRequire("./proto/analyzer_pb");
const { Struct } = sdkRequire("google-protobuf/google/protobuf/struct_pb");
const { Empty } = sdkRequire("google-protobuf/google/protobuf/empty_pb");

type Obj = Record<string, unknown>;
const fixture = (name: string) =>
  parseAllDocuments(readFileSync(join(ROOT, "test", "fixtures", "check", name), "utf8")).map(
    (d) => d.toJS() as Obj,
  );

let child: ChildProcess;
let client: Record<
  string,
  (req: unknown, cb: (err: Error | null, res: unknown) => void) => void
> & { close(): void };

/** Calls one analyzer RPC with a deadline. */
function call<T>(method: string, req: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = new Date(Date.now() + 5000);
    (
      client[method] as unknown as (
        r: unknown,
        m: unknown,
        o: unknown,
        cb: (e: Error | null, r: T) => void,
      ) => void
    ).call(client, req, new grpc.Metadata(), { deadline }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
  });
}

function options(parent?: string) {
  const o = new pb.AnalyzerResourceOptions();
  o.setProtect(false);
  if (parent) o.setParent(parent);
  return o;
}

const urnOf = (type: string, name: string) => `urn:pulumi:dev::llm::${type}::${name}`;

function analyzeRequest(type: string, name: string, props: Obj) {
  const req = new pb.AnalyzeRequest();
  req.setType(type);
  req.setName(name);
  req.setUrn(urnOf(type, name));
  req.setProperties(Struct.fromJavaScript(props));
  req.setOptions(options());
  return req;
}

function stackResource(type: string, name: string, props: Obj, dependencies: string[] = []) {
  const r = new pb.AnalyzerResource();
  r.setType(type);
  r.setName(name);
  r.setUrn(urnOf(type, name));
  r.setProperties(Struct.fromJavaScript(props));
  r.setOptions(options());
  r.setDependenciesList(dependencies);
  return r;
}

interface Diagnostic {
  getPolicyname(): string;
  getMessage(): string;
  getEnforcementlevel(): number;
  getUrn(): string;
}
const diagnostics = (res: unknown) =>
  (res as { getDiagnosticsList(): Diagnostic[] }).getDiagnosticsList();

beforeAll(async () => {
  const runner = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [PACK] });
  // As the CLI does: cwd is the pack, argv is <engine address> <pack dir>; the port comes on stdout.
  child = spawn(process.execPath, [runner, "127.0.0.1:0", "."], {
    cwd: PACK,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const port = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    const timer = setTimeout(
      // ts-node type-checks the pack before it listens: ~5 s idle, 20-50 s on a busy machine.
      () => reject(new Error(`no port within 90 s; stderr:\n${err}`)),
      90_000,
    );
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("exit", (code) => reject(new Error(`pack exited with ${code}:\n${err}${out}`)));
  });
  client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 100_000);

afterAll(() => {
  client?.close();
  child?.kill("SIGKILL");
});

describe("the pack over the analyzer protocol", () => {
  it("GetAnalyzerInfo lists every rule with its level and config schema", async () => {
    const info = (await call<{ toObject(): Obj }>("getAnalyzerInfo", new Empty())).toObject() as {
      name: string;
      version: string;
      policiesList: {
        name: string;
        enforcementlevel: number;
        policyType: number;
        configschema?: { properties?: unknown };
      }[];
    };
    expect(info.name).toBe("llm-serving");
    expect(info.version).toBe(JSON.parse(readFileSync(join(PACK, "package.json"), "utf8")).version);
    const levels: Record<string, number> = {
      advisory: pb.EnforcementLevel.ADVISORY,
      mandatory: pb.EnforcementLevel.MANDATORY,
    };
    expect(info.policiesList.map((p) => [p.name, p.enforcementlevel, p.policyType])).toEqual(
      rules.map((r) => [
        r.id,
        levels[r.enforcementLevel],
        r.scope === "resource"
          ? pb.PolicyType.POLICY_TYPE_RESOURCE
          : pb.PolicyType.POLICY_TYPE_STACK,
      ]),
    );
    // config schemas travel as Structs: their property names match the rules'
    const policies = (
      await call<{
        getPoliciesList(): {
          getName(): string;
          getConfigschema(): { getProperties(): { toJavaScript(): Obj } };
        }[];
      }>("getAnalyzerInfo", new Empty())
    ).getPoliciesList();
    for (const p of policies) {
      const rule = rules.find((r) => r.id === p.getName());
      expect(Object.keys(p.getConfigschema().getProperties().toJavaScript()).sort()).toEqual(
        Object.keys(rule?.configSchema ?? {}).sort(),
      );
    }
  });

  it("Analyze flags a tensor-parallel Deployment without /dev/shm and passes a good one", async () => {
    const [bad] = fixture("bad-shm.yaml");
    const res = diagnostics(
      await call("analyze", analyzeRequest("kubernetes:apps/v1:Deployment", "bad", bad)),
    );
    const shm = res.filter((d) => d.getPolicyname() === "shm-memory-backed");
    expect(shm).toHaveLength(1);
    expect(shm[0].getEnforcementlevel()).toBe(pb.EnforcementLevel.MANDATORY);
    const [good] = fixture("good.yaml");
    expect(
      diagnostics(
        await call("analyze", analyzeRequest("kubernetes:apps/v1:Deployment", "good", good)),
      ).map((d) => d.getMessage()),
    ).toEqual([]);
  });

  it("Analyze reports the advisory note of a mandatory rule as advisory", async () => {
    const [good] = fixture("good.yaml");
    const noLimit = JSON.parse(JSON.stringify(good).replace(',"sizeLimit":"16Gi"', ""));
    const res = diagnostics(
      await call("analyze", analyzeRequest("kubernetes:apps/v1:Deployment", "nolimit", noLimit)),
    );
    const shm = res.filter((d) => d.getPolicyname() === "shm-memory-backed");
    expect(shm.length).toBeGreaterThan(0);
    for (const d of shm) expect(d.getEnforcementlevel()).toBe(pb.EnforcementLevel.ADVISORY);
  });

  it("AnalyzeStack runs the stack rules (a Service that selects nothing)", async () => {
    const [good, svc] = fixture("good.yaml");
    const orphan = {
      ...svc,
      metadata: { name: "orphan", namespace: "llm" },
      spec: { selector: { app: "nothing" } },
    };
    const req = new pb.AnalyzeStackRequest();
    req.setResourcesList([
      stackResource("kubernetes:apps/v1:Deployment", "chat", good),
      stackResource("kubernetes:core/v1:Service", "chat", svc),
      stackResource("kubernetes:core/v1:Service", "orphan", orphan),
    ]);
    const res = diagnostics(await call("analyzeStack", req));
    const svcDiags = res.filter((d) => d.getPolicyname() === "service-selects-pods");
    expect(svcDiags.map((d) => d.getUrn())).toEqual([
      urnOf("kubernetes:core/v1:Service", "orphan"),
    ]);
  });

  it("Remediate adds the memory-backed /dev/shm when the policy is set to remediate", async () => {
    const cfg = new pb.ConfigureAnalyzerRequest();
    const pc = new pb.PolicyConfig();
    pc.setEnforcementlevel(pb.EnforcementLevel.REMEDIATE);
    // The engine always sends the properties (defaults applied); the pack reads them.
    pc.setProperties(Struct.fromJavaScript({}));
    cfg.getPolicyconfigMap().set("shm-memory-backed", pc);
    await call("configure", cfg);
    const [bad] = fixture("bad-shm.yaml");
    const res = (
      await call<{
        getRemediationsList(): {
          getPolicyname(): string;
          getProperties(): { toJavaScript(): Obj };
        }[];
      }>("remediate", analyzeRequest("kubernetes:apps/v1:Deployment", "bad", bad))
    ).getRemediationsList();
    const shm = res.find((r) => r.getPolicyname() === "shm-memory-backed");
    expect(shm).toBeDefined();
    const fixed = shm?.getProperties().toJavaScript() as {
      spec: {
        template: {
          spec: {
            volumes: { emptyDir?: Obj }[];
            containers: { volumeMounts?: { mountPath: string }[] }[];
          };
        };
      };
    };
    const pod = fixed.spec.template.spec;
    expect(pod.volumes.some((v) => v.emptyDir?.medium === "Memory")).toBe(true);
    expect(pod.containers[0].volumeMounts?.some((m) => m.mountPath === "/dev/shm")).toBe(true);
  });
});
