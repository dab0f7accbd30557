import { describe, expect, it } from "vitest";
import { a3UltraPodNetworks } from "../../components/gke/networks";
import {
  GIB_HOST_PATH,
  GIB_MOUNT_PATH,
  NETWORK_PROFILE_NAMES,
  networkProfile,
  placementProblems,
  requiredPodSecurity,
} from "../../components/nccl/profiles";
import { ConfigError } from "../../components/validation";

const roce = {
  profile: "roce-hostnet" as const,
  socketInterface: "enp1s0f1np1",
  ibHcas: ["rocep1s0f1"],
};

function problems(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

function envOf(p: ReturnType<typeof networkProfile>): Record<string, string | undefined> {
  return Object.fromEntries(p.env.map((e) => [e.name, e.value]));
}

describe("network profiles", () => {
  it("default to tcp, with NCCL_DEBUG=WARN and no privileges", () => {
    const p = networkProfile();
    expect(p.name).toBe("tcp");
    expect(envOf(p)).toEqual({ NCCL_DEBUG: "WARN", NCCL_IB_DISABLE: "1" });
    expect(p.podSecurity).toBe("baseline");
    expect(p.hostNetwork).toBe(false);
  });

  it("let NCCL_DEBUG be overridden on every profile", () => {
    for (const profile of NETWORK_PROFILE_NAMES) {
      const args =
        profile === "roce-hostnet"
          ? { ...roce, ncclDebug: "INFO" as const }
          : { profile, ncclDebug: "INFO" as const };
      expect(envOf(networkProfile(args)).NCCL_DEBUG).toBe("INFO");
    }
  });

  it("nvlink places exactly one node", () => {
    const p = networkProfile({ profile: "nvlink" });
    expect(placementProblems(p, 1, 8)).toEqual([]);
    const [problem] = placementProblems(p, 2, 8);
    expect(problem.field).toBe("nodes");
    expect(problem.message).toMatch(/at most 1/);
    expect(p.podSecurity).toBe("baseline");
  });

  it("roce-hostnet: host network, IPC_LOCK, the interface and HCAs for NCCL and Gloo", () => {
    const p = networkProfile({ ...roce, ibHcas: ["rocep1s0f1", "roceP2p1s0f1"], ibGidIndex: 3 });
    expect(p.hostNetwork).toBe(true);
    expect(p.dnsPolicy).toBe("ClusterFirstWithHostNet");
    expect(p.capabilities).toEqual(["IPC_LOCK"]);
    expect(p.privileged).toBe(true);
    expect(envOf(p)).toEqual({
      NCCL_DEBUG: "WARN",
      NCCL_SOCKET_IFNAME: "enp1s0f1np1",
      VLLM_PORT: "29600",
      GLOO_SOCKET_IFNAME: "enp1s0f1np1",
      NCCL_IB_HCA: "rocep1s0f1,roceP2p1s0f1",
      NCCL_IB_DISABLE: "0",
      NCCL_IB_GID_INDEX: "3",
    });
    expect(p.podSecurity).toBe("privileged");
    expect(placementProblems(p, 2, 1)).toEqual([]);
  });

  it("roce-hostnet with an RDMA device plugin requests it instead of running privileged", () => {
    const p = networkProfile({ ...roce, rdmaResource: "rdma/rdma_shared_device_a" });
    expect(p.privileged).toBe(false);
    expect(p.resources).toEqual({ "rdma/rdma_shared_device_a": "1" });
    expect(p.podSecurity).toBe("privileged");
  });

  it("gke-rdma attaches default plus every A3 Ultra network, in NIC order", () => {
    const p = networkProfile({ profile: "gke-rdma" });
    expect(p.annotations["networking.gke.io/default-interface"]).toBe("eth0");
    const interfaces = JSON.parse(p.annotations["networking.gke.io/interfaces"]);
    expect(interfaces[0]).toEqual({ interfaceName: "eth0", network: "default" });
    expect(interfaces.slice(1).map((i: { network: string }) => i.network)).toEqual(
      a3UltraPodNetworks().map((n) => n.name),
    );
    expect(interfaces.map((i: { interfaceName: string }) => i.interfaceName)).toEqual(
      interfaces.map((_: unknown, i: number) => `eth${i}`),
    );
  });

  it("gke-rdma mounts gIB, sources set_nccl_env.sh and adds its libraries", () => {
    const p = networkProfile({ profile: "gke-rdma" });
    expect(p.volumes).toContainEqual({ name: "gib", hostPath: { path: GIB_HOST_PATH } });
    expect(p.volumeMounts).toContainEqual({
      name: "gib",
      mountPath: GIB_MOUNT_PATH,
      readOnly: true,
    });
    // Every host directory (gIB, the driver libraries) is mounted read-only.
    const hostVolumes = p.volumes.filter((v) => v.hostPath).map((v) => v.name);
    expect(hostVolumes).toHaveLength(2);
    for (const name of hostVolumes) {
      expect(p.volumeMounts.find((m) => m.name === name)?.readOnly).toBe(true);
    }
    expect(p.preamble).toContain(`source ${GIB_MOUNT_PATH}/scripts/set_nccl_env.sh`);
    expect(p.preamble).toContain(
      'export LD_LIBRARY_PATH="/usr/local/gib/lib64:/usr/local/nvidia/lib64${LD_LIBRARY_PATH:+:${LD_LIBRARY_PATH}}"',
    );
    const source = p.preamble.findIndex((l) => l.startsWith("source "));
    expect(p.preamble.findIndex((l) => l.startsWith("if [ ! -r"))).toBeLessThan(source);
    expect(p.capabilities).toContain("IPC_LOCK");
    expect(p.podSecurity).toBe("privileged");
    expect(placementProblems(p, 4, 8)).toEqual([]);
    expect(placementProblems(p, 2, 16).map((x) => x.field)).toEqual(["gpusPerNode"]);
  });

  it("rejects missing and misplaced parameters, each by path", () => {
    expect(problems(() => networkProfile({ profile: "roce-hostnet" }, "net"))).toEqual([
      { path: "net.socketInterface", message: expect.stringMatching(/RoCE interface/) },
      { path: "net.ibHcas", message: expect.stringMatching(/NCCL_IB_HCA/) },
    ]);
    expect(
      problems(() =>
        networkProfile({ profile: "gke-rdma", ibHcas: ["mlx5_0"], ibGidIndex: 3 }),
      ).map((p) => p.path),
    ).toEqual(["network.ibHcas", "network.ibGidIndex"]);
    expect(
      problems(() => networkProfile({ profile: "infiniband" as never })).map((p) => p.path),
    ).toEqual(["network.profile"]);
    expect(
      problems(() =>
        networkProfile({
          ...roce,
          socketInterface: "this-name-is-too-long",
          ncclDebug: "LOUD" as never,
        }),
      ).map((p) => p.path),
    ).toEqual(["network.socketInterface", "network.ncclDebug"]);
  });

  it("derives the Pod Security level from what the pods need", () => {
    const none = { hostNetwork: false, privileged: false, capabilities: [], volumes: [] };
    expect(requiredPodSecurity(none)).toBe("baseline");
    expect(requiredPodSecurity({ ...none, capabilities: ["NET_BIND_SERVICE"] })).toBe("baseline");
    expect(requiredPodSecurity({ ...none, capabilities: ["IPC_LOCK"] })).toBe("privileged");
    expect(requiredPodSecurity({ ...none, hostNetwork: true })).toBe("privileged");
    expect(
      requiredPodSecurity({ ...none, volumes: [{ name: "x", hostPath: { path: "/x" } }] }),
    ).toBe("privileged");
  });
});
