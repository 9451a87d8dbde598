// The pack's entry for the engine. The engine's policy runner type-checks a TypeScript pack on
// every preview, which costs seconds each time; `npm test` type-checks ours (tsc --noEmit), so
// the engine loads index.ts transpiled only.
require("ts-node").register({ transpileOnly: true, project: require("node:path").join(__dirname, "../tsconfig.json") });
require("./index.ts");
