/**
 * GPUs the planner knows: the memory vLLM sees (`torch.cuda.mem_get_info()` total, in GiB,
 * which is what `--gpu-memory-utilization` multiplies), how many share a node, and whether
 * they share NVLink there.
 */

import type { Mxfp4Backend } from "./estimate";

/** One GPU type. */
export interface GpuSpec {
  /** Catalog name, as `size --gpu` and `VllmServer` `gpuType` take it. */
  name: string;
  /** Marketing name. */
  label: string;
  /** Memory vLLM sees as the device total, GiB (what the utilization fraction multiplies). */
  totalGiB: number;
  /**
   * Largest `--gpu-memory-utilization` that can start: vLLM refuses to start when the free
   * memory at startup is below `utilization × total`. A discrete GPU with nothing else on it
   * can be asked for all of it (published runs start at 0.98); unified memory shares the
   * total with the OS.
   */
  maxUtilization: number;
  /**
   * The `--gpu-memory-utilization` to plan with when none is given: vLLM's 0.9, except where
   * that cannot start or starves the host (unified memory).
   */
  recommendedUtilization: number;
  /** GPUs in a typical node of this type (the cloud machine shape, or 1 for a workstation). */
  gpusPerNode: number;
  /** Whether the GPUs of one node talk over NVLink/NVSwitch (else PCIe). */
  nvlink: boolean;
  /** vLLM's serving defaults differ by size: ≥ 70 GiB and not an A100 gets the larger batch. */
  largeBatchDefaults: boolean;
  /**
   * The MXFP4 expert kernels vLLM picks here (gpt-oss): Marlin where the GPU has no FP4
   * compute before Hopper (vLLM warns "Weight-only FP4 compression will be used leveraging the
   * Marlin kernel"), FlashInfer on Blackwell; unset means the Triton path of Hopper.
   */
  mxfp4Backend?: Mxfp4Backend;
  /**
   * Whether NCCL uses NVLink SHARP between the GPUs of a node (an NVSwitch of Hopper or later:
   * the SXM parts; PCIe cards have none): it then holds extra buffers above TP 2.
   */
  nvls?: boolean;
  /** Node labels that name this GPU (GKE accelerator label, GPU feature discovery product). */
  nodeLabels: { gkeAccelerator?: string; gpuProducts: string[] };
  /** Where the memory figure comes from. */
  source: string;
}

