import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { remoteInvocation } from "../../components/microk8s/scripts/common";

/** Directory of the stub commands (`snap`, `microk8s`, `sudo`, …) put first on PATH. */
export const STUBS = join(__dirname, "stubs");

/** How a sandboxed host starts out. */
export interface HostSetup {
  /** `/etc/os-release` ID. Defaults to ubuntu. */
  osId?: string;
  /** `uname -m`. Defaults to aarch64. */
  arch?: string;
  /** `hostname`. Defaults to spark-1. */
  hostname?: string;
  /** Free KiB `df` reports. Defaults to 500 GiB. */
  availKiB?: number;
  /** A working NVIDIA driver: nvidia-smi, /dev/nvidia0, the nvidia module. */
  gpu?: boolean;
  /** Only parts of the driver stack (overrides `gpu` per item). */
  nvidiaSmi?: boolean;
  devNodes?: boolean;
  nvidiaModule?: boolean;
  /** IPv4 addresses on the host's interfaces. */
  addresses?: string[];
  /** `sudo -n true` fails (sudo would prompt). */
  sudoNeedsPassword?: boolean;
  /** MicroK8s already installed from this channel. */
  installedChannel?: string;
  /** Nodes the controller's API server knows, all Ready. */
  nodes?: string[];
  /** The node already joined a cluster (clustered.lock present). */
  joined?: boolean;
  /** `microk8s remove-node` fails. */
  removeNodeFails?: boolean;
  /** The controller whose cluster agent `microk8s join` reaches (a worker's sandbox). */
  controller?: Sandbox;
  /** A directory at /var/lib/kubelet, left by another Kubernetes. */
  kubeletDir?: boolean;
  /** RDMA devices under /sys/class/infiniband, with their port state (e.g. `4: ACTIVE`). */
  rdma?: Record<string, string>;
}

/** One run of a script in a sandbox. */
export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Stub calls made during this run, `CHANGE …` or `READ …`. */
  calls: string[];
}

/** A fake host: a root directory the scripts see through `LLMS_HOST_ROOT`, plus stub state. */
export class Sandbox {
  readonly root: string;
  readonly state: string;
  readonly log: string;

  constructor(setup: HostSetup = {}) {
    const dir = mkdtempSync(join(tmpdir(), "mk8s-sandbox-"));
    this.root = join(dir, "root");
    this.state = join(dir, "state");
    this.log = join(dir, "calls.log");
    mkdirSync(join(this.root, "etc"), { recursive: true });
    mkdirSync(join(this.root, "dev"), { recursive: true });
    mkdirSync(join(this.root, "var"), { recursive: true });
    mkdirSync(join(this.root, "run/lock"), { recursive: true });
    mkdirSync(this.state, { recursive: true });
    writeFileSync(this.log, "");
    writeFileSync(
      join(this.root, "etc/os-release"),
      `NAME="Ubuntu"\nVERSION_ID="24.04"\nID=${setup.osId ?? "ubuntu"}\nID_LIKE=debian\n`,
    );
    const put = (name: string, value = "") => writeFileSync(join(this.state, name), value);
    if (setup.arch) put("arch", setup.arch);
    if (setup.hostname) put("hostname", setup.hostname);
    if (setup.availKiB !== undefined) put("avail_kib", String(setup.availKiB));
    if (setup.nvidiaSmi ?? setup.gpu) put("gpu");
    if (setup.nvidiaModule ?? setup.gpu) put("nvidia_module");
    if (setup.devNodes ?? setup.gpu) {
      writeFileSync(join(this.root, "dev/nvidia0"), "");
      writeFileSync(join(this.root, "dev/nvidiactl"), "");
    }
    put("addresses", (setup.addresses ?? []).join("\n"));
    if (setup.sudoNeedsPassword) put("sudo_needs_password");
    if (setup.removeNodeFails) put("remove_node_fails");
    put("nodes", (setup.nodes ?? []).map((n) => `${n} True\n`).join(""));
    if (setup.installedChannel) {
      // Install through the stub itself, so the sandbox looks exactly like a real install.
      this.run(`snap install microk8s --classic --channel=${setup.installedChannel}\n`);
      writeFileSync(this.log, "");
    }
    if (setup.controller) {
      put("controller_root", setup.controller.root);
      put("controller_state", setup.controller.state);
    }
    if (setup.kubeletDir) mkdirSync(this.path("/var/lib/kubelet/pods"), { recursive: true });
    for (const [dev, state] of Object.entries(setup.rdma ?? {})) {
      mkdirSync(this.path(`/sys/class/infiniband/${dev}/ports/1`), { recursive: true });
      writeFileSync(this.path(`/sys/class/infiniband/${dev}/ports/1/state`), `${state}\n`);
    }
    if (setup.joined) {
      mkdirSync(this.path("/var/snap/microk8s/current/var/lock"), { recursive: true });
      writeFileSync(this.path("/var/snap/microk8s/current/var/lock/clustered.lock"), "");
    }
  }

  /** A host path inside the sandbox. */
  path(hostPath: string): string {
    return join(this.root, hostPath);
  }

  /** Reads a host file inside the sandbox. */
  read(hostPath: string): string {
    return readFileSync(this.path(hostPath), "utf8");
  }

  /** Reads a stub state file (e.g. `channel`, `groups`, `nodes`). */
  stateFile(name: string): string {
    return readFileSync(join(this.state, name), "utf8");
  }

  /**
   * Runs `script` the way `remote.Command` does (the {@link remoteInvocation} command line
   * handed to a POSIX `sh`), with the stubs first on PATH and `stdin` as its input.
   */
  run(script: string, stdin = ""): RunResult {
    const before = readFileSync(this.log, "utf8").length;
    const result = spawnSync("sh", ["-c", remoteInvocation(script)], {
      input: stdin,
      encoding: "utf8",
      env: {
        PATH: `${STUBS}:${process.env.PATH}`,
        LLMS_HOST_ROOT: this.root,
        STUB_STATE: this.state,
        STUB_LOG: this.log,
        HOME: this.root,
        LANG: "C.UTF-8",
        LLMS_RETRY_SLEEP: "0",
      },
      timeout: 15_000,
    });
    const calls = readFileSync(this.log, "utf8").slice(before).split("\n").filter(Boolean);
    return { status: result.status, stdout: result.stdout, stderr: result.stderr, calls };
  }
}

/** The state-changing calls among `calls` (the stubs mark them `CHANGE`). */
export function changes(calls: readonly string[]): string[] {
  return calls.filter((c) => c.startsWith("CHANGE "));
}
