/** Preflight failures of the MicroK8s scripts, in stub sandboxes: each says what to fix and changes nothing. */
import { describe, expect, it } from "vitest";
import { installScript } from "../../components/microk8s/scripts/install";
import { preflightScript } from "../../components/microk8s/scripts/preflight";
import { changes, Sandbox } from "./sandbox";
import { CHANNEL } from "./script-steps";

describe("preflight failures say what to fix and change nothing", () => {
  const gpuPreflight = preflightScript({
    role: "worker",
    gpu: true,
    channel: CHANNEL,
    minFreeDiskGiB: 20,
  });
  const plain = { role: "worker", gpu: false, channel: CHANNEL, minFreeDiskGiB: 1 };
  const rdma = preflightScript({ ...plain, rdmaDevices: ["rocep1s0f0", "roceP2p1s0f0"] });
  const cases: Array<[string, ConstructorParameters<typeof Sandbox>[0], string, RegExp]> = [
    ["sudo prompts", { gpu: true, sudoNeedsPassword: true }, gpuPreflight, /passwordless sudo/],
    ["not Ubuntu", { gpu: true, osId: "fedora" }, gpuPreflight, /runs 'fedora'.*Ubuntu only/],
    [
      "unknown architecture",
      { gpu: true, arch: "riscv64" },
      gpuPreflight,
      /riscv64.*x86_64 or aarch64/,
    ],
    [
      "disk too small",
      { gpu: true, availKiB: 1024 * 1024 },
      gpuPreflight,
      /1 GiB free.*need 20 GiB/,
    ],
    ["nvidia-smi fails", { gpu: true, nvidiaSmi: false }, gpuPreflight, /nvidia-smi fails/],
    ["no /dev/nvidia*", { gpu: true, devNodes: false }, gpuPreflight, /no \/dev\/nvidia/],
    ["no nvidia module", { gpu: true, nvidiaModule: false }, gpuPreflight, /module is not loaded/],
    [
      "version skew",
      { gpu: true, installedChannel: "1.32/stable" },
      gpuPreflight,
      /version skew.*1\.32\/stable.*pinned to 1\.36\/stable/,
    ],
    [
      "a leftover /var/lib/kubelet directory",
      { gpu: true, kubeletDir: true },
      gpuPreflight,
      /\/var\/lib\/kubelet .* directory left by another Kubernetes/,
    ],
    [
      "one half of the RoCE port missing",
      { rdma: { rocep1s0f0: "4: ACTIVE" } },
      rdma,
      /RDMA device roceP2p1s0f0 not found/,
    ],
    [
      "a RoCE half down",
      { rdma: { rocep1s0f0: "4: ACTIVE", roceP2p1s0f0: "1: DOWN" } },
      rdma,
      /roceP2p1s0f0 .* not ACTIVE \(1: DOWN\)/,
    ],
    [
      "address not on the host",
      { addresses: ["10.0.0.5"] },
      preflightScript({ ...plain, role: "controller", address: "192.168.1.10" }),
      /address 192\.168\.1\.10 is not assigned/,
    ],
    [
      "node name differs from the hostname",
      { hostname: "spark-2" },
      preflightScript({ ...plain, nodeName: "spark-1" }),
      /nodeName is spark-1 but .* register as spark-2/,
    ],
  ];
  it.each(cases)("%s", (_, setup, script, message) => {
    const box = new Sandbox(setup);
    const result = box.run(script);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe("");
    expect(changes(result.calls)).toEqual([]);
  });

  it("MicroK8s' own /var/lib/kubelet symlink passes", () => {
    const box = new Sandbox({ installedChannel: CHANNEL });
    const result = box.run(preflightScript(plain));
    expect(result.status, result.stderr).toBe(0);
  });

  it("install refuses another channel too (never an upgrade)", () => {
    const box = new Sandbox({ installedChannel: "1.35/stable" });
    const result = box.run(
      installScript({ channel: CHANNEL, holdRefresh: true, readyTimeoutSeconds: 5 }),
    );
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/version skew/);
    expect(changes(result.calls)).toEqual([]);
  });
});