// Totals are the device size less what the driver and ECC reserve, as torch reports it.
// 80 GB parts report 79.19 GiB (H100) / 79.15 GiB (A100) in vLLM's own profiling lines.
const GPUS: GpuSpec[] = [
  {
    name: "h200",
    label: "NVIDIA H200 141GB (SXM)",
    totalGiB: 139.8,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 8,
    nvlink: true,
    largeBatchDefaults: true,
    nvls: true,
    nodeLabels: { gkeAccelerator: "nvidia-h200-141gb", gpuProducts: ["NVIDIA-H200"] },
    source: "141 GB HBM3e (143,771 MiB in nvidia-smi) less driver reserve",
  },
  {
    name: "h100-80gb",
    label: "NVIDIA H100 80GB (SXM/PCIe)",
    totalGiB: 79.19,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 8,
    nvlink: true,
    largeBatchDefaults: true,
    nvls: true,
    nodeLabels: {
      gkeAccelerator: "nvidia-h100-80gb",
      gpuProducts: ["NVIDIA-H100-80GB-HBM3", "NVIDIA-H100-PCIe"],
    },
    source: "vLLM profiling logs report total_gpu_memory=79.19GiB",
  },
  {
    name: "a100-80gb",
    label: "NVIDIA A100 80GB",
    totalGiB: 79.15,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 8,
    nvlink: true,
    largeBatchDefaults: false,
    mxfp4Backend: "marlin",
    nodeLabels: {
      gkeAccelerator: "nvidia-a100-80gb",
      gpuProducts: ["NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-80GB-PCIe"],
    },
    source: "81,920 MiB less driver reserve",
  },
  {
    name: "a100-40gb",
    label: "NVIDIA A100 40GB",
    totalGiB: 39.39,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 8,
    nvlink: true,
    largeBatchDefaults: false,
    mxfp4Backend: "marlin",
    nodeLabels: {
      gkeAccelerator: "nvidia-tesla-a100",
      gpuProducts: ["NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-PCIE-40GB"],
    },
    source: "40,960 MiB less driver reserve",
  },
  {
    name: "l4",
    label: "NVIDIA L4 24GB",
    totalGiB: 22.05,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 8,
    nvlink: false,
    largeBatchDefaults: false,
    mxfp4Backend: "marlin",
    nodeLabels: { gkeAccelerator: "nvidia-l4", gpuProducts: ["NVIDIA-L4"] },
    source: "23,034 MiB in nvidia-smi less driver reserve",
  },
  {
    name: "a10g",
    label: "NVIDIA A10G 24GB",
    totalGiB: 22.05,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 8,
    nvlink: false,
    largeBatchDefaults: false,
    mxfp4Backend: "marlin",
    nodeLabels: { gpuProducts: ["NVIDIA-A10G"] },
    source: "23,028 MiB in nvidia-smi less driver reserve",
  },
  {
    name: "l40s",
    label: "NVIDIA L40S 48GB",
    totalGiB: 44.39,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 8,
    nvlink: false,
    largeBatchDefaults: false,
    mxfp4Backend: "marlin",
    nodeLabels: { gpuProducts: ["NVIDIA-L40S"] },
    source: "46,068 MiB in nvidia-smi less driver reserve",
  },
  {
    name: "rtx4090",
    label: "NVIDIA GeForce RTX 4090 24GB",
    totalGiB: 23.55,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 1,
    nvlink: false,
    largeBatchDefaults: false,
    mxfp4Backend: "marlin",
    nodeLabels: { gpuProducts: ["NVIDIA-GeForce-RTX-4090"] },
    source: "vllm-project/vllm#13061: 23.08 GiB at gpu_memory_utilization 0.98",
  },
  {
    name: "b200",
    label: "NVIDIA B200 180GB",
    totalGiB: 178.4,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 8,
    nvlink: true,
    largeBatchDefaults: true,
    nvls: true,
    mxfp4Backend: "flashinfer",
    nodeLabels: { gkeAccelerator: "nvidia-b200", gpuProducts: ["NVIDIA-B200"] },
    source: "180 GB HBM3e less driver reserve",
  },
  {
    name: "gb10",
    label: "NVIDIA GB10 (DGX Spark, 128 GB unified memory)",
    // The GPU reports the system's memory as its own: 121.69 GiB of the 128 GB LPDDR5x are
    // visible to the OS, and the CUDA free figure at boot stops at ~101-102 GiB because the
    // OS, page cache and services live in the same memory. vLLM checks free ≥ utilization ×
    // total at startup, so ~0.83 is the most it can ask for; 0.7-0.8 leaves the host room.
    totalGiB: 121.69,
    maxUtilization: 0.83,
    recommendedUtilization: 0.7,
    gpusPerNode: 1,
    nvlink: false,
    largeBatchDefaults: true,
    nodeLabels: { gpuProducts: ["NVIDIA-GB10"] },
    source:
      "MiaAI-Lab/GLM-5.3-Flash-EXL3-2x-DGX-Sparks#47 (GB10 121.69 GiB, CUDA free caps at ~102 GiB); vllm-project/recipes#632 (0.92 fails on GB10)",
  },
];

/** Every GPU type, in catalog order. */
export const gpuCatalog: readonly GpuSpec[] = GPUS;

/** Catalog names, for messages and `--help`. */
export const GPU_NAMES: readonly string[] = GPUS.map((g) => g.name);

/** The GPU of a catalog name, or undefined. */
export function gpuByName(name: string): GpuSpec | undefined {
  return GPUS.find((g) => g.name === name.toLowerCase());
}

/** The GPU a node label value names (GKE accelerator or `nvidia.com/gpu.product`), or undefined. */
export function gpuByNodeLabel(value: string): GpuSpec | undefined {
  return GPUS.find(
    (g) => g.nodeLabels.gkeAccelerator === value || g.nodeLabels.gpuProducts.includes(value),
  );
}

/** A GPU of `totalGiB` memory that is in no catalog (`size --gpu-memory-gib`). */
export function customGpu(totalGiB: number): GpuSpec {
  return {
    name: `custom-${totalGiB}gib`,
    label: `GPU with ${totalGiB} GiB`,
    totalGiB,
    maxUtilization: 1,
    recommendedUtilization: 0.9,
    gpusPerNode: 8,
    nvlink: true,
    largeBatchDefaults: totalGiB >= 70,
    nodeLabels: { gpuProducts: [] },
    source: "given on the command line",
  };
}
