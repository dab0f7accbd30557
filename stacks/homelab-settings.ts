import { z } from "zod";
import { parseOrThrow } from "../components/validation";
import { versions } from "../components/versions";
import type { RawConfig } from "./raw-config";

/** One SSH-reachable machine of the home lab. */
export interface HomelabNode {
  /** SSH host (name or address). */
  host: string;
  /** Address on the cluster network (joins, kubeconfig, NFS). */
  address: string;
  /** Kubernetes node name (its hostname); empty lets MicroK8s use the hostname. */
  nodeName: string;
}

/** The validated home-lab stack settings. */
export interface HomelabSettings {
  sshUser: string;
  sshPort: number;
  controller: HomelabNode;
  workers: HomelabNode[];
  roceInterface: string;
  roceHcas: string[];
  microk8sChannel: string;
  gpuOperatorChart: string;
  lwsVersion: string;
  purgeOnDestroy: boolean;
  namespace: string;
  image: string;
  model: string;
  servedModelName: string;
  maxModelLen: number;
  /** One GPU per DGX Spark: the tensor-parallel size is the number of workers. */
  tensorParallel: number;
  modelCache:
    | { kind: "nfs"; server: string; path: string }
    | { kind: "hostPath"; path: string }
    | { kind: "pvc"; storageClass: string; size: string };
}

const notEmpty = (hint: string) => z.string().min(1, `required for the homelab stack: ${hint}`);
const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const schema = z
  .object({
    sshUser: notEmpty("pulumi config set sshUser ubuntu"),
    sshPort: z.number().int().min(1).max(65535),
    controllerHost: notEmpty("pulumi config set controllerHost <controller address>"),
    controllerAddress: z.string(),
    controllerName: z.union([
      z.literal(""),
      z.string().regex(dnsLabel, "must be a lowercase DNS label (the node's hostname)"),
    ]),
    workerHosts: z
      .array(z.string().min(1))
      .min(
        1,
        "required for the homelab stack: pulumi config set --path 'workerHosts[0]' <gpu node>",
      ),
    workerAddresses: z.array(z.string().min(1)),
    workerNames: z.array(
      z.string().regex(dnsLabel, "must be a lowercase DNS label (the node's hostname)"),
    ),
    roceInterface: notEmpty("the RoCE netdev, e.g. pulumi config set roceInterface enp1s0f0np0"),
    roceHcas: z
      .array(z.string().min(1))
      .min(1, "required for the homelab stack: pulumi config set --path 'roceHcas[0]' rocep1s0f0"),
    microk8sChannel: z.string(),
    gpuOperatorChart: z.string(),
    lwsVersion: z.string(),
    purgeOnDestroy: z.boolean(),
    namespace: z.string().regex(dnsLabel, "must be a lowercase DNS label"),
    vllmImage: z.string(),
    model: z.string().regex(/^[\w.-]+\/[\w.-]+$/, "must be a Hugging Face id like org/name"),
    servedModelName: z.string(),
    maxModelLen: z.number().int().min(256),
    modelCache: z.enum(["nfs", "hostPath", "pvc"], {
      message: "must be nfs, hostPath or pvc",
    }),
    modelCachePath: z.string(),
    modelCacheStorageClass: z.string(),
    modelCacheSize: z.string(),
  })
  .superRefine(
    (c, ctx) => {
      for (const key of ["workerAddresses", "workerNames"] as const) {
        if (c[key].length > 0 && c[key].length !== c.workerHosts.length) {
          ctx.addIssue({
            code: "custom",
            path: [key],
            message: `has ${c[key].length} entries for ${c.workerHosts.length} workerHosts: give one per worker, in the same order, or none`,
          });
        }
      }
      const hosts = [c.controllerHost, ...c.workerHosts];
      const dup = hosts.find((h, i) => hosts.indexOf(h) !== i);
      if (dup) {
        ctx.addIssue({
          code: "custom",
          path: ["workerHosts"],
          message: `${dup} appears twice: every node is a different machine`,
        });
      }
      if (c.modelCache !== "pvc" && !c.modelCachePath.startsWith("/")) {
        ctx.addIssue({
          code: "custom",
          path: ["modelCachePath"],
          message: "must be an absolute path",
        });
      }
      if (c.modelCache === "pvc" && c.modelCacheStorageClass === "") {
        ctx.addIssue({
          code: "custom",
          path: ["modelCacheStorageClass"],
          message: "modelCache pvc needs a ReadWriteMany StorageClass (pulumi config set …)",
        });
      }
    },
    // readRawConfig already typed every key, so cross-key checks can run even when a
    // single key failed: the user sees every problem in one run.
    { when: () => true },
  );

/**
 * Validates the home-lab settings: every problem is reported at once, by config key.
 * @throws ConfigError before any resource exists.
 */
export function homelabSettings(raw: RawConfig): HomelabSettings {
  const c = parseOrThrow(schema, raw, "homelab stack config");
  const controllerAddress = c.controllerAddress || c.controllerHost;
  const workers = c.workerHosts.map((host, i) => ({
    host,
    address: c.workerAddresses[i] ?? host,
    nodeName: c.workerNames[i] ?? "",
  }));
  const modelCache: HomelabSettings["modelCache"] =
    c.modelCache === "nfs"
      ? { kind: "nfs", server: controllerAddress, path: c.modelCachePath }
      : c.modelCache === "hostPath"
        ? { kind: "hostPath", path: c.modelCachePath }
        : { kind: "pvc", storageClass: c.modelCacheStorageClass, size: c.modelCacheSize };
  return {
    sshUser: c.sshUser,
    sshPort: c.sshPort,
    controller: { host: c.controllerHost, address: controllerAddress, nodeName: c.controllerName },
    workers,
    roceInterface: c.roceInterface,
    roceHcas: c.roceHcas,
    microk8sChannel: c.microk8sChannel || versions.microk8sChannel,
    gpuOperatorChart: c.gpuOperatorChart || versions.gpuOperatorChart,
    lwsVersion: c.lwsVersion || versions.leaderWorkerSet,
    purgeOnDestroy: c.purgeOnDestroy,
    namespace: c.namespace,
    image: c.vllmImage || versions.ngcVllmImage,
    model: c.model,
    servedModelName: c.servedModelName || c.model,
    maxModelLen: c.maxModelLen,
    tensorParallel: workers.length,
    modelCache,
  };
}
