/**
 * The NCCL bandwidth test: all-reduce and all-gather sweeps across the same nodes, GPUs and
 * network profile as the vLLM server it measures, so it shows what vLLM gets. No pinnable
 * image carries the nccl-tests binaries next to this project's NCCL setup, so it runs a small
 * `torch.distributed` script with `torchrun` in the server's own image, and prints the
 * nccl-tests table (NVIDIA/nccl-tests v2.19.6 `src/util.cu` layout) so the report reads
 * either. Bus-bandwidth factors come from {@link busBandwidthFactor}.
 *
 * The pod spec IS the server's worker pod spec (`podSpec(c, "worker")`: env, annotations,
 * capabilities, host networking, devices, volumes, runtime class, placement) with only the
 * command and the group affinity replaced. Multi-node: an Indexed Job of one pod per node
 * and a headless Service giving pod 0 a stable name for torchrun's rendezvous.
 */
import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IService } from "kubernetes-models/v1/Service";
import { ConfigError } from "../validation";
import type { VllmServerConfig } from "../vllm/args";
import { podSpec } from "../vllm/workload";
import { busBandwidthFactor, NCCL_OPS } from "./bandwidth";

/** torchrun's rendezvous port (not vLLM's master port, in case both ever share a node). */
export const NCCL_TEST_PORT = 29511;

/** Message sizes of the sweep: 1 MiB to 1 GiB by factors of 4 (nccl-tests `-b 1M -e 1G -f 4`). */
export const NCCL_TEST_SIZES = [1, 4, 16, 64, 256, 1024].map((mib) => mib * 1024 * 1024);

/**
 * The measuring script: float32 buffers, 5 warm-up and 20 timed iterations per size, the
 * slowest rank's time (a collective ends when its last rank does). Sizes are the whole
 * array S as nccl-tests counts it (for all-gather: per-rank count × ranks).
 */
export const NCCL_TEST_PY = `import os, time, torch, torch.distributed as dist
dist.init_process_group("nccl")
rank, world = dist.get_rank(), dist.get_world_size()
torch.cuda.set_device(int(os.environ["LOCAL_RANK"]))
sizes = [int(s) for s in os.environ["NCCL_TEST_SIZES"].split()]
for op in os.environ["NCCL_TEST_OPS"].split():
    factor = float(os.environ["BUSBW_FACTOR_" + op.upper()])
    if rank == 0:
        print("# Collective test starting: %s_perf" % op)
        print("# nThread 1 nGpus 1 ranks %d (torch.distributed %s)" % (world, torch.__version__))
        print("#       size         count      type   redop    root     time   algbw   busbw  #wrong")
        print("#        (B)    (elements)                               (us)  (GB/s)  (GB/s)")
    for size in sizes:
        per_rank = size // 4 // world
        count = per_rank * world
        if op == "all_reduce":
            buf = torch.ones(count, device="cuda")
            run, redop = (lambda: dist.all_reduce(buf)), "sum"
        else:
            send = torch.ones(per_rank, device="cuda")
            recv = torch.empty(count, device="cuda")
            run, redop = (lambda: dist.all_gather_into_tensor(recv, send)), "none"
        for _ in range(5):
            run()
        torch.cuda.synchronize()
        dist.barrier()
        start = time.perf_counter()
        for _ in range(20):
            run()
        torch.cuda.synchronize()
        t = torch.tensor([(time.perf_counter() - start) / 20], device="cuda")
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        sec = t.item()
        algbw = count * 4 / sec / 1e9
        if rank == 0:
            print("%12i  %12i  %8s  %6s  %6s  %7.2f  %6.2f  %6.2f  %6s" % (count * 4, count, "float", redop, -1, sec * 1e6, algbw, algbw * factor, "N/A"), flush=True)
    if rank == 0:
        print("# Collective test concluded: %s_perf" % op, flush=True)
dist.destroy_process_group()
`;

