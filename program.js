// @ts-check
// The entry point Pulumi.yaml names (`main: program.js`, runtime option `typescript: false`).
// The program itself is index.ts. scripts/setup compiles it to dist/index.js (with the library,
// `npx tsc -p tsconfig.build.json`); while that is fresh, newer than every .ts file the program
// is built from, an `up` runs it as it is: nothing is type-checked or transpiled at `up` time.
// Otherwise (a fresh clone before scripts/setup, an edit since the build) it runs index.ts
// through ts-node, transpiling only (`npm test` type-checks), as Pulumi's own TypeScript
// support would: a developer never runs stale code and a fresh clone can preview at once.
const path = require("node:path");
const { distIsFresh } = require("./src/dist-fresh");

// The SDK's index loads TypeScript's compiler at once; zdr's program does not need it:
// src/lazy-sdk.js has the SDK load it at its first use.
require("./src/lazy-sdk");
// The SDK's debug-level messages go to the engine only when it asked for them (the language host says).
require("./src/sdk-debug-log");
// The SDK's own stack traces per resource and per promise are not mapped through source maps.
require("./src/sdk-stacks");

const compiled = path.join(__dirname, "dist/index.js");
/** What dist/index.js is built from: the program and every folder it loads code from. */
const sources = ["index.ts", "components", "targets", "contract", "resources", "src", "provider"];
if (distIsFresh(__dirname, path.relative(__dirname, compiled), sources)) {
    module.exports = require(compiled);
} else {
    require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "tsconfig.pulumi.json") });
    module.exports = require("./index.ts");
}
