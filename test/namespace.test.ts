import { describe, expect, it } from "vitest";
import { podSecurityNamespace } from "../components/namespace";
import { expectValidManifest } from "./support/k8s-schema";

describe("podSecurityNamespace", () => {
  it("enforces and warns at the level, over any other labels", () => {
    const ns = podSecurityNamespace("llm", "baseline", {
      team: "ml",
      "pod-security.kubernetes.io/enforce": "privileged",
    });
    expectValidManifest(ns);
    expect(ns.metadata?.labels).toEqual({
      team: "ml",
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "baseline",
    });
  });
});
