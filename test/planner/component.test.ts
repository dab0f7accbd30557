import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type Recording, recordRegistrations } from "../../cli/recorder";
import { ConfigError } from "../../components/validation";
import { VllmServer } from "../../components/vllm/server";

let rec: Recording;
let before = 0;
let tooBig: unknown;
const warn = vi.spyOn(console, "warn").mockImplementation(() => {});

beforeAll(async () => {
  rec = await recordRegistrations({ project: "llm-serving", stack: "test" });
  try {
    // The home lab's two DGX Sparks asked to serve Llama 3.1 405B in bf16.
    new VllmServer("huge", {
      model: { id: "meta-llama/Llama-3.1-405B-Instruct" },
      gpuType: "gb10",
      parallelism: { tensor: 2, pipeline: 1, nodes: 2, gpusPerNode: 1 },
      engine: { gpuMemoryUtilization: 0.7 },
    });
  } catch (e) {
    tooBig = e;
  }
  await rec.settle();
  before = rec.resources.length;
  new VllmServer("thin", {
    model: { id: "meta-llama/Llama-3.1-70B-Instruct" },
    gpuType: "h100-80gb",
    parallelism: { tensor: 2 },
    engine: { maxModelLen: 16384, gpuMemoryUtilization: 0.95 },
  });
  await rec.settle();
});
afterAll(() => warn.mockRestore());

describe("VllmServer with the planner", () => {
  it("a model too big for its shape fails at config time and registers nothing", () => {
    expect(tooBig).toBeInstanceOf(ConfigError);
    expect((tooBig as ConfigError).message).toMatch(/parallelism\.tensor: .*needs ≥ \d+ gb10/);
    expect(before).toBe(0);
  });

  it("a thin KV cache deploys with a warning and the estimate on the workload", () => {
    expect(rec.resources.length).toBeGreaterThan(before);
    expect(warn.mock.calls.flat().join("\n")).toMatch(
      /Llama-3\.1-70B-Instruct on 2 × h100-80gb: .*requests of 16384 tokens/,
    );
    const d = rec.resources.find((r) => r.name === "thin-deployment");
    if (!d) throw new Error("no thin-deployment");
    const annotations = (d.inputs.metadata as { annotations: Record<string, string> }).annotations;
    expect(annotations["llm-serving.dev/memory-estimate"]).toMatch(
      /^TP 2 × PP 1: weights 65\.7 GiB\/GPU/,
    );
  });
});