/** What the NCCL test creates: a Job, and for several nodes the Service its pods rendezvous by. */
export interface NcclTestPlan {
  job: IJob;
  service?: IService;
}

/**
 * The NCCL test of `server`, named `<server>-nccl`.
 * @throws ConfigError when the server has a single GPU (no collective to measure).
 */
export function ncclTestPlan(server: VllmServerConfig, path = "nccl"): NcclTestPlan {
  const nodes = server.parallelism.nodes;
  const gpus = server.parallelism.gpusPerNode;
  const ranks = nodes * gpus;
  if (ranks < 2) {
    throw new ConfigError("NCCL test", [
      {
        path,
        message: `server "${server.name}" runs on one GPU: there is no collective to measure (needs 2 GPUs or more)`,
      },
    ]);
  }
  const name = `${server.name}-nccl`.slice(0, 52);
  const labels = {
    "app.kubernetes.io/name": "nccl-test",
    "app.kubernetes.io/instance": name,
    "app.kubernetes.io/part-of": "llm-serving",
    "llm-serving.dev/server": server.name,
  };
  const base = podSpec(server, "worker");
  const [worker] = base.containers;
  const master = nodes > 1 ? `${name}-0.${name}` : "127.0.0.1";
  const script = [
    // As the server does: the profile's preamble (e.g. gIB's NCCL env) before strict mode.
    "set -o pipefail",
    ...server.network.preamble,
    "set -eu",
    "cat > /tmp/nccl_bw.py <<'PY'",
    NCCL_TEST_PY.trimEnd(),
    "PY",
    `exec torchrun --nnodes "${nodes}" --nproc-per-node "${gpus}" --node-rank "\${JOB_COMPLETION_INDEX:-0}" --master-addr "${master}" --master-port "${NCCL_TEST_PORT}" /tmp/nccl_bw.py`,
  ].join("\n");
  const env = [
    ...(worker.env ?? []),
    { name: "NCCL_TEST_OPS", value: NCCL_OPS.join(" ") },
    { name: "NCCL_TEST_SIZES", value: NCCL_TEST_SIZES.join(" ") },
    ...NCCL_OPS.map((op) => ({
      name: `BUSBW_FACTOR_${op.toUpperCase()}`,
      value: String(busBandwidthFactor(op, ranks)),
    })),
  ];
  const job: IJob = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name, namespace: server.namespace, labels },
    spec: {
      completionMode: "Indexed",
      completions: nodes,
      parallelism: nodes,
      backoffLimit: 0,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: {
          labels,
          ...(Object.keys(server.network.annotations).length > 0
            ? { annotations: { ...server.network.annotations } }
            : {}),
        },
        spec: {
          ...base,
          restartPolicy: "Never",
          ...(nodes > 1 ? { subdomain: name } : {}),
          // One pod per node, like the server's group.
          affinity: {
            podAntiAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: [
                {
                  labelSelector: { matchLabels: { "app.kubernetes.io/instance": name } },
                  topologyKey: "kubernetes.io/hostname",
                },
              ],
            },
          },
          containers: [
            {
              ...worker,
              name: "nccl-test",
              command: ["/bin/bash", "-c", script],
              args: undefined,
              env,
            },
          ],
        },
      },
    },
  };
  const service: IService | undefined =
    nodes > 1
      ? {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name, namespace: server.namespace, labels },
          spec: {
            clusterIP: "None",
            // Pod 0's name must resolve before any pod is ready: torchrun waits for it.
            publishNotReadyAddresses: true,
            selector: { "app.kubernetes.io/instance": name },
            ports: [{ name: "rendezvous", port: NCCL_TEST_PORT, protocol: "TCP" }],
          },
        }
      : undefined;
  return { job: stripUndefined(job), ...(service ? { service } : {}) };
}

/** Drops `undefined` fields (the replaced `args`) so the manifest serialises cleanly. */
function stripUndefined<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
