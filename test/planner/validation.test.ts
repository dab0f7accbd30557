import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { publishedRuns, replay, validationTable } from "./validation";

const runs = publishedRuns();

describe("published vLLM runs", () => {
  it("holds every run to the bounds: no case is exempt", () => {
    for (const run of runs) expect(Object.keys(run)).not.toContain("kvComparable");
  });

  it("has runs with weights, KV tokens and failures to compare", () => {
    expect(runs.filter((r) => r.observed.weightsGiB !== undefined).length).toBeGreaterThanOrEqual(
      5,
    );
    expect(runs.filter((r) => r.observed.kvTokens !== undefined).length).toBeGreaterThanOrEqual(4);
    expect(runs.filter((r) => r.observed.started === false).length).toBeGreaterThanOrEqual(3);
  });

  for (const run of runs) {
    describe(run.id, () => {
      const r = replay(run);
      if (r.weightsError !== undefined) {
        it(`weights per GPU within 10 % of vLLM's ${run.observed.weightsGiB} GiB`, () => {
          expect(Math.abs(r.weightsError as number)).toBeLessThanOrEqual(0.1);
        });
      }
      if (r.kvTokensError !== undefined) {
        it(`KV-cache tokens within 25 % of vLLM's ${run.observed.kvTokens}`, () => {
          expect(Math.abs(r.kvTokensError as number)).toBeLessThanOrEqual(0.25);
        });
      }
      if (r.kvGiBError !== undefined) {
        it(`KV-cache memory within 25 % of vLLM's ${run.observed.kvGiB} GiB`, () => {
          expect(Math.abs(r.kvGiBError as number)).toBeLessThanOrEqual(0.25);
        });
      }
      if (run.observed.started === false) {
        it("never says it fits where vLLM failed", () => {
          expect(r.plannerStarts).toBe(false);
        });
      }
      if (run.observed.started === true) {
        it("says it starts where vLLM started", () => {
          expect(r.plannerStarts).toBe(true);
        });
      }
    });
  }

  it("renders the table docs/planner.md shows, one row a run", () => {
    const table = validationTable(runs.map(replay));
    expect(table.split("\n")).toHaveLength(runs.length + 2);
    for (const run of runs) expect(table).toContain(run.id);
  });

  it("is the table docs/planner.md shows, so the docs cannot drift from the fixtures", () => {
    const docs = readFileSync(join(__dirname, "..", "..", "docs", "planner.md"), "utf8");
    expect(docs).toContain(validationTable(runs.map(replay)));
  });
});
