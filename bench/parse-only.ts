/**
 * The benchmark's baseline: read a file and turn every YAML document into plain data, nothing
 * else. It streams documents the way `check` does (yaml's Parser + Composer, each syntax tree
 * dropped once converted), so the comparison is check's extra work, not a slower baseline.
 * Started exactly like `check` (node + tsx).
 */
import { readFileSync } from "node:fs";
import { Composer, Parser } from "yaml";

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: parse-only FILE\n");
  process.exit(2);
}
const values: unknown[] = [];
const composer = new Composer({ merge: true, logLevel: "error" });
for (const doc of composer.compose(new Parser().parse(readFileSync(file, "utf8")))) {
  values.push(doc.toJS());
}
process.stdout.write(`${values.length} documents\n`);
