/**
 * The prefetch Job: fills a model store once per cluster, before any server starts. Pure
 * builders of the script and the Job manifest.
 *
 * The script reads the revision's file list with sizes and hashes from the Hub API
 * (`GET /api/models/<id>/revision/<rev>?blobs=true`, what huggingface_hub's
 * `model_info(files_metadata=True)` asks for), downloads each file with `hf download` into a
 * scratch directory (huggingface_hub resumes an interrupted file from its `.incomplete`
 * part), checks it — size, then SHA-256 for LFS files and the git blob SHA-1 for the rest,
 * exactly the digests the Hub lists — and moves it into the store. A verified file leaves a
 * record; a re-run skips files whose record and size match, and a finished revision leaves a
 * `complete` marker holding the commit, so a second run only reads the file list. Every
 * download names the commit the list came from, so a branch moving mid-run cannot mix
 * revisions.
 *
 * User strings (model id, revision, paths) reach the script only as environment variables;
 * the script text is a constant.
 */
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IEnvVar } from "kubernetes-models/v1/EnvVar";
import type { IToleration } from "kubernetes-models/v1/Toleration";
import type { IVolume } from "kubernetes-models/v1/Volume";
import { LOAD_THROUGHPUT, modelWeightBytes, storePrefix } from "./store";

/** The constant prefetch script (bash). Inputs: see {@link prefetchEnv}. */
export const PREFETCH_SCRIPT = `set -euo pipefail
endpoint="\${HF_ENDPOINT:-https://huggingface.co}"
marker="\${STATE_DIR}/complete"
records="\${STATE_DIR}/verified"
files="\${SCRATCH_DIR}/files"
manifest="\${SCRATCH_DIR}/manifest.tsv"
mkdir -p "$records" "$files" "$STORE_DIR"

# The revision's commit, then one line per file: kind, digest, size, path. Standard library
# only, isolated (-I: no PYTHON* variables, no user site; -S: no site-packages).
python3 -I -S - "$endpoint" "$MODEL_ID" "$REVISION" > "$manifest" <<'PY'
import json, os, sys, urllib.parse, urllib.request
endpoint, repo, revision = sys.argv[1:4]
url = "%s/api/models/%s/revision/%s?blobs=true" % (
    endpoint, repo, urllib.parse.quote(revision, safe=""))
request = urllib.request.Request(url)
if os.environ.get("HF_TOKEN"):
    request.add_header("Authorization", "Bearer " + os.environ["HF_TOKEN"])
with urllib.request.urlopen(request, timeout=60) as response:
    info = json.load(response)
print(info["sha"])
for sibling in info["siblings"]:
    name = sibling["rfilename"]
    parts = name.split("/")
    if name.startswith("/") or "\\t" in name or "\\n" in name or ".." in parts or "." in parts:
        sys.exit("refusing file name %r: it would leave the store" % name)
    lfs = sibling.get("lfs")
    if lfs:
        print("sha256\\t%s\\t%d\\t%s" % (lfs["sha256"], lfs["size"], name))
    else:
        print("gitsha1\\t%s\\t%d\\t%s" % (sibling["blobId"], sibling["size"], name))
PY
commit="$(head -n 1 "$manifest")"
if [ -f "$marker" ] && [ "$(cat "$marker")" = "$commit" ]; then
  echo "prefetch: $MODEL_ID@$commit already complete"
  exit 0
fi

# verify KIND DIGEST SIZE FILE: the size, then the digest the Hub lists for the file.
verify() {
  [ "$(stat -c %s "$4")" = "$3" ] || return 1
  local actual
  case "$1" in
    sha256) actual="$(sha256sum "$4")" ;;
    gitsha1) actual="$({ printf 'blob %s\\0' "$3"; cat "$4"; } | sha1sum)" ;;
    *) return 1 ;;
  esac
  [ "\${actual%% *}" = "$2" ]
}

count=0
while IFS=$'\\t' read -r kind digest size path; do
  count=$((count + 1))
  dest="$STORE_DIR/$path"
  record="$records/$path.$kind"
  if [ -f "$record" ] && [ "$(cat "$record")" = "$digest" ] \\
    && [ "$(stat -c %s "$dest" 2>/dev/null || echo missing)" = "$size" ]; then
    echo "prefetch: have $path"
    continue
  fi
  echo "prefetch: downloading $path ($size bytes)"
  hf download "$MODEL_ID" "$path" --revision "$commit" --local-dir "$files" >/dev/null
  if ! verify "$kind" "$digest" "$size" "$files/$path"; then
    # Remove it so the retry downloads it afresh rather than resuming a bad file.
    rm -f "$files/$path"
    echo "prefetch: $path does not match the Hub's $kind $digest ($size bytes)" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$dest")" "$(dirname "$record")"
  mv -f "$files/$path" "$dest"
  printf '%s\\n' "$digest" > "$record"
done < <(tail -n +2 "$manifest")
printf '%s\\n' "$commit" > "$marker"
rm -rf "$files"
echo "prefetch: $MODEL_ID@$commit complete, $count files verified in $STORE_DIR"
`;

/** Where a prefetch writes, as the Job's container sees it. */
export interface PrefetchLayout {
  /** Directory of the model files (what the server reads). */
  storeDir: string;
  /** Records of verified files and the `complete` marker. */
  stateDir: string;
  /** Partial downloads (kept across container restarts so downloads resume). */
  scratchDir: string;
}

/** Where the bucket is mounted in the GKE prefetch Job. */
export const BUCKET_MOUNT = "/store";

/**
 * The layout of one model revision in a store mounted at `root`: files at
 * `<root>/<storePrefix>`, state and scratch beside them under `state/` and `scratch/`, so
 * neither ever appears in the directory vLLM reads. `scratchRoot` overrides where partial
 * downloads go (GKE: a local emptyDir rather than the bucket).
 */
