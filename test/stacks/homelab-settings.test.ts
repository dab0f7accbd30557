import { describe, expect, it } from "vitest";
import { versions } from "../../components/versions";
import { homelabSettings } from "../../stacks/homelab-settings";
import { HOST_KEYS } from "../microk8s/fixtures";
import { problems, raw } from "../support/stack-config";

const spark = (n: number) => ({
  name: `spark-${n}`,
  host: `spark-${n}.lan`,
  hostKey: HOST_KEYS[n],
  roceAddress: `192.168.100.${n}`,
  nodeAddress: `10.0.0.${20 + n}`,
});
const lab = {
  controllerHost: "10.0.0.10",
  controllerHostKey: HOST_KEYS[0],
  workers: [spark(1), spark(2)],
  roceInterface: "enp1s0f0np0",
  roceHcas: ["rocep1s0f0", "roceP2p1s0f0"],
};

describe("homelabSettings", () => {
  it("reads workers as objects, derives addresses, pins and the NFS cache on the controller", () => {
    const s = homelabSettings(raw(lab));
    expect(s.controller).toEqual({
      host: "10.0.0.10",
      hostKey: HOST_KEYS[0],
      address: "10.0.0.10",
      nodeName: "",
    });
    expect(s.workers).toEqual([spark(1), spark(2)]);
    expect(s.workers.map((w) => w.roceAddress)).toEqual(["192.168.100.1", "192.168.100.2"]);
    expect(s.linkAddresses).toEqual({ "10.0.0.21": "192.168.100.1", "10.0.0.22": "192.168.100.2" });
    expect(s.roceHcas).toEqual(["rocep1s0f0", "roceP2p1s0f0"]);
    expect(s.ncclDebug).toBe("WARN");
    expect(s.tensorParallel).toBe(2);
    expect(s.microk8sChannel).toBe(versions.microk8sChannel);
    expect(s.image).toBe(versions.ngcVllmImage);
    expect(s.modelCache).toEqual({
      kind: "nfs",
      server: "10.0.0.10",
      path: "/srv/llm-serving/hf-cache",
    });
  });

  it("reports every missing or inconsistent key at once, by key", () => {
    const p = problems(() =>
      homelabSettings(
        raw({
          workers: [
            { name: "A", host: "a" },
            { ...spark(2), hostKey: `spark-2 ${HOST_KEYS[2]}` },
          ],
          modelCache: "nfs2",
          ncclDebug: "LOUD",
        }),
      ),
    );
    expect(Object.keys(p).sort()).toEqual(
      [
        "controllerHost",
        "controllerHostKey",
        "modelCache",
        "ncclDebug",
        "roceHcas",
        "roceInterface",
        "workers[0].name",
        "workers[0].hostKey",
        "workers[0].roceAddress",
        "workers[1].hostKey",
      ].sort(),
    );
    expect(p.controllerHost).toMatch(/pulumi config set controllerHost/);
    expect(p.controllerHostKey).toMatch(/ssh-keyscan -t ed25519/);
    expect(p["workers[1].hostKey"]).toMatch(/starts with a host name/);
  });

  it("keys each worker's RoCE address by its Kubernetes address: host when it is an IPv4", () => {
    const { nodeAddress: _, ...byIp } = { ...spark(1), host: "10.0.0.31" };
    const s = homelabSettings(
      raw({ ...lab, workers: [byIp, { ...spark(2), nodeAddress: "10.0.0.32" }] }),
    );
    expect(s.linkAddresses).toEqual({ "10.0.0.31": "192.168.100.1", "10.0.0.32": "192.168.100.2" });
    const { nodeAddress: __, ...byName } = spark(1);
    const p = problems(() => homelabSettings(raw({ ...lab, workers: [byName, spark(2)] })));
    expect(Object.keys(p)).toEqual(["workers[0].nodeAddress"]);
    expect(p["workers[0].nodeAddress"]).toMatch(/INTERNAL-IP/);
  });

  it("rejects a machine, name or RoCE address listed twice", () => {
    const p = problems(() =>
      homelabSettings(
        raw({
          ...lab,
          workers: [
            { ...spark(1), host: "10.0.0.10" },
            { ...spark(2), name: "spark-1", roceAddress: "192.168.100.1" },
          ],
        }),
      ),
    );
    expect(p["workers[0].host"]).toMatch(/also controllerHost/);
    expect(p["workers[1].name"]).toMatch(/also workers\[0\]\.name/);
    expect(p["workers[1].roceAddress"]).toMatch(/also workers\[0\]\.roceAddress/);
  });

  it.each([
    "/",
    "/etc",
    "/usr/share/hf",
    "/var",
    "/root",
    "/boot",
    "/home",
    "/proc",
    "/sys",
    "/dev",
  ])("refuses the system path %s as modelCachePath (nfs and hostPath)", (path) => {
    for (const modelCache of ["nfs", "hostPath"]) {
      // modelStore hub: a prefetched (cache) store also refuses hostPath, by modelStore.
      const p = problems(() =>
        homelabSettings(raw({ ...lab, modelCache, modelCachePath: path, modelStore: "hub" })),
      );
      expect(Object.keys(p)).toEqual(["modelCachePath"]);
      expect(p.modelCachePath).toMatch(/system directory/);
    }
  });
});
