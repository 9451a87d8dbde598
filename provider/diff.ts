import type * as provider from "@pulumi/pulumi/provider";
// runtime/rpc, not runtime: the provider server loads rpc anyway, runtime loads the whole SDK
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

/** The value the engine sends for an input not yet known during a preview (the SDK's sentinel). */
export { unknownValue };

const stable = (v: unknown): string =>
    JSON.stringify(v, (_k, val) =>
        val && typeof val === "object" && !Array.isArray(val)
            ? Object.fromEntries(Object.entries(val).sort(([a], [b]) => a.localeCompare(b)))
            : val,
    ) ?? "undefined";

/**
 * Inputs that carry what another resource recorded when it acted (a deploy's failure into its
 * membership, a membership's into the judgement, the batch's failures into its check). In a
 * preview such an input is unknown whenever its source recorded nothing (the SDK reads an output
 * missing from the state as unknown in a preview), though nothing will change: a preview does
 * not predict failures. So an unknown carried input is not a change; the `up` diffs the value its
 * source really recorded (known by then), and a source that acts again changes other inputs too.
 */
export const carriedFailures: readonly string[] = ["deployFailure", "notServing", "failures"];

/**
 * The input keys whose value differs between the old outputs and the new inputs. An unknown
 * value is a change, except for a carried failure (see carriedFailures).
 */
export function changedKeys(olds: object, news: object, outputOnly: readonly string[]): string[] {
    const o = olds as Record<string, unknown>;
    const n = news as Record<string, unknown>;
    const keys = new Set([...Object.keys(o), ...Object.keys(n)].filter((k) => !outputOnly.includes(k)));
    return [...keys].filter((k) => {
        if (stable(n[k]).includes(unknownValue)) {
            return !carriedFailures.includes(k);
        }
        return stable(o[k]) !== stable(n[k]);
    }).sort();
}

/** A diff for resources that cannot change in place: every changed input replaces. */
export function diffReplacingAll(olds: object, news: object, outputOnly: readonly string[]): provider.DiffResult {
    const replaces = changedKeys(olds, news, outputOnly);
    return { changes: replaces.length > 0, replaces };
}

/** The resource type of a URN: `urn:pulumi:stack::project::parent$type::name` gives `type`. */
export function typeOfUrn(urn: string): string {
    const qualified = urn.split("::")[2] ?? "";
    return qualified.slice(qualified.lastIndexOf("$") + 1);
}

/**
 * Replaces the engine's secret wrappers ({ <sig>: <secret sig>, value }) by their values. The
 * provider needs the plain value to act on; secretness in the state comes from the resources'
 * additionalSecretOutputs.
 */
export function unwrapSecrets<T>(value: T): T {
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets) as T;
    }
    if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (o[specialSigKey] === specialSecretSig) {
            return unwrapSecrets(o.value) as T;
        }
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v)])) as T;
    }
    return value;
}

/**
 * The inputs a check gives back to the engine: `sent` (as the engine sent them, secrets
 * wrapped) with every top-level input the type's check returned changed (compared on plain
 * values) taken from it. A type that returns its inputs unchanged changes nothing.
 */
export function checkedInputs(sent: Record<string, unknown>, checked: Record<string, unknown> | undefined): Record<string, unknown> {
    const plain = unwrapSecrets(sent);
    const changed = Object.entries(checked ?? {}).filter(([k, v]) => stable(v) !== stable(plain[k]));
    return { ...sent, ...Object.fromEntries(changed) };
}
