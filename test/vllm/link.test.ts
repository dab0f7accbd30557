/**
 * The home lab's RoCE link: with `linkAddresses`, every pod advertises its node's link address
 * (`VLLM_HOST_IP`) and dials the leader's (`--master-addr`, the Ray head), proven by running
 * the scripts under bash with stub `vllm`, `ray` and `getent`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NODE_ADDRESS_ENV, networkProfile, VLLM_PORT_BASE } from "../../components/nccl/profiles";
import type { ConfigError } from "../../components/validation";
import { validateVllmServerArgs } from "../../components/vllm/args";
import { roleScript } from "../../components/vllm/command";
import { baseArgs, PROFILE_ARGS } from "./fixtures";
import { listenOn, runWithStubs } from "./stub-run";

/** Kubelet (LAN) address → RoCE address of two DGX Sparks; the Ray case uses loopback for the head. */
const LINK = { "192.168.1.11": "10.10.0.1", "192.168.1.12": "10.10.0.2" };
const RAY_LINK = { "192.168.1.11": "127.77.0.2", "192.168.1.12": "10.10.0.2" };

function config(launcher: "mp" | "ray", linkAddresses: Record<string, string> = LINK) {
  return validateVllmServerArgs(
    baseArgs({
      launcher,
      parallelism: { tensor: 2, nodes: 2 },
      network: { ...PROFILE_ARGS["roce-hostnet"], linkAddresses },
    }),
    "vllm",
  );
}

/** The leader runs on .11, the worker on .12; the leader's name resolves to .11 (host network). */
const ON_LEADER = { [NODE_ADDRESS_ENV]: "192.168.1.11" };
const ON_WORKER = { [NODE_ADDRESS_ENV]: "192.168.1.12", LEADER_IP: "192.168.1.11" };

const argAfter = (argv: string[], word: string) => argv[argv.indexOf(word) + 1];

let closeRayHead: () => Promise<void>;
beforeAll(async () => {
  closeRayHead = await listenOn("127.77.0.2", 6379);
});
afterAll(() => closeRayHead());

describe("mp launcher on the link", () => {
  it("the leader advertises and masters on its own link address", () => {
    const run = runWithStubs(roleScript(config("mp"), "leader"), ON_LEADER);
    expect(run.status, run.stderr).toBe(0);
    expect(run.hostIp.vllm).toBe("10.10.0.1");
    expect(argAfter(run.calls.vllm, "--master-addr")).toBe("10.10.0.1");
  });

  it("a worker advertises its link address and dials the leader's", () => {
    const run = runWithStubs(roleScript(config("mp"), "worker"), ON_WORKER);
    expect(run.status, run.stderr).toBe(0);
    expect(run.hostIp.vllm).toBe("10.10.0.2");
    expect(argAfter(run.calls.vllm, "--master-addr")).toBe("10.10.0.1");
    expect(run.calls.vllm).toContain("--headless");
  });

  it("a node missing from the map stops the pod, naming the address and the key", () => {
    for (const [role, env] of [
      ["leader", { [NODE_ADDRESS_ENV]: "192.168.1.99" }],
      ["worker", { [NODE_ADDRESS_ENV]: "192.168.1.99", LEADER_IP: "192.168.1.11" }],
      ["worker", { [NODE_ADDRESS_ENV]: "192.168.1.12", LEADER_IP: "192.168.1.77" }],
    ] as const) {
      const run = runWithStubs(roleScript(config("mp"), role), env);
      expect(run.status, role).toBe(1);
      expect(run.stderr).toMatch(/192\.168\.1\.(99|77) has no RoCE link address/);
      expect(run.stderr).toContain("linkAddresses");
      expect(run.calls.vllm).toBeUndefined();
    }
  });

  it("without a map vLLM keeps its own choice and the leader's DNS name", () => {
    const c = validateVllmServerArgs(
      baseArgs({
        launcher: "mp",
        parallelism: { tensor: 2, nodes: 2 },
        network: PROFILE_ARGS["roce-hostnet"],
      }),
      "vllm",
    );
    const run = runWithStubs(roleScript(c, "worker"), ON_WORKER);
    expect(run.status, run.stderr).toBe(0);
    expect(run.hostIp.vllm).toBe("unset");
    expect(argAfter(run.calls.vllm, "--master-addr")).toBe("vllm-0.vllm.llm");
  });
});

describe("ray launcher on the link", () => {
  it("the head binds its link address", () => {
    const run = runWithStubs(roleScript(config("ray", RAY_LINK), "leader"), ON_LEADER);
    expect(run.status, run.stderr).toBe(0);
    expect(run.calls.ray).toEqual([
      "start",
      "--head",
      "--port=6379",
      "--node-ip-address=127.77.0.2",
    ]);
    expect(run.hostIp.vllm).toBe("127.77.0.2");
  });

  it("a worker joins the head at its link address, with its own", () => {
    const run = runWithStubs(roleScript(config("ray", RAY_LINK), "worker"), ON_WORKER);
    expect(run.status, run.stderr).toBe(0);
    expect(run.calls.ray).toEqual([
      "start",
      "--address=127.77.0.2:6379",
      "--node-ip-address=10.10.0.2",
      "--block",
    ]);
  });
});

describe("linkAddresses in the profile", () => {
  it("adds the node address from the downward API and vLLM's port base", () => {
    const p = networkProfile({ ...PROFILE_ARGS["roce-hostnet"], linkAddresses: LINK });
    expect(p.linkAddresses).toEqual(LINK);
    expect(p.env).toContainEqual({
      name: NODE_ADDRESS_ENV,
      valueFrom: { fieldRef: { fieldPath: "status.hostIP" } },
    });
    expect(p.env).toContainEqual({ name: "VLLM_PORT", value: String(VLLM_PORT_BASE) });
  });

  it("rejects bad maps by key, and other profiles", () => {
    const problems = (linkAddresses: Record<string, string>, profile = "roce-hostnet") => {
      try {
        networkProfile({ ...PROFILE_ARGS[profile], linkAddresses });
      } catch (e) {
        return (e as ConfigError).problems.map((p) => `${p.path}: ${p.message}`);
      }
      return [];
    };
    expect(problems({ "192.168.1.11": "$(id)" }).join()).toMatch(/linkAddresses.*IPv4/);
    expect(problems({ "spark-1": "10.0.0.1" }).join()).toMatch(/linkAddresses.*IPv4/);
    expect(problems({}).join()).toMatch(/at least one/);
    expect(problems({ "1.1.1.1": "10.0.0.1", "1.1.1.2": "10.0.0.1" }).join()).toMatch(/same link/);
    expect(problems(LINK, "tcp").join()).toMatch(/only used by the roce-hostnet profile/);
    expect(problems(LINK)).toEqual([]);
  });
});
