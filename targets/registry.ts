// Every target zdr releases to, each a folder (targets/<kind>/). The stack config's parser, the
// Release and its typed settings (src/release/release-args.ts), index.ts and `zdr status` read this
// list; the program side's builders are in
// targets/programs.ts, the provider's resource types in provider/main.ts. Adding a target:
// docs/adding-a-target.md.
import { awsTarget } from "./aws/config";
import { hostsTarget } from "./hosts/config";
import { localTarget } from "./local/config";
import type { TargetDefinition, TargetSettings } from "./target";

/** The targets, the default first. */
export const targetDefinitions = [localTarget, awsTarget, hostsTarget] as const;

/** The value of `zdr:target`. */
export type TargetKind = (typeof targetDefinitions)[number]["kind"];

/** One target's settings, selected by its kind. */
export type TargetConfig = ReturnType<(typeof targetDefinitions)[number]["parse"]>;

/** A target in a Release's typed settings (src/release/release-args.ts), selected by its kind: what each definition's `rawOf` takes. */
export type ReleaseTarget = Parameters<(typeof targetDefinitions)[number]["rawOf"]>[0];

/** Every `zdr:target` value, the default first. */
export const targetKinds: readonly TargetKind[] = targetDefinitions.map((d) => d.kind);

/** The target of a kind, or undefined for a kind zdr does not know. */
export function targetDefinition(kind: string): AnyTargetDefinition | undefined {
    return targetDefinitions.find((d) => d.kind === kind) as AnyTargetDefinition | undefined;
}

/** A registered target whose kind is known only when the program runs. */
type AnyTargetDefinition = TargetDefinition<TargetKind, TargetSettings<TargetKind> & TargetConfig, TargetSettings<TargetKind> & ReleaseTarget>;

/** Every key some target reads. */
export const targetKeys: readonly string[] = [...new Set(targetDefinitions.flatMap((d) => d.configKeys.map((k) => k.key)))];
