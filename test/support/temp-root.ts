/**
 * Vitest global setup: every temporary directory the suite makes goes under one root that is
 * removed when the run ends. Tests (and the `plan`, bash and plugin processes they start) call
 * `os.tmpdir()`/`mkdtemp` as usual; pointing `TMPDIR` at the root before the workers start is
 * what gathers them, so no test has to clean up after itself and a run leaves nothing in /tmp.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Creates the root and hands it to the workers, which inherit this process's environment. */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "llm-serving-tests-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
