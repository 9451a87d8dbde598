// Pulumi.yaml's config schema, written from the config table (src/release/stack-config.ts,
// `configKeys`): each key's type, default and description as its row says, grouped by who reads
// it (every target, then each target's own keys in the registry's order), the secret keys as
// comments (the engine requires a declared secret on every stack and takes no default for one).
// scripts/pulumi-yaml.ts writes it into Pulumi.yaml; test/unit/release/pulumi-yaml.test.ts holds
// Pulumi.yaml to it. Pure: rows in, text out.
import type { ConfigKey } from "./config";
import { configKeys, type TableRow } from "./stack-config";
import { targetDefinitions, targetKinds } from "../../targets/registry";

const width = 110;

/** Words of `text` in lines of at most `width` characters (a longer word alone on its line), each after `prefix`. */
function wrapped(text: string, prefix: string): string[] {
    const lines: string[] = [];
    let line = "";
    for (const word of text.split(/\s+/).filter(Boolean)) {
        if (line !== "" && prefix.length + line.length + 1 + word.length > width) {
            lines.push(prefix + line);
            line = word;
        } else {
            line = line === "" ? word : `${line} ${word}`;
        }
    }
    return [...lines, prefix + line];
}

/** A YAML scalar: bare when YAML reads it back as the same string, else double-quoted. */
function scalar(value: string): string {
    return /^[A-Za-z/][A-Za-z0-9._/-]*$/.test(value) && !/^(true|false|yes|no|on|off|null|y|n)$/i.test(value) ? value : JSON.stringify(value);
}

/** What Pulumi.yaml declares of a row: its type (and items) and default. */
function declaration(k: ConfigKey): string[] {
    switch (k.type) {
        case undefined:
        case "integer":
            return ["type: integer", `default: ${k.fallback}`];
        case "number":
            return ["type: string", `default: ${JSON.stringify(String(k.fallback))}`];
        case "string":
        case "enum":
            return ["type: string", `default: ${scalar(k.fallback)}`];
        case "boolean":
            return ["type: boolean", `default: ${k.fallback}`];
        case "list":
            return ["type: array", "items:", `  type: ${k.items}`, `default: [${(k.fallback ?? []).map(scalar).join(", ")}]`];
        case "secret":
            return [];
    }
}

function keyLines(k: ConfigKey): string[] {
    if (k.type === "secret") {
        return [
            `  # ${k.key} (a secret: not declared here, as the engine requires a declared secret on every stack and takes no default for one):`,
            ...wrapped(k.description, "  #   "),
        ];
    }
    return [`  ${k.key}:`, ...declaration(k).map((l) => `    ${l}`), "    description: >-", ...wrapped(k.description, "      ")];
}

/** The `config:` section of Pulumi.yaml, from the table. */
export function pulumiYamlConfig(rows: readonly TableRow[] = configKeys): string {
    const everyTarget = rows.filter((k) => k.targets.length === targetKinds.length);
    const lines = [
        "config:",
        "  # Every target's: the release, the canary judgement and the application (parsed by src/release/config.ts,",
        "  # src/canary/config.ts, src/monitors/config.ts and src/release/app-config.ts).",
        ...everyTarget.flatMap(keyLines),
    ];
    const written = new Set<string>(everyTarget.map((k) => k.key));
    for (const d of targetDefinitions) {
        const own = rows.filter((k) => k.targets.includes(d.kind) && !written.has(k.key));
        const shared = rows.filter((k) => k.targets.includes(d.kind) && written.has(k.key) && !everyTarget.includes(k));
        lines.push(
            ...wrapped(
                `The ${d.kind} target's (zdr:target: ${d.kind}): ${d.summary}. Parsed by targets/${d.kind}/config.ts, which says which are required, before anything changes.` +
                    (shared.length > 0 ? ` It also reads ${shared.map((k) => k.key).join(", ")} above.` : ""),
                "  # ",
            ),
            ...own.flatMap(keyLines),
        );
        own.forEach((k) => written.add(k.key));
    }
    return `${lines.join("\n")}\n`;
}

/** Pulumi.yaml's text with its config section replaced by `config` (the section runs from "config:" to the next top-level key). */
export function withConfigSection(pulumiYaml: string, config: string): string {
    const m = /^config:\n(?:(?: .*)?\n)*/m.exec(pulumiYaml);
    if (!m) {
        throw new Error("Pulumi.yaml has no config section");
    }
    return pulumiYaml.slice(0, m.index) + config + pulumiYaml.slice(m.index + m[0].length);
}
