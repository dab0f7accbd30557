/**
 * The benchmark's baseline: read a file and parse every YAML document to plain data, nothing
 * else. Started exactly like `check` (node + tsx), so the comparison is check's extra work.
 */
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

const file = process.argv[2];
if (!file) {
  process.stderr.write("usage: parse-only FILE\n");
  process.exit(2);
}
const docs = parseAllDocuments(readFileSync(file, "utf8"));
const values = (Array.isArray(docs) ? docs : []).map((d) => d.toJS() as unknown);
process.stdout.write(`${values.length} documents\n`);
