import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blocksOverlap, formatCidr, parseCidr, splitCidr } from "../../components/gke/cidr";

const toBlock = (cidr: string) => {
  const b = parseCidr(cidr);
  if (typeof b === "string") throw new Error(b);
  return b;
};

describe("parseCidr", () => {
  it("round-trips aligned blocks", () => {
    expect(formatCidr(toBlock("192.168.128.0/18"))).toBe("192.168.128.0/18");
  });
  it("rejects malformed input, big octets and host bits, naming the fix", () => {
    expect(parseCidr("10.0.0/8")).toMatch(/not an IPv4 CIDR/);
    expect(parseCidr("10.0.300.0/24")).toMatch(/octet above 255/);
    expect(parseCidr("10.0.0.1/24")).toMatch(/use 10\.0\.0\.0\/24/);
  });
});

describe("splitCidr", () => {
  it("splits a /18 into eight /21s like cidrsubnet(range, 3, i)", () => {
    expect(splitCidr("192.168.128.0/18", 8)).toEqual([
      "192.168.128.0/21",
      "192.168.136.0/21",
      "192.168.144.0/21",
      "192.168.152.0/21",
      "192.168.160.0/21",
      "192.168.168.0/21",
      "192.168.176.0/21",
      "192.168.184.0/21",
    ]);
  });

  it("gives 8 non-overlapping subnets inside any valid base block", () => {
    const aligned = fc
      .record({
        addr: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        prefix: fc.integer({ min: 0, max: 26 }),
      })
      .map(({ addr, prefix }) => {
        const size = 2 ** (32 - prefix);
        return formatCidr({ base: addr - (addr % size), prefix });
      });
    fc.assert(
      fc.property(aligned, (base) => {
        const parent = toBlock(base);
        const subnets = splitCidr(base, 8).map(toBlock);
        expect(subnets).toHaveLength(8);
        for (const [i, s] of subnets.entries()) {
          expect(s.prefix).toBe(parent.prefix + 3);
          expect(s.prefix).toBeLessThanOrEqual(29);
          expect(s.base).toBeGreaterThanOrEqual(parent.base);
          expect(s.base + 2 ** (32 - s.prefix)).toBeLessThanOrEqual(
            parent.base + 2 ** (32 - parent.prefix),
          );
          for (const t of subnets.slice(i + 1)) expect(blocksOverlap(s, t)).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });
});
