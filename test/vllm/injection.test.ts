/**
 * No config string reaches the container shell unquoted: the rendered scripts run under
 * real bash with stub `vllm`/`ray`/`getent`/`python3`, fed hostile names, and the stubs'
 * argv must hold every hostile word verbatim while nothing they ask for happens.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../components/validation";
import { type VllmServerConfig, validateVllmServerArgs } from "../../components/vllm/args";
import { renderWord, roleScript, ShellVar, type VllmRole } from "../../components/vllm/command";
import { homelabSettings } from "../../stacks/homelab-settings";
import { readRawConfig } from "../../stacks/raw-config";
import { baseArgs, PROFILE_ARGS } from "./fixtures";
import { exampleConfig } from "./stack-run";
import { listenOn, runWithStubs } from "./stub-run";

/** Words an attacker would put in a model name or flag; each tries to run `touch pwned` or leak HF_TOKEN. */
const HOSTILE = [
  "${HF_TOKEN}",
  "$HF_TOKEN",
  "$(touch pwned)",
  "`touch pwned`",
  "${x:-$(touch pwned)}",
  "'; touch pwned; '",
  '"; touch pwned; "',
  "a\ntouch pwned",
  '"${LWS_LEADER_ADDRESS}"',
  "--x=$(touch pwned)",
];

const TOKEN = "hf_SECRET_TOKEN_VALUE";

/** Every script shape that can run without vendor files: tcp and roce-hostnet, both launchers. */
function shapes(): Array<{ id: string; c: VllmServerConfig; role: VllmRole }> {
  const out: Array<{ id: string; c: VllmServerConfig; role: VllmRole }> = [];
  for (const profile of ["tcp", "roce-hostnet"]) {
    const network = PROFILE_ARGS[profile];
    const single = validateVllmServerArgs(
      baseArgs({ network, engine: { extraArgs: HOSTILE } }),
      "chat",
    );
    out.push({ id: `${profile} server`, c: single, role: "server" });
    for (const launcher of ["mp", "ray"] as const) {
      const multi = validateVllmServerArgs(
        baseArgs({
          network,
          launcher,
          parallelism: { tensor: 2, nodes: 2 },
          engine: { extraArgs: HOSTILE },
        }),
        "chat",
      );
      for (const role of ["leader", "worker"] as VllmRole[]) {
        out.push({ id: `${profile} ${launcher} ${role}`, c: multi, role });
      }
    }
  }
  return out;
}

/** The argv words that follow `word` in `argv`. */
function argAfter(argv: string[], word: string): string | undefined {
  const i = argv.indexOf(word);
  return i < 0 ? undefined : argv[i + 1];
}

/**
 * The Ray worker waits for the head's GCS port: a real listener on a loopback address of its
 * own (the kernel completes the handshake even while the test blocks on bash).
 */
const RAY_HEAD = "127.77.0.1";
let closeRayHead: () => Promise<void>;
beforeAll(async () => {
  closeRayHead = await listenOn(RAY_HEAD, 6379);
});
afterAll(() => closeRayHead());

describe("hostile words in extraArgs reach vLLM verbatim and inert (bash + stubs)", () => {
  for (const { id, c, role } of shapes()) {
    it(id, () => {
      const ray = c.launcher === "ray" && role === "worker";
      const run = runWithStubs(
        roleScript(c, role),
        ray ? { LWS_LEADER_ADDRESS: RAY_HEAD, LEADER_NAME: RAY_HEAD } : {},
      );
      expect(run.status, run.stderr).toBe(0);
      expect(existsSync(join(run.dir, "pwned")), "a hostile word ran a command").toBe(false);
      const argv = ray ? run.calls.ray : run.calls.vllm;
      expect(argv, `no ${ray ? "ray" : "vllm"} call`).toBeDefined();
      expect(JSON.stringify(argv)).not.toContain(TOKEN);
      if (ray) {
        // A Ray worker never runs vLLM: it only joins the head.
        expect(run.calls.vllm).toBeUndefined();
        expect(argv).toEqual(["start", `--address=${RAY_HEAD}:6379`, "--block"]);
        return;
      }
      expect(argv.slice(0, 2)).toEqual(["serve", "Qwen/Qwen3-8B"]);
      expect(argAfter(argv, "--served-model-name")).toBe("qwen3");
      // The hostile words arrive one argv word each, exactly as configured.
      const start = argv.indexOf(HOSTILE[0]);
      expect(argv.slice(start, start + HOSTILE.length)).toEqual(HOSTILE);
      if (c.launcher === "mp" && role !== "server") {
        // The typed placeholders DO expand, to LWS's values.
        expect(argAfter(argv, "--nnodes")).toBe("2");
        expect(argAfter(argv, "--node-rank")).toBe("1");
        expect(argAfter(argv, "--master-addr")).toBe("vllm-0.vllm.llm");
        expect(argv.includes("--headless")).toBe(role === "worker");
      }
    });
  }
});

