import { configBoolean, configStrings } from "./config";
import { allContainersOf, containerName, describeTemplate, podTemplates } from "./podspecs";
import type { Finding, K8sObject, ResourceRule, RuleConfig } from "./types";
import { uniqueFindings } from "./workload";

/** The tag of an image reference (undefined when untagged), and whether it has a digest. */
export function imageReference(image: string): { tag: string | undefined; digest: boolean } {
  const [name, digest] = image.split("@");
  const slash = (name as string).lastIndexOf("/");
  const colon = (name as string).lastIndexOf(":");
  return {
    tag: colon > slash ? (name as string).slice(colon + 1) : undefined,
    digest: digest !== undefined,
  };
}

// The reference grammar of distribution/reference (regexp.go): path components are lowercase
// alphanumerics joined by `.`, `_`, `__` or dashes; a tag is `[\w][\w.-]{0,127}`. The first of
// several components is a registry host when it has a `.` or `:`, is `localhost`, or has an
// upper-case letter (splitDockerDomain in normalize.go).
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

/**
 * True when `image` cannot be a reference at all: a template placeholder left in a published
 * manifest (`IMAGE_NAME`, `<image>`, `:${VERSION}`). The kubelet refuses such a pod with
 * `InvalidImageName`, so "no tag (means latest)" would be the wrong thing to say.
 * @param ref the image's {@link imageReference}, when the caller has it already.
 */
export function isPlaceholderImage(image: string, { tag } = imageReference(image)): boolean {
  const name = image.split("@")[0] as string;
  const path = tag === undefined ? name : name.slice(0, name.length - tag.length - 1);
  const parts = path.split("/");
  const first = parts[0] as string;
  const host =
    parts.length > 1 &&
    (first.includes(".") ||
      first.includes(":") ||
      first === "localhost" ||
      first !== first.toLowerCase());
  const components = host ? parts.slice(1) : parts;
  if (components.length === 0 || !components.every((c) => PATH_COMPONENT.test(c))) return true;
  return tag !== undefined && !TAG.test(tag);
}

/**
 * vLLM's flags, defaults and multi-node launcher change between releases (Ray left the stock
 * images; `--nnodes` arrived in 0.11): an untagged or `latest` image changes behaviour on the
 * next pull, and nodes of one group can run different versions.
 */
export const imageTagPinned: ResourceRule = {
  id: "image-tag-pinned",
  scope: "resource",
  description:
    "Every container image names a version (a tag other than latest, or a digest), so a node pull cannot change vLLM's flags or launcher under a running group.",
  enforcementLevel: "advisory",
  remediationSteps:
    "Use a released tag such as `vllm/vllm-openai:v0.11.0` (or pin a digest `@sha256:…`); bump it deliberately.",
  configSchema: {
    forbiddenTags: {
      type: "array",
      description: "Tags that do not pin a version.",
      default: ["latest"],
    },
    requireDigest: {
      type: "boolean",
      description: "Require an `@sha256:` digest instead of a tag.",
      default: false,
    },
  },
  validate(object: K8sObject, config: RuleConfig): Finding[] {
    const forbidden = configStrings(config, "forbiddenTags", ["latest"]);
    const requireDigest = configBoolean(config, "requireDigest", false);
    const findings: Finding[] = [];
    for (const t of podTemplates(object)) {
      for (const c of allContainersOf(t.spec)) {
        const image = typeof c.image === "string" ? c.image.trim() : "";
        if (image === "") continue;
        const ref = imageReference(image);
        const { tag, digest } = ref;
        const where = `${describeTemplate(t)}: container "${containerName(c)}" image ${c.image}`;
        if (isPlaceholderImage(image, ref)) {
          findings.push({
            message: `${where} is not an image reference but a placeholder; the kubelet refuses it (InvalidImageName). Fill in a released, pinned image.`,
          });
        } else if (requireDigest && !digest) {
          findings.push({ message: `${where} has no digest; pin it with @sha256:….` });
        } else if (!digest && tag === undefined) {
          findings.push({
            message: `${where} has no tag (means latest); pin a released version tag.`,
          });
        } else if (!digest && tag !== undefined && forbidden.includes(tag)) {
          findings.push({
            message: `${where} uses the floating tag "${tag}"; pin a released version tag.`,
          });
        }
      }
    }
    return uniqueFindings(findings);
  },
};
