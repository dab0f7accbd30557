import { describe, expect, it } from "vitest";
import {
  GKE_VERSION_FLOORS,
  gkeVersionAtLeast,
  resolveGkeGpuClusterConfig,
} from "../../components/gke/config";
import { ConfigError } from "../../components/validation";
import { versions } from "../../components/versions";

const base = {
  project: "llm-serving-prod",
  zone: "europe-west1-b",
  namePrefix: "llm",
  capacity: { mode: "reservation", reservation: "h200-res" },
  masterAuthorizedCidrs: ["203.0.113.0/24"],
};

/** The problems a config is rejected with, as `path: message` lines. */
function problems(args: unknown): string[] {
  try {
    resolveGkeGpuClusterConfig(args);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe("resolveGkeGpuClusterConfig", () => {
  it("derives the region from the zone and fills documented defaults", () => {
    const c = resolveGkeGpuClusterConfig(base);
    expect(c.region).toBe("europe-west1");
    expect(c.networking).toBe("explicit");
    expect(c.deletionProtection).toBe(true);
    expect(c.gpuPool).toMatchObject({ minNodes: 0, gpuDriverVersion: "LATEST" });
    expect(c.gibInstallerImage).toBe(versions.gibInstallerImage);
  });

  it("requires the control plane's authorized ranges, and refuses the whole internet", () => {
    const { masterAuthorizedCidrs: _, ...open } = base;
    expect(problems(open)[0]).toMatch(/^masterAuthorizedCidrs: /);
    expect(problems({ ...base, masterAuthorizedCidrs: [] })[0]).toMatch(
      /^masterAuthorizedCidrs: list at least one CIDR/,
    );
    expect(problems({ ...base, masterAuthorizedCidrs: ["0.0.0.0/0"] })[0]).toMatch(
      /^masterAuthorizedCidrs\[0\]: authorizes every address/,
    );
    expect(problems({ ...base, masterAuthorizedCidrs: ["10.0.0.1/8"] })[0]).toMatch(
      /^masterAuthorizedCidrs\[0\]: .*host bits set/,
    );
    expect(resolveGkeGpuClusterConfig(base).cloudNat).toBe(true);
  });

  it("rejects bad identity fields by path", () => {
    const p = problems({ ...base, project: "X", zone: "europe-west1", namePrefix: "Bad_Name" });
    expect(p.some((l) => l.startsWith("project:"))).toBe(true);
    expect(p.some((l) => l.startsWith("zone:"))).toBe(true);
    expect(p.some((l) => l.startsWith("namePrefix:"))).toBe(true);
  });

  it("caps the name prefix so derived names stay within GCP limits", () => {
    expect(problems({ ...base, namePrefix: "a".repeat(25) })[0]).toMatch(/^namePrefix: .*24/);
    expect(problems({ ...base, namePrefix: "ends-with-" })[0]).toMatch(/^namePrefix:/);
  });

  it("rejects negative node counts and min above max", () => {
    expect(problems({ ...base, gpuPool: { minNodes: -1 } })[0]).toMatch(/^gpuPool\.minNodes:/);
    expect(problems({ ...base, gpuPool: { minNodes: 3, maxNodes: 2 } })).toEqual([
      "gpuPool.minNodes: 3 is above gpuPool.maxNodes (2)",
    ]);
  });

  it("rejects unknown keys (typos) instead of ignoring them", () => {
    expect(problems({ ...base, capacity: { ...base.capacity, reservaton: "x" } })[0]).toMatch(
      /^capacity/,
    );
  });

  describe("capacity combinations", () => {
    it("needs a reservation name with mode reservation", () => {
      expect(problems({ ...base, capacity: { mode: "reservation" } })).toEqual([
        expect.stringMatching(/^capacity\.reservation: is required/),
      ]);
    });
    it("rejects a reservation with spot or flex-start", () => {
      for (const mode of ["spot", "flex-start"]) {
        expect(problems({ ...base, capacity: { mode, reservation: "r" } })).toEqual([
          expect.stringMatching(
            new RegExp(`^capacity\\.reservation: cannot be used with mode ${mode}`),
          ),
        ]);
      }
    });
    it("rejects an unknown mode, listing the allowed ones", () => {
      expect(problems({ ...base, capacity: { mode: "on-demand" } })[0]).toMatch(
        /^capacity\.mode: .*reservation, spot, flex-start/,
      );
    });
    it("allows queued provisioning only with flex-start, min nodes 0 and no compact placement", () => {
      expect(
        problems({ ...base, capacity: { ...base.capacity, queuedProvisioning: true } })[0],
      ).toMatch(/^capacity\.queuedProvisioning: only applies to mode flex-start/);
      expect(
        problems({
          ...base,
          gpuPool: { minNodes: 1 },
          capacity: { mode: "flex-start", queuedProvisioning: true, compactPlacement: true },
        }).sort(),
      ).toEqual([
        expect.stringMatching(/^capacity\.compactPlacement:/),
        expect.stringMatching(/^gpuPool\.minNodes: must be 0 with queued provisioning/),
      ]);
      expect(
        problems({ ...base, capacity: { mode: "flex-start", queuedProvisioning: true } }),
      ).toEqual([]);
    });
    it("caps flex-start run time at 7 days", () => {
      expect(
        problems({ ...base, capacity: { mode: "flex-start", maxRunDuration: "604801s" } })[0],
      ).toMatch(/^capacity\.maxRunDuration: flex-start VMs run at most 7 days/);
      expect(
        problems({ ...base, capacity: { mode: "flex-start", maxRunDuration: "3 days" } })[0],
      ).toMatch(/^capacity\.maxRunDuration:/);
    });
  });

  describe("address plan", () => {
    it("rejects overlapping gVNIC and RDMA ranges", () => {
      expect(problems({ ...base, gvnicCidr: "10.0.0.0/16", rdmaCidr: "10.0.128.0/18" })).toEqual([
        expect.stringMatching(/^rdmaCidr: 10\.0\.128\.0\/18 overlaps gvnicCidr/),
      ]);
    });
    it("rejects an RDMA range too small for eight /29 subnets and misaligned blocks", () => {
      expect(problems({ ...base, rdmaCidr: "10.1.0.0/27" })[0]).toMatch(
        /^rdmaCidr: must be \/26 or larger/,
      );
      expect(problems({ ...base, gvnicCidr: "10.2.0.1/24" })[0]).toMatch(/^gvnicCidr: .*host bits/);
    });
  });

  describe("versions", () => {
    it("compares GKE versions and aliases", () => {
      expect(gkeVersionAtLeast("1.31.4-gke.1183000", GKE_VERSION_FLOORS.a3UltraRdma)).toBe(true);
      expect(gkeVersionAtLeast("1.31.3-gke.9999999", GKE_VERSION_FLOORS.a3UltraRdma)).toBe(false);
      expect(gkeVersionAtLeast("1.31", GKE_VERSION_FLOORS.a3UltraRdma)).toBe(true);
      expect(gkeVersionAtLeast("1.30", GKE_VERSION_FLOORS.a3UltraRdma)).toBe(false);
    });
    it("rejects a minimum version below the floor of a feature in use", () => {
      expect(problems({ ...base, minMasterVersion: "1.30.9-gke.1" })[0]).toMatch(
        /^minMasterVersion: .*1\.31\.4-gke\.1183000.*GPUDirect RDMA/,
      );
      expect(
        problems({ ...base, capacity: { mode: "flex-start" }, minMasterVersion: "1.32.1" })[0],
      ).toMatch(/flex-start/);
      expect(problems({ ...base, networking: "auto", minMasterVersion: "1.33" })[0]).toMatch(
        /automated accelerator networking/,
      );
    });
  });
});