describe("served model names", () => {
  it("are rejected when hostile, naming the field", () => {
    for (const servedName of [...HOSTILE, "a b", "", "-flag", "x".repeat(129), "naïve"]) {
      const attempt = () =>
        validateVllmServerArgs(baseArgs({ model: { id: "Qwen/Qwen3-8B", servedName } }), "chat");
      expect(attempt, JSON.stringify(servedName)).toThrow(ConfigError);
      try {
        attempt();
      } catch (e) {
        expect((e as ConfigError).problems.map((p) => p.path)).toEqual(["model.servedName"]);
      }
    }
  });

  it("are rejected by the home lab's stack key, naming it", () => {
    const example = exampleConfig("homelab", {});
    const settings = (servedModelName: string) =>
      homelabSettings(
        readRawConfig((k) =>
          k === "servedModelName" ? servedModelName : example[`llm-serving:${k}`],
        ),
      );
    expect(settings("qwen3").servedModelName).toBe("qwen3");
    for (const name of HOSTILE) {
      expect(() => settings(name), JSON.stringify(name)).toThrow(ConfigError);
      try {
        settings(name);
      } catch (e) {
        expect((e as ConfigError).problems.map((p) => p.path)).toEqual(["servedModelName"]);
      }
    }
  });

  it("accept the names models use", () => {
    for (const servedName of ["qwen3", "Qwen/Qwen3-8B", "llama-3.1:8b-instruct", "gpt_oss+v2.0"]) {
      const c = validateVllmServerArgs(
        baseArgs({ model: { id: "Qwen/Qwen3-8B", servedName } }),
        "chat",
      );
      expect(c.model.servedName).toBe(servedName);
    }
  });

  it("stay inert even if validation were bypassed (defence in depth)", () => {
    const valid = validateVllmServerArgs(
      baseArgs({ launcher: "mp", parallelism: { tensor: 2, nodes: 2 } }),
      "chat",
    );
    for (const servedName of HOSTILE) {
      const c = { ...valid, model: { ...valid.model, servedName } };
      for (const role of ["leader", "worker"] as VllmRole[]) {
        const run = runWithStubs(roleScript(c, role));
        expect(run.status, run.stderr).toBe(0);
        expect(existsSync(join(run.dir, "pwned"))).toBe(false);
        expect(argAfter(run.calls.vllm, "--served-model-name")).toBe(servedName);
        expect(JSON.stringify(run.calls.vllm)).not.toContain(TOKEN);
      }
    }
  });
});

describe("placeholders are marked by type", () => {
  it("a string that looks like an expansion is quoted; only a ShellVar expands", () => {
    expect(renderWord('"${LWS_LEADER_ADDRESS}"')).toBe(`'"\${LWS_LEADER_ADDRESS}"'`);
    expect(renderWord("${HF_TOKEN}")).toBe("'${HF_TOKEN}'");
    expect(renderWord(new ShellVar("LWS_LEADER_ADDRESS"))).toBe('"${LWS_LEADER_ADDRESS}"');
  });

  it("a ShellVar takes only shell identifiers", () => {
    for (const bad of ["", "1X", "A-B", "X}", "$(id)", "A B"]) {
      expect(() => new ShellVar(bad), bad).toThrow(/not a shell variable name/);
    }
  });

  it("--api-key as a literal flag is refused: the key belongs in a Secret", () => {
    expect(() =>
      validateVllmServerArgs(baseArgs({ engine: { extraArgs: ["--api-key=abc"] } }), "chat"),
    ).toThrow(/apiKeySecret/);
  });
});
