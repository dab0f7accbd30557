/**
 * What each provider answers when the engine asks it to diff a resource: which changed
 * properties replace it (instead of updating it in place) and whether it asks to delete the old
 * one first. Only what was read in the providers' sources is modelled:
 *
 * - pulumi-command v1.2.1 (`provider/pkg/provider/common/inputs.go`): `triggers` is tagged
 *   `provider:"replaceOnChanges"`; every other input change is an update, which runs `update`
 *   (or `create` again) in place (`remote/commandController.go`, `Update`).
 * - pulumi-kubernetes v4.32 (`provider/pkg/provider/provider.go` `Diff`,
 *   `provider/pkg/provider/diff.go` `forceNew`): `metadata.name`/`namespace` and the per-kind
 *   immutable fields replace; a replaced object that keeps its user-given name and namespace is
 *   deleted first; Helm releases (`helm_release.go`) replace on `name`/`namespace`.
 *
 * Any other type: the provider's schema decides (e.g. Terraform's ForceNew for GCP), which
 * `plan` cannot see offline; its changes are shown as updates marked "not modelled".
 * Pure and SDK-free.
 */

import { kindOfType } from "../policy/objects";
import { autoName } from "./plan-mocks";
import {
  formatPath,
  hasPath,
  type PathSegment,
  parsePath,
  pathContains,
  valueAt,
} from "./plan-paths";

/** A provider's diff rules for one resource type. */
export interface ProviderModel {
  /** Why a change at `path` replaces the resource (the property that forces it), or undefined. */
  replaceReason(path: readonly PathSegment[], olds: Inputs, news: Inputs): string | undefined;
  /** True if the provider itself asks to delete the old resource before creating the new one. */
  deleteBeforeReplace(olds: Inputs, news: Inputs, name: string): boolean;
  /** Inputs as the provider compares them (its defaults filled in). */
  normalize(inputs: Inputs): Inputs;
  /** False when the provider's replace rules are not known offline. */
  modelled: boolean;
}

type Inputs = Record<string, unknown>;

const identity = (inputs: Inputs) => inputs;

/** pulumi-command: only `triggers` replaces. */
const COMMAND: ProviderModel = {
  replaceReason: (path) => (path[0] === "triggers" ? "triggers" : undefined),
  deleteBeforeReplace: () => false,
  normalize: identity,
  modelled: true,
};

const COMMAND_TYPES = new Set([
  "command:remote:Command",
  "command:local:Command",
  "command:remote:CopyToRemote",
]);

/** Components and the stack: the engine compares their inputs; nothing replaces them. */
const COMPONENT: ProviderModel = {
  replaceReason: () => undefined,
  deleteBeforeReplace: () => false,
  normalize: identity,
  modelled: true,
};

const UNMODELLED: ProviderModel = { ...COMPONENT, modelled: false };

const HELM_RELEASE: ProviderModel = {
  replaceReason: (path) =>
    path.length === 1 && (path[0] === "name" || path[0] === "namespace")
      ? String(path[0])
      : undefined,
  deleteBeforeReplace: () => false,
  normalize: identity,
  modelled: true,
};

const LABEL_SELECTOR = (prefix: string) => [
  prefix,
  `${prefix}.matchExpressions`,
  `${prefix}.matchLabels`,
];

const CONTAINER_FIELDS = [
  "args",
  "command",
  "env",
  "image",
  "imagePullPolicy",
  "lifecycle",
  "livenessProbe",
  "ports",
  "readinessProbe",
  "resources",
  "securityContext",
  "stdin",
  "stdinOnce",
  "terminationMessagePath",
  "terminationMessagePolicy",
  "tty",
  "volumeDevices",
  "volumeMounts",
  "workingDir",
];

const POD_SPEC_FIELDS = [
  "affinity",
  "automountServiceAccountToken",
  "dnsConfig",
  "dnsPolicy",
  "enableServiceLinks",
  "hostAliases",
  "hostIPC",
  "hostNetwork",
  "hostPID",
  "hostname",
  "imagePullSecrets",
  "nodeName",
  "nodeSelector",
  "overhead",
  "preemptionPolicy",
  "priority",
  "priorityClassName",
  "readinessGates",
  "restartPolicy",
  "runtimeClassName",
  "schedulerName",
  "securityContext",
  "serviceAccount",
  "serviceAccountName",
  "shareProcessNamespace",
  "subdomain",
  "terminationGracePeriodSeconds",
  "volumes",
];

