// The layers of zdr, held by dependency-cruiser (test/unit/architecture.test.ts runs it):
//   contract/   type tokens and the shapes resources carry: imports nothing
//   libraries   src/ (haproxy, ssh, canary, migrations, load) and each target's pure parts
//               (targets/registry.ts, target.ts, targets/<kind>/config, evidence, api, ...): no Pulumi
//   operations  src/ (CLI, status, stages, report, engine): no provider, resource or component code
//   provider    provider/ and targets/<kind>/provider/: what the engine calls: libraries and the
//               contract, never the program's side
//   resources/  the program's resource classes: the contract and provider types only
//   components  components/, targets/programs.ts and targets/<kind>/{environment,program}.ts:
//               the program's components: resources, libraries, the contract
// A target is a folder holding one part of each layer (docs/adding-a-target.md). docs/architecture.md
// draws it. ZDR_ARCHITECTURE_ROOT roots every rule at another folder (the test's fixture tree).
const at = process.env.ZDR_ARCHITECTURE_ROOT ?? "";
/** a target's files that run in the engine's plugin process */
const targetProvider = `${at}targets/[^/]+/provider/`;
/** a target's files of the program side (components) */
const targetProgram = `${at}targets/(programs\\.ts$|[^/]+/(environment|program)\\.ts$)`;
/** every other file of targets/: libraries */
const targetLibrary = `${at}targets/(?!programs\\.ts$)(?![^/]+/(provider/|environment\\.ts$|program\\.ts$))`;

/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
    forbidden: [
        {
            name: "contract-imports-nothing",
            comment: "contract/ is the shared vocabulary: it imports only itself",
            severity: "error",
            from: { path: `^${at}contract/` },
            to: { pathNot: `^${at}contract/` },
        },
        {
            name: "libraries-and-operations-import-no-program",
            comment: "src/ (libraries, CLI, status, stages, reports) and the targets' libraries read the state through the contract, never provider, resource or component code",
            severity: "error",
            from: { path: `^(${at}src/|${targetLibrary})` },
            to: { path: `^(${at}(provider|resources|components|policy)/|${at}index\\.ts$|${targetProvider}|${targetProgram})` },
        },
        {
            name: "libraries-import-no-pulumi",
            comment: "the libraries run without an engine: only the operations side (cli, status, stages, engine) drives Pulumi",
            severity: "error",
            from: { path: `^(${at}src/(haproxy|ssh|canary|migrations|load|monitors)/|${targetLibrary})` },
            to: { path: "node_modules/@pulumi/" },
        },
        {
            name: "provider-imports-no-program",
            comment: "the provider runs in the engine's plugin process: no resource classes, components or program",
            severity: "error",
            from: { path: `^(${at}provider/|${targetProvider})` },
            to: { path: `^(${at}(resources|components)/|${at}index\\.ts$|${targetProgram})` },
        },
        {
            name: "program-side-takes-provider-types-only",
            comment: "components and resource classes use the provider's types, never its code (that runs in the plugin)",
            severity: "error",
            from: { path: `^(${at}(resources|components)/|${targetProgram})` },
            to: { path: `^(${at}provider/|${targetProvider})`, dependencyTypesNot: ["type-only"] },
        },
        {
            name: "no-cycles",
            comment: "no module needs itself at run time (a cycle through type-only imports costs nothing when it runs)",
            severity: "error",
            from: { path: `^${at}(contract|src|provider|resources|components|targets)/` },
            to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
        },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        exclude: { path: at ? "^(dist|node_modules|\\.zdr)/" : "^(dist|test|bench|node_modules|\\.zdr)/" },
    },
};
