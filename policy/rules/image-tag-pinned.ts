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
        if (typeof c.image !== "string" || c.image.trim() === "") continue;
        const { tag, digest } = imageReference(c.image.trim());
        const where = `${describeTemplate(t)}: container "${containerName(c)}" image ${c.image}`;
        if (requireDigest && !digest) {
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
