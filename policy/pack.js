// Entry of the policy pack (`main` in package.json), for `pulumi preview --policy-pack <dir>`.
// Pulumi's run-policy-pack compiles TypeScript with ts-node, and ts-node skips everything
// under node_modules. So from an installed llm-serving package this loads the pack compiled
// at `npm pack` time (dist/policy); from a checkout, the TypeScript source.
const path = require("node:path");

const installed = __dirname.split(path.sep).includes("node_modules");
module.exports = require(installed ? "../dist/policy/index.js" : "./index.ts");