export function prefetchLayout(
  root: string,
  modelId: string,
  revision: string | undefined,
  scratchRoot = root,
): PrefetchLayout {
  const prefix = storePrefix(modelId, revision);
  const rest = prefix.slice("models/".length);
  return {
    storeDir: `${root}/${prefix}`,
    stateDir: `${root}/state/${rest}`,
    scratchDir: `${scratchRoot}/scratch/${rest}`,
  };
}

/** The script's inputs, as container env (the token from its Secret). */
export function prefetchEnv(
  modelId: string,
  revision: string | undefined,
  layout: PrefetchLayout,
  token?: { name: string; key: string },
): IEnvVar[] {
  return [
    { name: "MODEL_ID", value: modelId },
    { name: "REVISION", value: revision ?? "main" },
    { name: "STORE_DIR", value: layout.storeDir },
    { name: "STATE_DIR", value: layout.stateDir },
    { name: "SCRATCH_DIR", value: layout.scratchDir },
    { name: "HF_HUB_DISABLE_TELEMETRY", value: "1" },
    ...(token
      ? [{ name: "HF_TOKEN", valueFrom: { secretKeyRef: { name: token.name, key: token.key } } }]
      : []),
  ];
}

/** Seconds a prefetch may take: twice the Hub download at {@link LOAD_THROUGHPUT}.hub, plus 30 minutes; 6 h for a model of unknown size. */
export function prefetchTimeoutSeconds(modelId: string): number {
  const bytes = modelWeightBytes(modelId);
  if (bytes === undefined) return 6 * 3600;
  return Math.ceil((2 * bytes) / LOAD_THROUGHPUT.hub) + 1800;
}

/** Everything one prefetch Job needs, validated by the caller. */
export interface PrefetchJobOptions {
  /** Job name. */
  name: string;
  namespace: string;
  /** An image with bash, python3, coreutils and huggingface_hub's `hf` (the vLLM image). */
  image: string;
  modelId: string;
  revision?: string;
  /** Secret key with the Hub token. */
  tokenSecret?: { name: string; key: string };
  /**
   * The volume holding the store, where it is mounted, and the store's root below that
   * (`cacheStoreRoot(mountPath)` in a model cache; the mount itself for a bucket).
   */
  store: { volume: IVolume; mountPath: string; root: string };
  /** Scratch outside the store (GKE: local disk), or none to keep scratch in the store (NFS). */
  scratch?: { sizeLimit: string };
  /** Kubernetes service account (GKE: the one allowed to write the bucket). */
  serviceAccountName?: string;
  /** Pod annotations (GKE: the Cloud Storage FUSE sidecar's). */
  podAnnotations?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  tolerations?: IToleration[];
  /** Labels of the Job and its pod. */
  labels: Record<string, string>;
}

/** Name of the scratch volume of a Job whose scratch is not in the store. */
const SCRATCH_VOLUME = "scratch";
const SCRATCH_MOUNT = "/scratch";

/**
 * The prefetch Job. `restartPolicy: OnFailure` keeps the pod, and so a local scratch
 * directory, across retries, so an interrupted download resumes; `backoffLimit` bounds the
 * retries and `activeDeadlineSeconds` the whole run. Pulumi's Kubernetes provider waits for
 * a Job to complete (`provider/pkg/await/job.go`: Complete condition true, Failed fails it)
 * for `pulumi.com/timeoutSeconds`, so whatever depends on the Job starts after the store is
 * verified.
 */
export function prefetchJob(o: PrefetchJobOptions): IJob {
  const layout = prefetchLayout(
    o.store.root,
    o.modelId,
    o.revision,
    o.scratch ? SCRATCH_MOUNT : undefined,
  );
  const timeout = prefetchTimeoutSeconds(o.modelId);
  const volumes: IVolume[] = [
    o.store.volume,
    ...(o.scratch ? [{ name: SCRATCH_VOLUME, emptyDir: { sizeLimit: o.scratch.sizeLimit } }] : []),
  ];
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: o.labels,
      annotations: { "pulumi.com/timeoutSeconds": String(timeout) },
    },
    spec: {
      backoffLimit: 6,
      activeDeadlineSeconds: timeout,
      template: {
        metadata: {
          labels: o.labels,
          ...(o.podAnnotations ? { annotations: o.podAnnotations } : {}),
        },
        spec: {
          restartPolicy: "OnFailure",
          ...(o.serviceAccountName ? { serviceAccountName: o.serviceAccountName } : {}),
          // The script never calls the Kubernetes API.
          automountServiceAccountToken: false,
          securityContext: { seccompProfile: { type: "RuntimeDefault" } },
          ...(o.nodeSelector ? { nodeSelector: o.nodeSelector } : {}),
          ...(o.tolerations ? { tolerations: o.tolerations } : {}),
          containers: [
            {
              name: "prefetch",
              image: o.image,
              command: ["/bin/bash", "-c", PREFETCH_SCRIPT],
              env: prefetchEnv(o.modelId, o.revision, layout, o.tokenSecret),
              resources: {
                requests: {
                  cpu: "1",
                  memory: "2Gi",
                  ...(o.scratch ? { "ephemeral-storage": o.scratch.sizeLimit } : {}),
                },
                limits: { memory: "4Gi" },
              },
              securityContext: {
                allowPrivilegeEscalation: false,
                capabilities: { drop: ["ALL"] },
              },
              volumeMounts: [
                { name: o.store.volume.name, mountPath: o.store.mountPath },
                ...(o.scratch ? [{ name: SCRATCH_VOLUME, mountPath: SCRATCH_MOUNT }] : []),
              ],
            },
          ],
          volumes,
        },
      },
    },
  };
}
