// The layers of zdr, held by dependency-cruiser (test/unit/architecture.test.ts runs it):
//   contract/   type tokens and the shapes resources carry: imports nothing
//   src/        libraries (haproxy, ssh, canary, migrations, load) and the operations side
//               (CLI, status, stages, report, engine): no provider, resource or component code
//   provider/   what the engine calls: libraries and the contract, never the program's side
//   resources/  the program's resource classes: the contract and provider types only
//   components/ the program's components: resources, libraries, the contract
// docs/architecture.md draws it.
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
    forbidden: [
        {
            name: "contract-imports-nothing",
            comment: "contract/ is the shared vocabulary: it imports only itself",
            severity: "error",
            from: { path: "^contract/" },
            to: { pathNot: "^contract/" },
        },
        {
            name: "libraries-and-operations-import-no-program",
            comment: "src/ (libraries, CLI, status, stages, reports) reads the state through the contract, never provider, resource or component code",
            severity: "error",
            from: { path: "^src/" },
            to: { path: "^(provider|resources|components|policy)/|^index\\.ts$" },
        },
        {
            name: "libraries-import-no-pulumi",
            comment: "the libraries run without an engine: only the operations side (cli, status, stages, engine) drives Pulumi",
            severity: "error",
            from: { path: "^src/(haproxy|ssh|canary|migrations|load|aws)/" },
            to: { path: "node_modules/@pulumi/" },
        },
        {
            name: "provider-imports-no-program",
            comment: "the provider runs in the engine's plugin process: no resource classes, components or program",
            severity: "error",
            from: { path: "^provider/" },
            to: { path: "^(resources|components)/|^index\\.ts$" },
        },
        {
            name: "program-side-takes-provider-types-only",
            comment: "components and resource classes use the provider's types, never its code (that runs in the plugin)",
            severity: "error",
            from: { path: "^(resources|components)/" },
            to: { path: "^provider/", dependencyTypesNot: ["type-only"] },
        },
        {
            name: "no-cycles",
            comment: "no module needs itself at run time (a cycle through type-only imports costs nothing when it runs)",
            severity: "error",
            from: { path: "^(contract|src|provider|resources|components)/" },
            to: { circular: true, viaOnly: { dependencyTypesNot: ["type-only"] } },
        },
    ],
    options: {
        doNotFollow: { path: "node_modules" },
        tsPreCompilationDeps: true,
        tsConfig: { fileName: "tsconfig.json" },
        exclude: { path: "^(dist|test|bench|node_modules|\\.zdr)/" },
    },
};
