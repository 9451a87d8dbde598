// Writes Pulumi.yaml's config section from the config table (src/release/pulumi-yaml.ts); run it
// after adding or changing a key's row: npx ts-node --transpile-only scripts/pulumi-yaml.ts
// (the pulumi-yaml unit test fails while Pulumi.yaml is not what it writes).
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../src/engine";
import { pulumiYamlConfig, withConfigSection } from "../src/release/pulumi-yaml";

const file = path.join(projectRoot, "Pulumi.yaml");
const before = fs.readFileSync(file, "utf8");
const after = withConfigSection(before, pulumiYamlConfig());
fs.writeFileSync(file, after);
console.log(after === before ? "Pulumi.yaml: its config section was up to date" : "Pulumi.yaml: config section written from the config table");
