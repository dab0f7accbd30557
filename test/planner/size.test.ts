import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runSize, type SizeReport } from "../../cli/size";

function run(argv: string[]) {
  let stdout = "";
  let stderr = "";
  const code = runSize(argv, {
    stdout: { write: (t: string) => (stdout += t) },
    stderr: { write: (t: string) => (stderr += t) },
  });
  return { code, stdout, stderr };
}

describe("llm-serving size", () => {
  it("recommends TP ≥ 2 for Llama 3.1 70B on H100s, with numbers, in the issue's JSON shape", () => {
    const r = run(["--model", "meta-llama/Llama-3.1-70B-Instruct", "--gpu", "h100-80gb", "--json"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as SizeReport;
    expect(Object.keys(j)).toEqual([
      "model",
      "gpu",
      "tensor",
      "pipeline",
      "weightsGiBPerGpu",
      "kvCacheGiBPerGpu",
      "kvCacheTokens",
      "maxConcurrency",
      "fits",
      "recommendation",
    ]);
    expect(j.recommendation?.tensor).toBeGreaterThanOrEqual(2);
    expect(j.tensor).toBe(j.recommendation?.tensor);
    expect(j.weightsGiBPerGpu).toBeGreaterThan(10);
    expect(j.kvCacheTokens).toBeGreaterThan(131072);
    expect(j.maxConcurrency).toEqual({ tokensPerRequest: 131072, x: expect.any(Number) });
    expect(j.fits).toBe(true);
  });

  it("gives the home-lab example's figures for Qwen3-32B on two GB10s", () => {
    const r = run([
      "--gpu",
      "gb10",
      "--model",
      "Qwen/Qwen3-32B",
      "--tensor",
      "2",
      "--nodes",
      "2",
      "--json",
    ]);
    const j = JSON.parse(r.stdout) as SizeReport;
    expect(r.code).toBe(0);
    expect([j.tensor, j.pipeline]).toEqual([2, 1]);
    expect(j.weightsGiBPerGpu).toBeCloseTo(30.51, 1);
    expect(j.maxConcurrency?.tokensPerRequest).toBe(40960);
    expect(j.fits).toBe(true);
  });

  it("says a shape that cannot hold the weights does not fit (exit 1)", () => {
    const r = run([
      "--model",
      "meta-llama/Llama-3.1-405B-Instruct",
      "--gpu",
      "h100-80gb",
      "--tensor",
      "4",
      "--json",
    ]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as SizeReport;
    expect(j.fits).toBe(false);
    expect(j.recommendation?.pipeline).toBeGreaterThanOrEqual(2);
  });

  it("reads any model from a local config.json, and --dtype overrides its precision", () => {
    const dir = mkdtempSync(join(tmpdir(), "size-"));
    const file = join(dir, "config.json");
    writeFileSync(
      file,
      JSON.stringify({
        hidden_size: 4096,
        num_hidden_layers: 32,
        num_attention_heads: 32,
        num_key_value_heads: 8,
        intermediate_size: 14336,
        vocab_size: 32768,
        max_position_embeddings: 32768,
        torch_dtype: "bfloat16",
      }),
    );
    const bf16 = JSON.parse(
      run(["--hf-config", file, "--gpu", "l4", "--tensor", "1", "--json"]).stdout,
    ) as SizeReport;
    const int4 = JSON.parse(
      run(["--hf-config", file, "--gpu", "l4", "--tensor", "1", "--dtype", "int4", "--json"])
        .stdout,
    ) as SizeReport;
    expect(int4.weightsGiBPerGpu).toBeLessThan((bf16.weightsGiBPerGpu ?? 0) / 2);
    expect(int4.fits).toBe(true);
  });

  it("takes --gpu-memory-gib for GPUs outside the catalog", () => {
    const r = run(["--model", "Qwen/Qwen3-8B", "--gpu-memory-gib", "31.5", "--json"]);
    expect(JSON.parse(r.stdout).gpu).toBe("custom-31.5gib");
  });

  it("rejects bad input with exit code 2 and says what to do", () => {
    for (const [argv, text] of [
      [["--model", "nope/nope", "--gpu", "h100-80gb"], "--hf-config"],
      [["--model", "Qwen/Qwen3-8B", "--gpu", "h300"], "gb10"],
      [["--model", "Qwen/Qwen3-8B"], "--gpu"],
      [["--model", "Qwen/Qwen3-8B", "--gpu", "l4", "--tensor", "0"], "--tensor"],
      [["--model", "Qwen/Qwen3-8B", "--gpu", "l4", "--dtype", "fp4"], "--dtype"],
      [["--model", "Qwen/Qwen3-8B", "--gpu", "l4", "--bogus"], "Unknown option"],
    ] as [string[], string][]) {
      const r = run(argv);
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toContain(text);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
