/**
 * Pre-pulling serving images onto GPU nodes: a DaemonSet whose init containers each run one
 * image (tens of GB for vLLM or NIM) just long enough to be pulled, then a pause container
 * holds the pod, so the images stay referenced and the kubelet's image GC keeps them. A
 * replacement vLLM pod then starts without waiting on a registry. Generic: any list of images.
 */
import type { IDaemonSet } from "kubernetes-models/apps/v1/DaemonSet";
import type { IContainer } from "kubernetes-models/v1/Container";
import type { IToleration } from "kubernetes-models/v1/Toleration";
import { z } from "zod";
import { parseOrThrow, pinnedImageSchema } from "../validation";

/** The pause image the DaemonSet idles in (registry.k8s.io, what the kubelet itself uses). */
export const PAUSE_IMAGE = "registry.k8s.io/pause:3.10";

/** What to pre-pull where. */
export interface ImagePrePullOptions {
  /** DaemonSet name. */
  name: string;
  namespace: string;
  /** Images to keep on every selected node, pinned by tag or digest. */
  images: string[];
  /** Node labels of the nodes to pull on (the GPU nodes). */
  nodeSelector: Record<string, string>;
  /** Tolerations those nodes need. */
  tolerations?: IToleration[];
  /** RuntimeClass, when the images need one to start (they do not: `true` needs no GPU). */
  runtimeClassName?: string;
}

const schema = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label"),
    namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label"),
    images: z.array(pinnedImageSchema).min(1, "name at least one image"),
    nodeSelector: z.record(z.string(), z.string()),
    tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
    runtimeClassName: z.string().optional(),
  })
  .strict();

/** Least privilege for a container that only has to start: nobody, no capabilities, read-only root. */
const NOBODY = {
  runAsUser: 65534,
  runAsGroup: 65534,
  runAsNonRoot: true,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ["ALL"] },
};

/**
 * The pre-pull DaemonSet. Each init container runs `/bin/sh -c true` in its image (vLLM and
 * NIM images carry a shell): pulling is the work, running is a formality. Requests are tiny
 * so the pod never competes with vLLM for CPU or memory, and it asks for no GPU.
 * @throws ConfigError for an unpinned image or a bad name.
 */
export function imagePrePullDaemonSet(options: ImagePrePullOptions): IDaemonSet {
  const o = parseOrThrow(schema, options, "ImagePrePull");
  const labels = {
    "app.kubernetes.io/name": "image-prepull",
    "app.kubernetes.io/instance": o.name,
  };
  const small = { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } };
  const pulls: IContainer[] = [...new Set(o.images)].map((image, i) => ({
    name: `pull-${i}`,
    image,
    imagePullPolicy: "IfNotPresent",
    command: ["/bin/sh", "-c", "true"],
    resources: small,
    securityContext: NOBODY,
  }));
  return {
    apiVersion: "apps/v1",
    kind: "DaemonSet",
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels,
      // The first pull of a 20 GB image over a home link takes a while; Pulumi waits for
      // every node's pod to be ready, 10 minutes by default.
      annotations: { "pulumi.com/timeoutSeconds": "3600" },
    },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          nodeSelector: o.nodeSelector,
          ...(o.tolerations ? { tolerations: o.tolerations as IToleration[] } : {}),
          ...(o.runtimeClassName ? { runtimeClassName: o.runtimeClassName } : {}),
          initContainers: pulls,
          containers: [
            { name: "pause", image: PAUSE_IMAGE, resources: small, securityContext: NOBODY },
          ],
        },
      },
    },
  };
}
