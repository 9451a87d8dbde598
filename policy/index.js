// The pack's entry for the engine. It runs the pack compiled (dist/policy/index.js, built by
// scripts/setup) while that is newer than every .ts file it is built from: through ts-node the
// engine's policy runner spent 25-35 s loading and type-checking the checker on a loaded
// machine (bench/guard.ts). Otherwise (a fresh clone before scripts/setup, an edit since the
// build) it runs index.ts through ts-node, transpiling only (`npm test` type-checks).
const path = require("node:path");
const { distIsFresh } = require("../src/dist-fresh");

const root = path.join(__dirname, "..");
if (distIsFresh(root, "dist/policy/index.js", ["policy", "src", "contract", "resources"])) {
    require("../dist/policy/index.js");
} else {
    require("ts-node").register({ transpileOnly: true, project: path.join(root, "tsconfig.json") });
    require("./index.ts");
}