/** pulumi-kubernetes `forceNew`, by `group/version` and kind (core group as `v1`). */
const FORCE_NEW: Record<string, string[]> = {
  "apps/Deployment": LABEL_SELECTOR(".spec.selector"),
  "apps/DaemonSet": LABEL_SELECTOR(".spec.selector"),
  "apps/StatefulSet": [
    ".spec.podManagementPolicy",
    ".spec.revisionHistoryLimit",
    ".spec.serviceName",
    ".spec.volumeClaimTemplates",
    ...LABEL_SELECTOR(".spec.selector"),
  ],
  "batch/Job": [
    ".spec.completions",
    ".spec.parallelism",
    ".spec.template",
    ...LABEL_SELECTOR(".spec.selector"),
  ],
  "core/PersistentVolume": [".spec.csi", ".spec.hostPath", ".spec.local", ".spec.nfs"],
  "core/PersistentVolumeClaim": [
    ".spec.accessModes",
    ".spec.storageClassName",
    ".spec.volumeName",
    ...LABEL_SELECTOR(".spec.selector"),
  ],
  "core/Pod": [
    ...POD_SPEC_FIELDS.map((f) => `.spec.${f}`),
    ...CONTAINER_FIELDS.flatMap((f) => [
      `.spec.containers[*].${f}`,
      `.spec.initContainers[*].${f}`,
    ]),
  ],
  "core/ResourceQuota": [".spec.scopes"],
  // Secrets and ConfigMaps are immutable to the provider unless `enableSecretMutable` /
  // `enableConfigMapMutable` is set on it (both off by default in v4).
  "core/Secret": [".type", ".stringData", ".data"],
  "core/ConfigMap": [".binaryData", ".data"],
  "core/Service": [".spec.clusterIP"],
  "rbac.authorization.k8s.io/RoleBinding": [".roleRef"],
  "rbac.authorization.k8s.io/ClusterRoleBinding": [".roleRef"],
  "storage.k8s.io/StorageClass": [".parameters", ".provisioner"],
};

/** Kinds without a namespace (the provider asks the API server; these are the built-in ones). */
const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "PersistentVolume",
  "ClusterRole",
  "ClusterRoleBinding",
  "CustomResourceDefinition",
  "StorageClass",
  "PriorityClass",
  "RuntimeClass",
  "IngressClass",
  "CSIDriver",
  "CSINode",
  "VolumeAttachment",
  "MutatingWebhookConfiguration",
  "ValidatingWebhookConfiguration",
  "ValidatingAdmissionPolicy",
  "ValidatingAdmissionPolicyBinding",
  "APIService",
  "GKENetworkParamSet",
  "Network",
]);

/** The paths (parsed) that force a new object of this type. */
function forceNewPaths(type: string, apiVersion: string, kind: string): PathSegment[][] {
  const identityPaths = [".metadata.name", ".metadata.namespace"];
  // `…Patch` resources change everything else in place.
  const patch = type.endsWith(`:${kind}Patch`);
  const group = apiVersion.includes("/") ? apiVersion.slice(0, apiVersion.indexOf("/")) : "core";
  const own = patch ? [] : (FORCE_NEW[`${group}/${kind}`] ?? []);
  return [...identityPaths, ...own].map(parsePath);
}

function metadataOf(inputs: Inputs): Record<string, unknown> {
  const m = inputs.metadata;
  return typeof m === "object" && m !== null ? (m as Record<string, unknown>) : {};
}

function kubernetesModel(type: string, apiVersion: string, kind: string): ProviderModel {
  const kindName = kind.replace(/Patch$/, "");
  const forceNew = forceNewPaths(type, apiVersion, kindName);
  const namespaced = !CLUSTER_SCOPED.has(kindName);
  return {
    replaceReason(path, olds, news) {
      if (path.length === 1 && path[0] === "metadata" && news.metadata === undefined) {
        return "metadata";
      }
      for (const f of forceNew) {
        // A change at or under an immutable field, or a change of a whole subtree holding one.
        if (pathContains(f, path)) return formatPath(f);
        if (path.length < f.length && pathContains(path, f.slice(0, path.length))) {
          const rest = f.slice(path.length);
          if (hasPath(valueAt(news, path), rest) || hasPath(valueAt(olds, path), rest)) {
            return formatPath(f);
          }
        }
      }
      return undefined;
    },
    deleteBeforeReplace(olds, news, name) {
      // The provider deletes first when the replacement must reuse the user-given name.
      const o = metadataOf(olds);
      const n = metadataOf(news);
      return (
        typeof n.name === "string" &&
        n.name !== autoName(name) &&
        n.name === o.name &&
        (n.namespace ?? "") === (o.namespace ?? "")
      );
    },
    normalize(inputs) {
      const metadata = metadataOf(inputs);
      const namespace = namespaced ? (metadata.namespace ?? "default") : undefined;
      return { ...inputs, metadata: { ...metadata, namespace } };
    },
    modelled: true,
  };
}

/** The diff rules of the provider behind `type` (`custom` false: a component). */
export function providerModel(type: string, custom: boolean): ProviderModel {
  if (!custom) return COMPONENT;
  if (COMMAND_TYPES.has(type)) return COMMAND;
  if (type === "kubernetes:helm.sh/v3:Release") return HELM_RELEASE;
  const gvk = kindOfType(type.replace(/Patch$/, ""));
  if (gvk) return kubernetesModel(type, gvk.apiVersion, type.split(":")[2]);
  return UNMODELLED;
}
