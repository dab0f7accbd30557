import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../components/validation";
import { type VllmServerArgs, validateVllmServerArgs } from "../../components/vllm/args";
import { baseArgs, PROFILE_ARGS } from "./fixtures";

function problems(args: VllmServerArgs, root = ""): Record<string, string> {
  try {
    validateVllmServerArgs(args, "chat", root);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    expect(e.message).toContain('VllmServer "chat"');
    return Object.fromEntries(e.problems.map((p) => [p.path, p.message]));
  }
  throw new Error("expected a ConfigError");
}

describe("validateVllmServerArgs", () => {
  it("applies the documented defaults", () => {
    const c = validateVllmServerArgs({ model: { id: "gpt2" } }, "chat");
    expect(c).toMatchObject({
      name: "chat",
      namespace: "default",
      createNamespace: false,
      model: { id: "gpt2", servedName: "gpt2" },
      parallelism: { tensor: 1, pipeline: 1, nodes: 1, gpusPerNode: 1 },
      replicas: 1,
      launcher: "mp",
      port: 8000,
      shmSize: "16Gi",
      resources: { cpu: "2", memory: "16Gi" },
      startupTimeoutSeconds: 3600,
    });
    expect(c.network.name).toBe("tcp");
    expect(c.tokenSecret).toBeUndefined();
    expect(
      validateVllmServerArgs({ ...baseArgs(), tokenSecret: { name: "hf" } }, "x").tokenSecret,
    ).toEqual({
      name: "hf",
      key: "token",
    });
  });

  it("derives gpusPerNode from TP x PP / nodes", () => {
    const c = validateVllmServerArgs(
      baseArgs({ parallelism: { tensor: 8, pipeline: 2, nodes: 2 } }),
      "chat",
    );
    expect(c.parallelism.gpusPerNode).toBe(8);
  });

  it("lists every problem at once, by path", () => {
    const found = problems({
      model: { id: "not a model id!" },
      replicas: 0,
      parallelism: { tensor: 4, pipeline: 1, nodes: 2, gpusPerNode: 4 },
      engine: { gpuMemoryUtilization: 1.2, extraArgs: ["--tensor-parallel-size=8"] },
      tokenSecret: { name: "" },
      image: "vllm/vllm-openai:latest",
      namespace: "LLM",
      launcher: "slurm" as never,
      modelCache: { claimName: "a", hostPath: "/b" },
    });
    expect(found).toEqual({
      "model.id": expect.stringMatching(/Hugging Face model id/),
      replicas: expect.stringMatching(/at least 1/),
      parallelism: expect.stringMatching(/4 × 1 = 4 but nodes × gpusPerNode = 2 × 4 = 8/),
      "engine.gpuMemoryUtilization": expect.stringMatching(/\(0, 1\]/),
      "engine.extraArgs[0]": expect.stringMatching(
        /--tensor-parallel-size is set by this component/,
      ),
      "tokenSecret.name": expect.stringMatching(/DNS subdomain/),
      image: expect.stringMatching(/latest/),
      namespace: expect.stringMatching(/DNS label/),
      launcher: expect.any(String),
      modelCache: expect.stringMatching(/exactly one/),
    });
  });

  it("GPU memory utilization must be a fraction in (0, 1]", () => {
    for (const bad of [0, -0.1, 1.01]) {
      expect(problems(baseArgs({ engine: { gpuMemoryUtilization: bad } }))).toEqual({
        "engine.gpuMemoryUtilization": expect.stringMatching(/\(0, 1\]/),
      });
    }
    expect(
      validateVllmServerArgs(baseArgs({ engine: { gpuMemoryUtilization: 1 } }), "x").engine,
    ).toMatchObject({
      gpuMemoryUtilization: 1,
    });
  });

  it("a multi-node server needs a launcher vLLM knows", () => {
    expect(
      problems(baseArgs({ parallelism: { tensor: 2, nodes: 2 }, launcher: "torchrun" as never })),
    ).toEqual({
      launcher: expect.stringMatching(/mp|ray/),
    });
  });

  it("prefixes paths with the config root", () => {
    expect(Object.keys(problems(baseArgs({ replicas: 0 }), "models[0]"))).toEqual([
      "models[0].replicas",
    ]);
  });

  it("rejects a GPU count the profile cannot place", () => {
    expect(
      problems(
        baseArgs({
          parallelism: { tensor: 2, nodes: 2, gpusPerNode: 1 },
          network: { profile: "nvlink" },
        }),
      ),
    ).toEqual({ "parallelism.nodes": expect.stringMatching(/nvlink profile places at most 1/) });
    expect(
      problems(
        baseArgs({
          parallelism: { tensor: 16, nodes: 1, gpusPerNode: 16 },
          network: { profile: "gke-rdma" },
        }),
      ),
    ).toEqual({ "parallelism.gpusPerNode": expect.stringMatching(/at most 8/) });
  });

  it("rejects uneven and straddling splits", () => {
    expect(problems(baseArgs({ parallelism: { tensor: 3, nodes: 2 } }))).toEqual({
      "parallelism.gpusPerNode": expect.stringMatching(/do not split evenly over 2 nodes/),
    });
    expect(
      problems(baseArgs({ parallelism: { tensor: 3, pipeline: 2, nodes: 3, gpusPerNode: 2 } })),
    ).toEqual({
      "parallelism.tensor": expect.stringMatching(/straddle nodes/),
    });
  });

  it("ray only for multi-node servers (mp, the default, is fine anywhere), never on its own port", () => {
    expect(problems(baseArgs({ launcher: "ray" }))).toEqual({
      launcher: expect.stringMatching(/only starts multi-node/),
    });
    expect(validateVllmServerArgs(baseArgs({ launcher: "mp" }), "x").launcher).toBe("mp");
    expect(
      problems(baseArgs({ parallelism: { tensor: 2, nodes: 2 }, launcher: "ray", port: 6379 })),
    ).toEqual({ port: expect.stringMatching(/ray launcher's own port/) });
    expect(problems(baseArgs({ parallelism: { tensor: 2, nodes: 2 }, port: 29501 }))).toEqual({
      port: expect.stringMatching(/mp launcher's own port/),
    });
  });

  it("rejects network parameters under the network path", () => {
    expect(
      problems(baseArgs({ network: { profile: "roce-hostnet", socketInterface: "eth0" } })),
    ).toEqual({
      "network.ibHcas": expect.stringMatching(/NCCL_IB_HCA/),
    });
  });

  it("rejects a missing token secret name and unknown fields", () => {
    expect(problems(baseArgs({ tokenSecret: {} as { name: string } }))).toEqual({
      "tokenSecret.name": expect.any(String),
    });
    expect(Object.keys(problems({ ...baseArgs(), gpus: 2 } as VllmServerArgs))).toEqual([""]);
  });

  it("creating the default namespace is refused", () => {
    expect(problems(baseArgs({ namespace: "default", createNamespace: true }))).toEqual({
      namespace: expect.stringMatching(/always exists/),
    });
  });

  it("any TP x PP != nodes x gpusPerNode is rejected at parallelism", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        (tensor, pipeline, nodes, gpusPerNode) => {
          fc.pre(tensor * pipeline !== nodes * gpusPerNode);
          const found = problems(
            baseArgs({
              parallelism: { tensor, pipeline, nodes, gpusPerNode },
              network: PROFILE_ARGS.tcp,
            }),
          );
          expect(found.parallelism).toMatch(/one worker per GPU/);
        },
      ),
      { numRuns: 100 },
    );
  });
});
