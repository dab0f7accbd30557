import { describe, expect, it } from "vitest";
import { evaluateManifests } from "../../policy/engine";
import { objectsOf, PROFILE_ARGS, plan, SHAPES } from "./fixtures";

describe("the project's policy pack", () => {
  it("finds nothing to object to in any shape x profile x launcher", () => {
    let evaluated = 0;
    for (const [shape, parallelism] of Object.entries(SHAPES)) {
      const nodes = parallelism?.nodes ?? 1;
      for (const [profile, network] of Object.entries(PROFILE_ARGS)) {
        if (profile === "nvlink" && nodes > 1) continue;
        for (const launcher of nodes > 1 ? (["mp", "ray"] as const) : [undefined]) {
          const objects = objectsOf(
            plan({
              parallelism,
              network,
              launcher,
              createNamespace: true,
              // The ray launcher needs an image with Ray; stock vllm/vllm-openai dropped it in
              // v0.19.0 (kubernetes-sigs/lws#835) and vllm-multinode-launcher says so.
              ...(launcher === "ray"
                ? { image: "registry.example.com/ml/vllm-openai-ray:v0.31.0" }
                : {}),
            }),
          );
          const found = evaluateManifests(
            objects.map((object, i) => ({
              object: object as never,
              id: `${shape}/${profile}#${i}`,
            })),
          ).filter(
            // Issue 9's security rules (advisory) report what its VllmServer changes fix: the
            // API key Secret and read-only driver mounts. They are asserted once those land.
            (v) => !["vllm-api-auth", "host-driver-mount-readonly"].includes(v.policy),
          );
          expect(found, `${shape}, ${profile}, ${launcher ?? "single node"}`).toEqual([]);
          evaluated++;
        }
      }
    }
    expect(evaluated).toBe(3 * 4 + 2 * 3 * 2);
  });
});
