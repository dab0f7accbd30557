import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { collectReport } from "../../cli/report";
import { coldStartTable, parseColdStart } from "../../components/benchmark/cold-start";
import { markdownReport } from "../../components/benchmark/report";

const FIXTURES = join(__dirname, "../fixtures/coldstart");
const pod = readFileSync(join(FIXTURES, "multi-node-0.pod.json"), "utf8");
const log = readFileSync(join(FIXTURES, "multi-node-0.log"), "utf8");

describe("parseColdStart", () => {
  it("reads each phase from kubectl's pod JSON and vLLM's timestamped log", () => {
    expect(parseColdStart(pod, log)).toEqual({
      server: "multi-node",
      pod: "multi-node-0",
      scheduledAt: "2026-11-29T10:02:38Z",
      // Scheduled 10:02:38 → container started 10:07:02 (image pulled).
      containerStartedS: 264,
      // The slowest worker's "Model loading took" line, 10:14:02.73.
      weightsLoadedS: 684.7,
      // "Starting vLLM API server 0 on …" at 10:18:55.3.
      apiUpS: 977.3,
      // Ready condition 10:19:12.
      readyS: 994,
      vllmLoadSeconds: 389.641903,
      vllmLoadGiB: 47.2834,
    });
  });

  it("reads the older log wording and leaves absent phases empty", () => {
    const older = [
      "2026-11-29T10:05:00.000000000Z INFO 11-29 10:05:00 [model_runner.py:1071] Model loading took 14.9595 GiB and 12.500000 seconds",
    ].join("\n");
    const notReady = JSON.parse(pod);
    notReady.status.conditions = notReady.status.conditions.filter(
      (c: { type: string }) => c.type !== "Ready",
    );
    const r = parseColdStart(JSON.stringify(notReady), older);
    expect(r.weightsLoadedS).toBe(142);
    expect(r.vllmLoadGiB).toBe(14.9595);
    expect(r.apiUpS).toBeNull();
    expect(r.readyS).toBeNull();
  });

  it("refuses a pod never scheduled, and a log captured without --timestamps", () => {
    const pending = JSON.parse(pod);
    pending.status.conditions = [{ type: "PodScheduled", status: "False" }];
    expect(() => parseColdStart(JSON.stringify(pending), log)).toThrow(/never scheduled/);
    const bare = log.replace(/^\S+Z /gm, "");
    expect(() => parseColdStart(pod, bare)).toThrow(/--timestamps/);
  });

  it("adds a cold-start table to the report, read from a directory of pod.json + log pairs", () => {
    const dir = mkdtempSync(join(tmpdir(), "coldstart-report-"));
    writeFileSync(join(dir, "multi-node-0.pod.json"), pod);
    writeFileSync(join(dir, "multi-node-0.log"), log);
    const report = collectReport([dir]);
    expect(report.nccl).toEqual([]);
    expect(report.coldStarts?.map((c) => c.pod)).toEqual(["multi-node-0"]);
    const md = markdownReport(report);
    expect(md).toContain("## Cold start");
    expect(md).toContain(
      "| multi-node | multi-node-0 | 4.4 min | 11.4 min | 16.3 min | 16.6 min | 6.5 min, 47.2834 GiB |",
    );
    expect(coldStartTable([])).toEqual([]);
  });
});
