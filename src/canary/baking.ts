// The canaries baking in a stack, read from its state as `zdr watch` needs them: a judgement the
// engine is creating or updating right now (a pending operation of type zdr:canary:Judgement: the
// engine records it with its inputs when the step starts, and drops it when the step ends). Its
// inputs are the judgement's description of the canary (targets/canary-evidence.ts), the same
// the bake reads its evidence from. Pure: the state in, the bakes out.
import type { CanaryEvidenceInputs } from "../../targets/canary-evidence";
import { judgementType } from "../../contract/tokens";

/** A judgement in progress. */
export interface Bake {
    readonly urn: string;
    /** The judgement's inputs: the canary and its evidence (more fields than these are there: the judgement's own). */
    readonly inputs: CanaryEvidenceInputs;
}

/** Pulumi's mark of a secret value in a state (`pulumi stack export`; with --show-secrets it carries `plaintext`). */
const secretSig = "4dabf18193072939515e22adb298388d";

/**
 * A state's value with its secrets in plain text (as `pulumi stack export --show-secrets`
 * gives them: {sig, plaintext: JSON}); a secret still encrypted (no plaintext) is an error.
 */
export function revealed(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(revealed);
    }
    if (v !== null && typeof v === "object") {
        const o = v as Record<string, unknown>;
        if (secretSig in o) {
            if (typeof o.plaintext !== "string") {
                throw new Error("a secret of the state is still encrypted (read it with the stack's passphrase or secrets provider)");
            }
            return revealed(JSON.parse(o.plaintext));
        }
        return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, revealed(x)]));
    }
    return v;
}

interface PendingOperation {
    readonly type?: string;
    readonly resource?: { readonly urn?: string; readonly type?: string; readonly inputs?: unknown };
}

/** The judgements baking in a deployment (the state's `deployment`): judged now, neither accepted nor left unjudged. */
export function bakesIn(deployment: { readonly pending_operations?: readonly PendingOperation[] } | undefined): Bake[] {
    return (deployment?.pending_operations ?? []).flatMap((op) => {
        const r = op.resource;
        if (r?.type !== judgementType || (op.type !== "creating" && op.type !== "updating") || typeof r.urn !== "string") {
            return [];
        }
        // the judgement's own fields beside the evidence: an accepted verdict and a canary not serving are not judged
        const inputs = revealed(r.inputs ?? {}) as CanaryEvidenceInputs & { readonly accepted?: boolean; readonly notServing?: string };
        return typeof inputs.canary === "string" && Array.isArray(inputs.baseline) && inputs.accepted !== true && inputs.notServing === undefined ? [{ urn: r.urn, inputs }] : [];
    });
}

/**
 * The bake `zdr watch` asked for: `canary` names it (or the only one baking), `baseline` some of
 * its stable servers (or all of them). Every refusal names the option and what is allowed.
 */
export function pickBake(bakes: readonly Bake[], stack: string, canary: string | undefined, baseline: readonly string[]): { readonly inputs: CanaryEvidenceInputs } | { readonly error: string } {
    const baking = bakes.map((b) => b.inputs.canary).join(", ");
    if (bakes.length === 0) {
        return { error: `no canary is baking in stack ${stack}: no canary judgement is in progress (watch during an \`up\` that moves a canary, once it is back in the load balancer)` };
    }
    const bake = canary === undefined ? (bakes.length === 1 ? bakes[0] : undefined) : bakes.find((b) => b.inputs.canary === canary);
    if (!bake) {
        return { error: canary === undefined ? `--canary: ${bakes.length} canaries are baking in stack ${stack} (${baking}): name one` : `--canary: ${canary} is not baking in stack ${stack}; baking: ${baking}` };
    }
    const unknown = baseline.filter((s) => !bake.inputs.baseline.includes(s));
    if (unknown.length > 0) {
        return { error: `--baseline: ${unknown.join(", ")} not among the stable servers ${bake.inputs.canary} is compared with (${bake.inputs.baseline.join(", ")})` };
    }
    return { inputs: baseline.length > 0 ? { ...bake.inputs, baseline: [...baseline] } : bake.inputs };
}
