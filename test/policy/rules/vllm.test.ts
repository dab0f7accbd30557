import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  expandKubernetesVars,
  expandShellVars,
  inlineScript,
  splitShell,
} from "../../../policy/rules/shell";
import {
  analyzeContainer,
  isVllmImage,
  parseVllmFlags,
  vllmReplicaSize,
  vllmWorldSize,
} from "../../../policy/rules/vllm";

describe("parseVllmFlags", () => {
  it.each([
    [["--tensor-parallel-size", "8"]],
    [["--tensor-parallel-size=8"]],
    [["--tensor_parallel_size", "8"]],
    [["--tensor_parallel_size=8"]],
    [["-tp", "8"]],
    [["-tp=8"]],
  ])("reads tensor parallelism 8 from %j", (args) => {
    expect(parseVllmFlags(["model", ...args]).tensorParallelSize).toBe(8);
  });

  it.each([
    [["--pipeline-parallel-size", "2"]],
    [["--pipeline_parallel_size", "2"]],
    [["--pipeline-parallel-size=2"]],
    [["-pp", "2"]],
  ])("reads pipeline parallelism 2 from %j", (args) => {
    expect(parseVllmFlags(args).pipelineParallelSize).toBe(2);
  });

  it("reads data parallelism, nnodes, node rank, headless and the executor backend", () => {
    const f = parseVllmFlags([
      "m",
      "-dp",
      "4",
      "-dpl=2",
      "-n",
      "3",
      "-r1",
      "--headless",
      "--distributed_executor_backend=ray",
    ]);
    expect(f).toMatchObject({
      dataParallelSize: 4,
      dataParallelSizeLocal: 2,
      nnodes: 3,
      headless: true,
      distributedExecutorBackend: "ray",
    });
    expect(f.flags["node-rank"]).toBe("1");
    expect(parseVllmFlags(["--nnodes=2", "--node_rank", "0"]).nnodes).toBe(2);
    expect(parseVllmFlags(["-n2"]).nnodes).toBe(2);
  });

  it("counts prefill context parallelism into the world (vLLM's world_size), DP across replicas", () => {
    const f = parseVllmFlags(["m", "-tp", "4", "-pcp", "2", "--data_parallel_size=2"]);
    expect(f.prefillContextParallelSize).toBe(2);
    expect(vllmReplicaSize(f)).toBe(8);
    expect(vllmWorldSize(f)).toBe(16);
    expect(parseVllmFlags(["--prefill-context-parallel-size=3"]).prefillContextParallelSize).toBe(
      3,
    );
  });

  it("defaults to 1 when absent and null when the value is unresolvable", () => {
    const f = parseVllmFlags(["--model", "m", "--served-model-name", "x"]);
    expect([f.tensorParallelSize, f.pipelineParallelSize, f.dataParallelSize, f.nnodes]).toEqual([
      1, 1, 1, 1,
    ]);
    expect(f.headless).toBe(false);
    expect(f.dataParallelSizeLocal).toBeUndefined();
    expect(parseVllmFlags(["-tp", "$(TP)"]).tensorParallelSize).toBeNull();
    expect(vllmWorldSize(parseVllmFlags(["-tp", "$(TP)"]))).toBeNull();
  });

  it("treats absent flags as unknown when a --config file may set them", () => {
    const f = parseVllmFlags(["--config", "/etc/vllm/config.yaml", "-tp", "4"]);
    expect(f.tensorParallelSize).toBe(4);
    expect(f.pipelineParallelSize).toBeNull();
  });

  it("does not take the value of a value flag for another flag", () => {
    expect(parseVllmFlags(["--model", "-tp", "--port", "8000"]).tensorParallelSize).toBe(1);
  });

  it("multiplies TP × PP × DP (property)", () => {
    const spellings = [
      (n: string, v: number) => [`--${n}`, `${v}`],
      (n: string, v: number) => [`--${n}=${v}`],
      (n: string, v: number) => [`--${n.replace(/-/g, "_")}`, `${v}`],
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 16 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
        (tp, pp, s1, s2) => {
          const args = [
            "model",
            ...(spellings[s1] as (n: string, v: number) => string[])("tensor-parallel-size", tp),
            ...(spellings[s2] as (n: string, v: number) => string[])("pipeline-parallel-size", pp),
          ];
          expect(vllmWorldSize(parseVllmFlags(args))).toBe(tp * pp);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe("isVllmImage", () => {
  it.each([
    "vllm/vllm-openai:v0.11.0",
    "docker.io/vllm/vllm-openai@sha256:abcd",
    "lmcache/vllm-openai:latest",
    "vllm/vllm-openai-rocm:v0.11.0",
    "registry.example.com:5000/ml/vllm:0.11.0",
    "nvcr.io/nvidia/vllm:25.10-py3",
  ])("recognises %s", (image) => expect(isVllmImage(image)).toBe(true));
  it.each(["python:3.12", "lmcache/lmstack-router:latest", "ghcr.io/x/vllm-router:1", "vllmish:1"])(
    "does not take %s for vLLM",
    (image) => expect(isVllmImage(image)).toBe(false),
  );
});

describe("analyzeContainer", () => {
  it("reads command + args after Kubernetes $(VAR) expansion", () => {
    const l = analyzeContainer(
      {
        command: ["vllm", "serve"],
        args: ["m", "-tp", "8", "-pp", "$(LWS_GROUP_SIZE)", "--nnodes", "$(LWS_GROUP_SIZE)"],
      },
      { LWS_GROUP_SIZE: "2" },
    );
    expect(l.launches).toHaveLength(1);
    expect(l.launches[0]).toMatchObject({
      tensorParallelSize: 8,
      pipelineParallelSize: 2,
      nnodes: 2,
    });
  });

  it("assumes the vllm-openai entrypoint when only args are given", () => {
    const l = analyzeContainer({ image: "vllm/vllm-openai:v0.11.0", args: ["m", "-tp", "2"] }, {});
    expect(l.launches[0]?.tensorParallelSize).toBe(2);
  });

  it("reads args as the command for images whose entrypoint runs them (NGC)", () => {
    const l = analyzeContainer(
      { image: "nvcr.io/nvidia/vllm:25.10-py3", args: ["vllm", "serve", "m", "-tp", "2"] },
      {},
    );
    expect(l.launches[0]?.tensorParallelSize).toBe(2);
  });

  it("reads vLLM inside sh -c / bash -c scripts with ${VAR}, $VAR and assignments", () => {
    const l = analyzeContainer(
      {
        command: ["/bin/bash", "-o", "pipefail", "-ec"],
        args: [
          'source /usr/local/gib/scripts/set_nccl_env.sh\nTP=8\nexec vllm serve "$MODEL" \\\n  --tensor-parallel-size $TP --pipeline_parallel_size=${LWS_GROUP_SIZE} --nnodes ${LWS_GROUP_SIZE:-1}',
        ],
      },
      { LWS_GROUP_SIZE: "2", MODEL: "m" },
    );
    expect(l.sourcesGibEnv).toBe(true);
    expect(l.launches[0]).toMatchObject({
      tensorParallelSize: 8,
      pipelineParallelSize: 2,
      nnodes: 2,
    });
  });

  it("finds the api_server module, nested shells and both branches of an if", () => {
    const l = analyzeContainer(
      {
        command: ["sh", "-c"],
        args: [
          "ray start --head; bash -c 'python3 -m vllm.entrypoints.openai.api_server --tensor-parallel-size 4'; if [ $X = 0 ]; then vllm serve m -tp 2; else vllm serve m -tp 2 --headless; fi",
        ],
      },
      {},
    );
    expect(l.launches.map((f) => [f.tensorParallelSize, f.headless])).toEqual([
      [4, false],
      [2, false],
      [2, true],
    ]);
  });

  it("finds no launch in a Ray worker", () => {
    const l = analyzeContainer(
      { command: ["sh", "-c", "ray start --address=$(LWS_LEADER_ADDRESS):6379 --block"] },
      {},
    );
    expect(l.launches).toEqual([]);
  });
});

describe("shell reader", () => {
  it("splits commands on operators, keeps quotes and $(…) together, drops comments", () => {
    expect(splitShell("a 'b c' \"d $e\" && f $(g h) # comment\n  i\\\n j | k; `l m`")).toEqual([
      ["a", "b c", "d $e"],
      ["f", "$(g h)"],
      ["i", "j"],
      ["k"],
      ["`l m`"],
    ]);
  });

  it("expands Kubernetes $(VAR) with $$ escapes and leaves unknown references", () => {
    expect(expandKubernetesVars("$(A)-$$(A)-$(B)", { A: "1" })).toBe("1-$(A)-$(B)");
  });

  it("expands shell $VAR, ${VAR} and ${VAR:-default}", () => {
    expect(expandShellVars("$A ${A} ${B:-3} ${B-4} $B", { A: "1" })).toBe("1 1 3 4 $B");
  });

  it("finds the script of sh -c style invocations only", () => {
    expect(inlineScript(["bash", "-ec", "x"])).toBe("x");
    expect(inlineScript(["/bin/sh", "--login", "-c", "y"])).toBe("y");
    expect(inlineScript(["bash", "script.sh"])).toBeUndefined();
    expect(inlineScript(["python3", "-c", "print()"])).toBeUndefined();
  });
});
