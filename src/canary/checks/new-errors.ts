// new-error: <sig>: one check per error signature the baseline has not shown — a failed request's
// error (the x-error header, optional), or a template of the app's own error log lines ("log:
// ...") carried by a request whatever its status — by the odds that its occurrences land on the
// canary alone. A signature any stable server shows (in the window or in their recent history) is
// known and never judged. While one is open, the canary cannot pass early. Once the error rate has
// failed, the signatures are tested in a chain at the error rate's level.
import { isFailed } from "../series";
import { MatchedSet, MatchedSets, OddsSequence } from "../sequential";
import { CanaryCheck, Check, CheckContext, JudgedRequest, pct, relativeEvidence, Sample, times } from "./check";

export interface NewErrorsOptions {
    /** Error signatures the stable servers showed before the window (their recent history): known, never new. @default - none */
    readonly knownSignatures?: readonly string[];
}

/** Its share of alpha (./index.ts), the k-th signature half the one before: a signature the stable servers never show, on 0.5% of 2,000 canary requests, failed 157 of 200 streams at 1:2 with 0.2%. */
export const newErrorsShare = 0.4;

/** Signatures from the app's own log lines start with this (src/canary/app-log.ts). */
export const appLogPrefix = "log: ";

/** A request's error signatures: its error when it failed, and those it carries whatever its status. */
const signaturesOf = (s: Sample): readonly string[] => (isFailed(s) && s.error !== undefined ? [s.error, ...(s.signatures ?? [])] : s.signatures ?? []);

/**
 * The fail side: the likelihood ratio at psi = infinity ("the signature is the canary's alone")
 * against psi = 1, over the sets after the opener: (1 + m) / T for a set of 1 + m requests with T
 * occurrences, the canary holding one; 0 once a stable server holds one. The check only ever
 * judges a signature no stable server has shown (in the window or their recent history: the
 * moment one shows it, it is known and never judged), so every set it can fail on has the
 * signature on the canary alone, and there this ratio is the largest any alternative gives: it
 * dominates every mixture over psi on every stream the check can fail (the mixture centred on 50x
 * before it counted each occurrence at 1:3 as 3.77 instead of 4, and needed a 6th further
 * occurrence where this needs a 5th). Under psi <= 1 the canary holds a set's occurrence with
 * probability at most T / (1 + m), so the product is a test supermartingale (Ville): the chance
 * that k occurrences in a row land on the canary when every server is as likely to show it is
 * (1 / (1 + m))^k, and the check fails at the k-th with (1 + m)^k >= 1 / its level. A rare
 * signature of the stable version that the stable servers simply did not show yet is exactly that
 * null, and it fails at most its level of canaries.
 */
function onlyOnCanary(on: boolean, off: number, m: number): number {
    const total = off + (on ? 1 : 0);
    if (total === 0 || total === m + 1) {
        return 0; // no information
    }
    return on ? Math.log((1 + m) / total) : -Infinity;
}
/** Float slack in comparing a product of (1 + m)'s with 1 / level: 10^3 at 1:9 is 1 / 0.1% exactly. */
const logSlack = 1e-9;

const checkName = (signature: string) => `new-error: ${signature}`;

interface Signature {
    readonly signature: string;
    readonly odds: OddsSequence;
    readonly alpha: number;
    readonly firstSeen: number;
    /** The canary request that opened the check: its set is not part of the test (chosen by its outcome). */
    readonly opener: Sample;
    /** log of the fail side's e-value (onlyOnCanary's product over the sets after the opener). */
    logEvidence: number;
    seenOnBaseline: boolean;
    crossedAfter?: number;
}

interface Timed {
    readonly t: number;
    readonly s: Sample;
}

export class NewErrorsCheck implements CanaryCheck {
    private readonly signatures = new Map<string, Signature>();
    private readonly baselineSignatures: Set<string>;
    private readonly sets = new MatchedSets<Timed>((set) => this.onSet(set));

    constructor(
        o: NewErrorsOptions,
        private readonly c: CheckContext,
        /** The check whose failure opens the chain, and its level. */
        private readonly gate: { readonly check: string; readonly alpha: number },
    ) {
        this.baselineSignatures = new Set(o.knownSignatures ?? []);
    }

    /** A stable server's signatures are known from now on; a canary's unknown one opens a check. */
    see(r: JudgedRequest): void {
        if (r.group !== "canary") {
            for (const signature of signaturesOf(r.s)) {
                this.baselineSignatures.add(signature);
                const sig = this.signatures.get(signature);
                if (sig) {
                    sig.seenOnBaseline = true;
                }
            }
            return;
        }
        for (const signature of signaturesOf(r.s)) {
            if (!this.signatures.has(signature) && !this.baselineSignatures.has(signature)) {
                // The check starts after the occurrence that opened it: its tests use later sets only.
                this.signatures.set(signature, { signature, odds: new OddsSequence(), alpha: this.c.alpha / 2 ** (this.signatures.size + 1), firstSeen: r.t, opener: r.s, logEvidence: 0, seenOnBaseline: false });
            }
        }
    }

