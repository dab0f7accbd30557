/**
 * IPv4 CIDR arithmetic for the A3 Ultra address plan. Pure and dependency-free so the layout
 * (one gVNIC subnet, eight RDMA subnets) can be checked property-by-property in tests.
 */

/** A parsed IPv4 CIDR block: its first address as an unsigned 32-bit integer and its prefix. */
export interface Ipv4Block {
  /** First address of the block, as an unsigned 32-bit integer. */
  base: number;
  /** Prefix length, 0–32. */
  prefix: number;
}

const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/**
 * Parses `a.b.c.d/n`. Returns an error message instead of throwing so zod refinements can
 * report it by path. Host bits must be zero: GCP rejects `10.0.0.1/24` as a subnet range.
 */
export function parseCidr(cidr: string): Ipv4Block | string {
  const m = CIDR.exec(cidr);
  if (!m) return `"${cidr}" is not an IPv4 CIDR block (a.b.c.d/n)`;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255)) return `"${cidr}" has an octet above 255`;
  if (prefix > 32) return `"${cidr}" has a prefix above 32`;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) {
    return `"${cidr}" has host bits set; use ${formatCidr({ base: base - (base % size), prefix })}`;
  }
  return { base, prefix };
}

/** Renders a block as `a.b.c.d/n`. */
export function formatCidr(block: Ipv4Block): string {
  const o = [24, 16, 8, 0].map((shift) => Math.floor(block.base / 2 ** shift) % 256);
  return `${o.join(".")}/${block.prefix}`;
}

/** Number of addresses in a block. */
export function blockSize(block: Ipv4Block): number {
  return 2 ** (32 - block.prefix);
}

/** True if the two blocks share at least one address. */
export function blocksOverlap(a: Ipv4Block, b: Ipv4Block): boolean {
  return a.base < b.base + blockSize(b) && b.base < a.base + blockSize(a);
}

/** Extra prefix bits needed to carve `count` equal subnets (like Terraform's `cidrsubnet`). */
export function subnetBits(count: number): number {
  return count <= 1 ? 0 : Math.ceil(Math.log2(count));
}

/**
 * Splits `base` into `count` equal, consecutive, non-overlapping subnets — the same layout
 * the cluster-toolkit `gpu-rdma-vpc` module derives (`cidrsubnet(range, ceil(log2(n)), i)`),
 * so one /18 gives eight /21s. Throws if the block is too small; callers validate first.
 */
export function splitCidr(base: string, count: number): string[] {
  const parsed = parseCidr(base);
  if (typeof parsed === "string") throw new Error(parsed);
  const prefix = parsed.prefix + subnetBits(count);
  if (prefix > 32) throw new Error(`${base} cannot hold ${count} subnets`);
  const size = 2 ** (32 - prefix);
  return Array.from({ length: count }, (_, i) =>
    formatCidr({ base: parsed.base + i * size, prefix }),
  );
}
