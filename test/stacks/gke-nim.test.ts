/**
 * The GKE stack's optional NIM server: its config keys, the NGC key check, its `VllmServer`
 * args and placement beside the vLLM shapes, and its curl line (pure; the full `plan gke`
 * run with the NIM on is in plan-stacks.test.ts).
 */
import { describe, expect, it } from "vitest";
import { versions } from "../../components/versions";
import { vllmServerPlan } from "../../components/vllm/plan";
import { chatCurl } from "../../stacks/curl";
import { gkeServerArgs, SHARED_NODE_GROUP } from "../../stacks/gke-servers";
import { gkeSettings } from "../../stacks/gke-settings";
import { requireNgcApiKey } from "../../stacks/ngc-key";
import { problems, raw } from "../support/stack-config";

const gke = {
  gcpProject: "my-project-123",
  gcpZone: "europe-west1-b",
  reservation: "a3u-res",
  masterAuthorizedCidrs: ["203.0.113.0/24"],
};

describe("nimEnabled", () => {
  it("is off by default: no NIM server, no NGC key needed", () => {
    const s = gkeSettings(raw(gke));
    expect(s.models.map((m) => m.name)).not.toContain("nim");
  });

  it("adds a one-GPU NIM on the shared node, serving nimModel with the pinned NIM", () => {
    const s = gkeSettings(raw({ ...gke, nimEnabled: "true" }));
    const m = s.models.find((x) => x.name === "nim");
    expect(m).toMatchObject({
      runtime: "nim",
      id: "meta-llama/Llama-3.1-8B-Instruct",
      gpusPerNode: 1,
    });
    const args = gkeServerArgs(s, m as NonNullable<typeof m>);
    expect(args).toMatchObject({
      runtime: "nim",
      image: versions.nimImage,
      packGroup: SHARED_NODE_GROUP,
    });
    expect(args.apiKeySecret).toBeUndefined();
    expect(args.tokenSecret).toBeUndefined();
    const plan = vllmServerPlan(args, "nim");
    expect(plan.config.nim?.imagePullSecret).toBe("ngc-registry");
    expect(plan.memory?.verdict).toBe("fits");
  });

  it("an unset NGC key is a ConfigError naming ngcApiKey; a set one passes through", () => {
    const p = problems(() => requireNgcApiKey(undefined));
    expect(Object.keys(p)).toEqual(["ngcApiKey"]);
    expect(p.ngcApiKey).toMatch(/pulumi config set --secret ngcApiKey/);
    expect(requireNgcApiKey("secret-output")).toBe("secret-output");
  });

  it("another nimModel needs its own nimImage; a given image is validated as a NIM", () => {
    const other = { ...gke, nimEnabled: "true", nimModel: "Qwen/Qwen3-8B" };
    expect(problems(() => gkeSettings(raw(other))).nimImage).toMatch(
      /set nimImage to the NIM for Qwen\/Qwen3-8B/,
    );
    const notNim = { ...other, nimImage: "vllm/vllm-openai:v0.31.0" };
    expect(problems(() => gkeSettings(raw(notNim))).nimImage).toMatch(/nvcr.io\/nim/);
    const qwen = { ...other, nimImage: "nvcr.io/nim/example-org/example-model:1.0.0" };
    expect(gkeSettings(raw(qwen)).nimImage).toBe(qwen.nimImage);
  });

  it("counts in the placement check: the pool must still hold every server", () => {
    const full = { ...gke, nimEnabled: "true", oneNodeTensorParallel: "8", gpuNodeCount: "1" };
    expect(problems(() => gkeSettings(raw(full))).gpuNodeCount).toMatch(/nimEnabled/);
  });
});

describe("the NIM's curl line", () => {
  it("sends no API key (NIM has none) while the vLLM line still requires one", () => {
    const base = { stack: "gke", namespace: "llm", service: "nim-api", port: 8000, model: "m" };
    const nim = chatCurl(base);
    expect(nim).not.toContain("VLLM_API_KEY");
    expect(nim).not.toContain("-H @-");
    const vllm = chatCurl({ ...base, apiKeyOutput: "apiKey" });
    expect(vllm).toMatch(/^: "\$\{VLLM_API_KEY:\?/);
    expect(vllm).toContain("| curl -sS http://localhost:8000/v1/chat/completions -H @- -H");
  });
});