    add(r: JudgedRequest): void {
        const x = { t: r.t, s: r.s };
        if (r.group === "canary") {
            this.sets.canary(x);
        } else {
            this.sets.baseline(x);
        }
    }

    private onSet(set: MatchedSet<Timed>): void {
        const m = set.baseline.length;
        for (const sig of this.signatures.values()) {
            if ((sig.crossedAfter !== undefined && this.c.state.decided) || set.canary.s === sig.opener) {
                continue;
            }
            const on = signaturesOf(set.canary.s).includes(sig.signature);
            const off = set.baseline.filter((b) => signaturesOf(b.s).includes(sig.signature)).length;
            sig.odds.add(on, off, m);
            sig.logEvidence += onlyOnCanary(on, off, m);
            // Tested at its own level, or at the gate's (the error rate's) level once the error
            // rate and every new signature seen before this one have failed: fixed-sequence
            // (hierarchical) testing, the error rate first, then the signatures in the order the
            // canary first showed them; the false-failure rate of the chain stays within the
            // error rate's share.
            const gated = this.c.state.crossedAt(this.gate.check) !== undefined && this.earlierFailed(sig) ? this.gate.alpha : 0;
            if ((on || off > 0) && !sig.seenOnBaseline && sig.logEvidence >= Math.log(1 / Math.max(sig.alpha, gated)) - logSlack) {
                sig.crossedAfter ??= this.c.state.canaryRequests;
                this.c.state.cross(checkName(sig.signature));
            }
        }
    }

    private earlierFailed(sig: Signature): boolean {
        for (const other of this.signatures.values()) {
            if (other === sig) {
                return true;
            }
            if (!other.seenOnBaseline && other.crossedAfter === undefined) {
                return false;
            }
        }
        return true;
    }

    /** The open signatures in the order the canary showed them: the log of each one's fail-side evidence and the canary requests in its sets. */
    open(): { readonly signature: string; readonly logEvidence: number; readonly canaryRequests: number; readonly order: number }[] {
        return [...this.signatures.values()].map((s, i) => ({ s, order: i + 1 })).filter(({ s }) => !s.seenOnBaseline).map(({ s, order }) => ({ signature: s.signature, logEvidence: s.logEvidence, canaryRequests: s.odds.counts.canary, order }));
    }

    /** No signature is open: each one the canary showed is known by now. */
    withinTolerance(): boolean {
        return ![...this.signatures.values()].some((s) => !s.seenOnBaseline);
    }

    evidence(): Record<string, number> {
        const evidence: Record<string, number> = {};
        for (const sig of this.signatures.values()) {
            if (!sig.seenOnBaseline) {
                evidence[checkName(sig.signature)] = relativeEvidence(sig.logEvidence, sig.alpha);
            }
        }
        return evidence;
    }

    rows(): Check[] {
        const canaryRequests = this.c.state.canaryRequests;
        return [...this.signatures.values()]
            .filter((x) => !x.seenOnBaseline || x.crossedAfter !== undefined)
            .map((sig) => {
                const c = sig.odds.counts;
                const interval = sig.odds.bounds(sig.alpha, this.c.passShare);
                const all = c.canaryEvents + 1; // with the occurrence that opened the check
                const crossed = sig.crossedAfter !== undefined;
                return {
                    name: checkName(sig.signature),
                    verdict: crossed ? "fail" : "undecided",
                    effect: "odds ratio",
                    interval,
                    evidence: Math.exp(sig.logEvidence),
                    threshold: 1 / sig.alpha,
                    ...(crossed ? { crossedAfter: sig.crossedAfter } : {}),
                    canaryRequests: c.canary,
                    firstSeen: sig.firstSeen,
                    baseline: c.baseline ? c.baselineEvents / c.baseline : 0,
                    canary: all / canaryRequests,
                    detail: `${all} canary requests (${pct(all / canaryRequests)}) ${sig.signature.startsWith(appLogPrefix) ? "logged a line" : "failed with an error"} the baseline never showed; odds ratio ${times(interval.lower)}..${times(interval.upper)}`,
                };
            });
    }

    ruledOut(): string[] {
        return [];
    }

    /** Not listed: an open signature closes when a stable server shows it or the canary fails on it, not by more traffic alone. */
    toPass(): undefined {
        return undefined;
    }
}
