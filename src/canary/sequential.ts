// Anytime-valid building blocks for the canary judge: e-processes and confidence sequences that
// may be looked at after every request without raising the false-failure rate (Ville's
// inequality: a test supermartingale crosses 1/alpha with probability at most alpha, ever).
//
// - MatchedSets pairs each canary request with the next `m` baseline requests (m from the
//   traffic split so far): members are chosen by arrival alone, never by outcome, so whatever
//   the servers share at that moment (an error burst on every server, a slow database) cancels.
// - OddsSequence: the odds ratio of a rare event (failure, a slow request, one error signature)
//   on the canary against the baseline, by the exact conditional likelihood of matched sets
//   (conditional logistic regression): in a set with T events among 1 canary and m baseline
//   requests, the canary holds one of them with probability psi*C(m,T-1) / (psi*C(m,T-1) + C(m,T)),
//   whatever the baseline rate. A mixture of these likelihoods over a grid of psi (a normal
//   prior on log psi) is a martingale under the true psi: the confidence sequence is every psi
//   whose likelihood is within log(1/alpha) of the mixture (Lindon, Sanden, Shirikian, KDD 2022,
//   condition on events the same way for Poisson counts).
// - RateSequence: one proportion (the canary's error rate), the same mixture on a logit grid.
// - LatencySequence: latency by a within-set score test: in each latency set, the canary's
//   clipped log latency less the set's mean (setScore) has mean 0 when the set's members are
//   exchangeable, whatever the distribution; a mixture of betting martingales prod(1 + lambda*x)
//   over lambda (Waudby-Smith and Ramdas, JRSS-B 2024) tests "no slower" (or "slower by at most
//   a margin and a floor", the canary's latency mapped back by them), and the same betting the
//   other way, the canary's latency divided by (1 + tolerance), tests "slower by the tolerance
//   or more".

/** Requests of one matched set: the canary's and its baseline neighbours'. */
export interface MatchedSet<T> {
    readonly canary: T;
    readonly baseline: readonly T[];
}

/**
 * Streams canary and baseline requests in time order into disjoint matched sets. A canary
 * request takes up to `m` unused baseline requests that came just before it (at most
 * `maxGapMs` earlier) and waits for the rest; m = the baseline:canary ratio seen so far,
 * rounded, between 1 and `maxM`.
 */
export class MatchedSets<T extends { readonly t: number }> {
    private readonly open: { canary: T; baseline: T[]; m: number }[] = [];
    private readonly spare: T[] = [];
    private canaries = 0;
    private baselines = 0;

    constructor(
        private readonly emit: (s: MatchedSet<T>) => void,
        private readonly maxM = 9,
        private readonly maxGapMs = 10_000,
    ) {}

    /** A canary request left out (the canary's warm-up): it counts in the split, it forms no set. */
    skipCanary(): void {
        this.canaries++;
    }

    canary(r: T): void {
        this.canaries++;
        const m = Math.max(1, Math.min(this.maxM, Math.round(this.baselines / this.canaries)));
        const baseline: T[] = [];
        while (baseline.length < m && this.spare.length > 0) {
            const b = this.spare.pop() as T;
            if (r.t - b.t <= this.maxGapMs) {
                baseline.push(b);
            }
        }
        this.spare.length = 0;
        if (baseline.length === m) {
            this.emit({ canary: r, baseline });
        } else {
            this.open.push({ canary: r, baseline, m });
        }
    }

    baseline(r: T): void {
        this.baselines++;
        while (this.open.length > 0 && r.t - this.open[0].canary.t > this.maxGapMs) {
            this.open.shift();
        }
        const first = this.open[0];
        if (!first) {
            this.spare.push(r);
            if (this.spare.length > this.maxM) {
                this.spare.shift();
            }
            return;
        }
        first.baseline.push(r);
        if (first.baseline.length === first.m) {
            this.open.shift();
            this.emit({ canary: first.canary, baseline: first.baseline });
        }
    }
}

/**
 * Matched sets per route (method and path template): a canary request is matched with baseline
 * requests of its own route only, by arrival as in MatchedSets, each route with its own split.
 * A set's members then share the moment and the work: a window in which the canary happens to
 * serve more of the slow pages cannot decide a latency test (the sets stay exchangeable in A/A).
 */
export class RoutedSets<T extends { readonly t: number }> {
    private readonly routes = new Map<string, MatchedSets<T>>();

    constructor(private readonly emit: (s: MatchedSet<T>) => void) {}

    private of(route: string): MatchedSets<T> {
        let sets = this.routes.get(route);
        if (!sets) {
            sets = new MatchedSets(this.emit);
            this.routes.set(route, sets);
        }
        return sets;
    }

    canary(route: string, r: T): void {
        this.of(route).canary(r);
    }

    baseline(route: string, r: T): void {
        this.of(route).baseline(r);
    }

    skipCanary(route: string): void {
        this.of(route).skipCanary();
    }
}

const logSumExp = (xs: readonly number[]) => {
    const max = Math.max(...xs);
    return max === -Infinity ? -Infinity : max + Math.log(xs.reduce((s, x) => s + Math.exp(x - max), 0));
};

function logChoose(n: number, k: number): number {
    let s = 0;
    for (let i = 1; i <= k; i++) {
        s += Math.log((n - k + i) / i);
    }
    return s;
}

/** A grid of points with log prior weights, normal on the given scale, normalised. */
function normalGrid(from: number, to: number, steps: number, sd: number): { x: number[]; logW: number[] } {
    const x = Array.from({ length: steps }, (_, i) => from + ((to - from) * i) / (steps - 1));
    const raw = x.map((v) => -(v * v) / (2 * sd * sd));
    const norm = logSumExp(raw);
    return { x, logW: raw.map((r) => r - norm) };
}

/** Bounds of a confidence sequence; an effect's "none" side is 0 or Infinity. */
export interface Interval {
    readonly lower: number;
    readonly upper: number;
}

/**
 * The interval {x : logLik(x) > level} of a log-likelihood concave in log x, searched on
 * [e^-lo, e^hi] by golden section (the peak) and bisection (the ends).
 */
function concaveInterval(logLik: (logX: number) => number, level: number, lo: number, hi: number): Interval {
    let a = lo;
    let b = hi;
    const g = (Math.sqrt(5) - 1) / 2;
    for (let i = 0; i < 80; i++) {
        const c = b - g * (b - a);
        const d = a + g * (b - a);
        if (logLik(c) < logLik(d)) {
            a = c;
        } else {
            b = d;
        }
    }
    const peak = (a + b) / 2;
    if (logLik(peak) <= level) {
        return { lower: Math.exp(peak), upper: Math.exp(peak) };
    }
    const edge = (inside: number, outside: number) => {
        if (logLik(outside) > level) {
            return outside;
        }
        for (let i = 0; i < 60; i++) {
            const mid = (inside + outside) / 2;
            if (logLik(mid) > level) {
                inside = mid;
            } else {
                outside = mid;
            }
        }
        return (inside + outside) / 2;
    };
    const lower = edge(peak, lo);
    const upper = edge(peak, hi);
    return { lower: lower === lo ? 0 : Math.exp(lower), upper: upper === hi ? Infinity : Math.exp(upper) };
}

/**
 * The odds ratio psi of an event on the canary against the baseline, from matched sets.
 * Worked example: sets of 1 canary + 3 baseline requests with one event each, the event on
 * the canary in 8 of 10: the likelihood is (psi/(psi+3))^8 (3/(psi+3))^2, peaking at psi = 12.
 */
export class OddsSequence {
    static readonly grid = normalGrid(-6, 6, 121, 1.5);
    /** cells "m,T" -> [sets with the event off the canary, on the canary]. */
    private readonly cells = new Map<string, [number, number, number, number]>();
    private readonly gridLogLik = new Float64Array(OddsSequence.grid.x.length);
    /** Canary requests and events, baseline requests and events, in the sets counted. */
    readonly counts = { canary: 0, canaryEvents: 0, baseline: 0, baselineEvents: 0 };

    add(canaryEvent: boolean, baselineEvents: number, m: number): void {
        this.counts.canary++;
        this.counts.baseline += m;
        this.counts.canaryEvents += canaryEvent ? 1 : 0;
        this.counts.baselineEvents += baselineEvents;
        const total = baselineEvents + (canaryEvent ? 1 : 0);
        if (total === 0 || total === m + 1) {
            return; // no information on psi
        }
        const key = `${m},${total}`;
        let cell = this.cells.get(key);
        if (!cell) {
            cell = [m, total, 0, 0];
            this.cells.set(key, cell);
        }
        cell[canaryEvent ? 3 : 2]++;
        const a = logChoose(m, total - 1);
        const b = logChoose(m, total);
        const grid = OddsSequence.grid.x;
        for (let j = 0; j < grid.length; j++) {
            const on = grid[j] + a;
            const norm = Math.max(on, b) + Math.log1p(Math.exp(-Math.abs(on - b)));
            this.gridLogLik[j] += (canaryEvent ? on : b) - norm;
        }
    }

    /** The conditional log-likelihood at log psi. */
    logLik(logPsi: number): number {
        let s = 0;
        for (const [m, total, off, on] of this.cells.values()) {
            const a = logPsi + logChoose(m, total - 1);
            const b = logChoose(m, total);
            const norm = Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
            s += on * (a - norm) + off * (b - norm);
        }
        return s;
    }

    /** log of the mixture martingale's value at log psi = logPsi: the evidence against that psi. */
    logEvidence(logPsi: number): number {
        return this.logMixture() - this.logLik(logPsi);
    }

    private logMixture(): number {
        const { logW } = OddsSequence.grid;
        return logSumExp(Array.from(this.gridLogLik, (l, j) => l + logW[j]));
    }

    /** The confidence sequence for psi at level 1 - alpha (valid at every look). */
    interval(alpha: number): Interval {
        if (this.cells.size === 0) {
            return { lower: 0, upper: Infinity };
        }
        return concaveInterval((x) => this.logLik(x), this.logMixture() - Math.log(1 / alpha), -12, 12);
    }

    /**
     * The one-sided e-process against "psi <= bound" (side +1) or "psi >= bound" (side -1): the
     * prior restricted to the other side of the bound. Each likelihood ratio in it is a
     * supermartingale for every psi on the null side (the canary's share of a set's events
     * grows with psi), so the test is valid for the whole one-sided null. `prior`: log weights
     * on the grid (unnormalised; only the side tested counts), the grid's normal by default.
     */
    logOneSided(bound: number, side: 1 | -1, prior: readonly number[] = OddsSequence.grid.logW): number {
        const { x } = OddsSequence.grid;
        const logW = prior;
        const logBound = Math.log(bound);
        const terms: number[] = [];
        const weights: number[] = [];
        for (let j = 0; j < x.length; j++) {
            if (side * (x[j] - logBound) > 0) {
                terms.push(this.gridLogLik[j] + logW[j]);
                weights.push(logW[j]);
            }
        }
        return logSumExp(terms) - logSumExp(weights) - this.logLik(logBound);
    }

    /**
     * The one-sided bounds: the largest psi0 whose "psi <= psi0" is rejected at alphaLower (0 if
     * none) and the smallest whose "psi >= psi0" is rejected at alphaUpper (Infinity if none).
     */
    bounds(alphaLower: number, alphaUpper: number): Interval {
        if (this.cells.size === 0) {
            return { lower: 0, upper: Infinity };
        }
        const edge = (side: 1 | -1, alpha: number, inside: number, outside: number) => {
            const rejected = (x: number) => this.logOneSided(Math.exp(x), side) >= Math.log(1 / alpha);
            if (!rejected(outside)) {
                return undefined;
            }
            if (rejected(inside)) {
                return inside;
            }
            for (let i = 0; i < 40; i++) {
                const mid = (inside + outside) / 2;
                if (rejected(mid)) {
                    outside = mid;
                } else {
                    inside = mid;
                }
            }
            return outside;
        };
        const lower = edge(1, alphaLower, 6, -6);
        const upper = edge(-1, alphaUpper, -6, 6);
        return { lower: lower === undefined ? 0 : Math.exp(lower), upper: upper === undefined ? Infinity : Math.exp(upper) };
    }

    /** Is "psi <= bound" rejected at level alpha (by the mixture over `prior`, the grid's normal prior by default)? */
    above(bound: number, alpha: number, prior?: readonly number[]): boolean {
        return this.cells.size > 0 && this.logOneSided(bound, 1, prior) >= Math.log(1 / alpha);
    }

    /**
     * A prior on the grid's log psi for the fail side's mixture, a normal centred on the
     * regression worth catching early (not on "no change", which the one-sided test leaves out
     * anyway): the mixture pays less for finding psi when its mass is where psi is. The regret
     * against the test that knows psi is about -log(prior density x the likelihood's width);
     * centred on 4x with sd 0.7 (2x to 8x within one sd) it catches a 5x error regression at 1:3
     * by 1,000 canary requests in about 1.5 points more runs than the wide prior (sd 1.5 on "no
     * change"), at the same level, and 10% errors (22x) no later.
     */
    static regressionPrior(centre: number, sd: number): readonly number[] {
        return OddsSequence.grid.x.map((v) => -((v - Math.log(centre)) ** 2) / (2 * sd * sd));
    }

    /** Is "psi >= bound" rejected at level alpha? */
    below(bound: number, alpha: number): boolean {
        return this.cells.size > 0 && this.logOneSided(bound, -1) >= Math.log(1 / alpha);
    }
}

/** One proportion p (the canary's error rate): a mixture on a grid of logit p. */
export class RateSequence {
    private static readonly grid = normalGrid(-12, 4, 161, 100);
    private events = 0;
    private n = 0;

    add(event: boolean): void {
        this.n++;
        this.events += event ? 1 : 0;
    }

    get counts(): { readonly n: number; readonly events: number } {
        return { n: this.n, events: this.events };
    }

    private logLikLogit(z: number): number {
        // log p = -log(1 + e^-z), log(1-p) = -log(1 + e^z)
        const logP = -(Math.max(0, -z) + Math.log1p(Math.exp(-Math.abs(z))));
        const log1mP = -(Math.max(0, z) + Math.log1p(Math.exp(-Math.abs(z))));
        return this.events * logP + (this.n - this.events) * log1mP;
    }

    private logMixture(): number {
        const { x, logW } = RateSequence.grid;
        return logSumExp(x.map((z, j) => this.logLikLogit(z) + logW[j]));
    }

    /** The confidence sequence for p at level 1 - alpha. */
    interval(alpha: number): Interval {
        if (this.n === 0) {
            return { lower: 0, upper: 1 };
        }
        // concave in the logit; concaveInterval works on log x, so x = e^z is the odds p/(1-p)
        const odds = concaveInterval((z) => this.logLikLogit(z), this.logMixture() - Math.log(1 / alpha), -30, 30);
        const p = (o: number) => (o === Infinity ? 1 : o / (1 + o));
        return { lower: p(odds.lower), upper: p(odds.upper) };
    }
}

/**
 * A one-sided test of "the mean of x in [-1, 1] is at most 0" (direction +1) or "at least 0"
 * (direction -1), by a mixture of betting martingales prod(1 + lambda*x) over lambda in (0, 1)
 * (Waudby-Smith and Ramdas, JRSS-B 2024), weights growing with lambda: a bet of lambda grows the
 * wealth by about lambda*mu - lambda^2*v/2 a step, most at lambda = mu/v, and the set scores'
 * variance v is small, so the effects worth catching early want the larger bets (+30% latency
 * at 1:3: 87 requests to fail at the median with these weights, 98 with uniform ones).
 */
export class BettingSequence {
    static readonly lambdas = Array.from({ length: 19 }, (_, i) => (i + 1) / 20);
    private static readonly logWeights = (() => {
        const raw = BettingSequence.lambdas.map((l) => Math.log(l));
        const norm = logSumExp(raw);
        return raw.map((r) => r - norm);
    })();
    private readonly logWealth: Float64Array;
    private readonly ls: readonly number[];
    private readonly logWeights: readonly number[];
    n = 0;

    /** `lambdas`: the bets mixed, with equal weights when given. @default - 0.05..0.95, weights growing with lambda */
    constructor(
        private readonly direction: 1 | -1,
        lambdas?: readonly number[],
    ) {
        this.ls = lambdas ?? BettingSequence.lambdas;
        this.logWeights = lambdas ? lambdas.map(() => -Math.log(lambdas.length)) : BettingSequence.logWeights;
        this.logWealth = new Float64Array(this.ls.length);
    }

    add(x: number): void {
        this.n++;
        const d = this.direction * x;
        const ls = this.ls;
        for (let j = 0; j < ls.length; j++) {
            this.logWealth[j] += Math.log1p(ls[j] * d);
        }
    }

    logEvidence(): number {
        const w = this.logWeights;
        return logSumExp(Array.from(this.logWealth, (l, j) => l + w[j]));
    }
}

/**
 * "The canary's rate of an event is no more than `margin` above the baseline's", in points (an
 * absolute tolerance, where a ratio means little at low rates: at 0.5% errors on both sides,
 * "odds at most 1.5x" takes tens of thousands of requests to show). Each matched set gives
 * d = the canary's event (0 or 1) less the share of its baseline members with it, in [-1, 1];
 * the null "mean of d at least margin" is bet against (BettingSequence on (margin - d) / (1 +
 * margin), which has mean at most 0 under it, whatever the rates do over time). Worked example:
 * 0.5% errors on both sides at 1:3, margin 1 point: d has variance about 0.0067, each set adds
 * about margin^2 / (2 x 0.0067) = 0.0075 to the log wealth, so "within 1 point" is shown at 5%/6
 * after about 900 sets.
 */
export class DifferenceSequence {
    /**
     * Four bets, equal weights: the steps are mostly a small positive margin/(1 + margin) with a
     * rare -1 (a canary event), so the bets worth making are the large ones (the growth-optimal
     * one is about margin / variance of d, near or above 1 at low rates); four instead of the
     * nineteen of the latency test cost log 4 instead of about log 10 of evidence.
     */
    private readonly bet = new BettingSequence(1, [0.3, 0.55, 0.8, 0.97]);

    constructor(readonly margin: number) {}

    add(canaryEvent: boolean, baselineEvents: number, m: number): void {
        const d = (canaryEvent ? 1 : 0) - baselineEvents / m;
        this.bet.add((this.margin - d) / (1 + this.margin));
    }

    /** Is "the canary's rate is at least margin above the baseline's" rejected at level alpha? */
    within(alpha: number): boolean {
        return this.bet.logEvidence() >= Math.log(1 / alpha);
    }

    /** log of the evidence against "at least margin above". */
    logEvidence(): number {
        return this.bet.logEvidence();
    }
}

/**
 * The share of `baseline` below `x`, ties (common at whole ms) counting half: its mean is exactly
 * 1/2 when both come from one distribution, whatever it is.
 */
export function rankShare(x: number, baseline: readonly number[]): number {
    let s = 0;
    for (const b of baseline) {
        s += b < x ? 1 : b === x ? 0.5 : 0;
    }
    return s / baseline.length;
}

const logMs = (ms: number) => Math.log(Math.max(ms, 0.5));

/** Mean and variance (n - 1) of f over xs[from, to). */
function meanVar<T>(xs: readonly T[], from: number, to: number, f: (x: T) => number): { mean: number; v: number } {
    let sum = 0;
    let sq = 0;
    for (let i = from; i < to; i++) {
        const y = f(xs[i]);
        sum += y;
        sq += y * y;
    }
    const n = to - from;
    const mean = sum / n;
    return { mean, v: n > 1 ? Math.max(0, sq / n - mean * mean) * (n / (n - 1)) : 0 };
}

/**
 * The canary's score in its set, in [-1, 1], mean 0 when the set's members are exchangeable
 * (the canary is any one of them with equal chance), whatever their distribution: every member
 * gets psi((log latency - M) / scale), psi clipped to [-1, 1], M the set's median log latency (a
 * symmetric function of the set, so no member is favoured); the canary's score minus the set's
 * mean score sums to 0 over the members' places. It grows with the canary's latency, so it is a
 * valid test of "no slower" too. Against ranks it keeps how far a request is from the others,
 * up to `scale` (a clipped request, a JIT pause, weighs no more than a moderately slow one): 37%
 * more evidence a request than the rank share for a lognormal +30% at 1:3.
 * Worked example: canary 30 ms, baseline 20, 20, 20 ms, scale 0.5: M = log 20, the canary's psi
 * is min(1, log(1.5)/0.5) = 0.81, the set's mean 0.2, the score (0.81 - 0.2) / 1.5 = 0.41.
 */
export function setScore(canaryMs: number, baselineMs: readonly number[], scale: number): number {
    const ys = [logMs(canaryMs), ...baselineMs.map(logMs)];
    const sorted = [...ys].sort((a, b) => a - b);
    const k = sorted.length;
    const median = k % 2 === 1 ? sorted[(k - 1) / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
    const psi = (y: number) => Math.max(-1, Math.min(1, (y - median) / scale));
    const scores = ys.map(psi);
    const mean = scores.reduce((s, x) => s + x, 0) / k;
    // |psi_c - mean| <= 2 (k - 1) / k
    return ((scores[0] - mean) * k) / (2 * (k - 1));
}

/**
 * The service's own latency noise, measured live from the baseline alone: sigma, the spread of
 * log latency between one baseline request and the next of the same route (the median absolute
 * difference of successive sets' baseline medians, per route, over 0.954: for two draws of a
 * normal of sd sigma the difference's median absolute value is 0.954 sigma). Robust to a pause
 * (a median) and blind to the canary (a regression cannot raise its own floor).
 * Worked example: baseline requests of one route at 5, 6, 5, 4, 5 ms: differences of log latency
 * 0.18, 0.18, 0.22, 0.22, median 0.20, sigma 0.21.
 */
export function baselineNoise(diffs: readonly number[]): number | undefined {
    if (diffs.length === 0) {
        return undefined;
    }
    const sorted = [...diffs].sort((a, b) => a - b);
    const k = sorted.length;
    const median = k % 2 === 1 ? sorted[(k - 1) / 2] : (sorted[k / 2 - 1] + sorted[k / 2]) / 2;
    return median / 0.954;
}

/**
 * Latency as a scale ratio theta (canary = theta x baseline): the e-process for "the canary is no
 * slower than the baseline" (fail side, judged by judgeSlower), for "theta >= 1 + tolerance"
 * (pass side), and, for the report, a grid of thetas each tested both ways, from which the
 * confidence sequence is read. The scores' scale is fixed before each set from the sets before
 * it: CLIP x the mean absolute difference of log latency between two members of a set.
 */
export class LatencySequence {
    static readonly thetas = Array.from({ length: 41 }, (_, i) => Math.exp(-0.5 + (i * 2) / 40)); // 0.61 .. 4.5
    /** The fail side's e-process since its start: against "no slower", after a transient against "no slower than max(+failMargin, +failFloorMs)". */
    slower = new BettingSequence(1);
    readonly withinTolerance: BettingSequence;
    /** The pass side's test started at the fail side's first fresh start (a transient seen), if any. */
    private withinToleranceSinceTransient?: BettingSequence;
    /** Times the fail side started afresh on a falling transient (see judgeSlower). */
    restarts = 0;
    /**
     * The sets since the fail side's start: the canary's score as is and mapped back by the margin and floor, its log latency, its baseline members' median log latency,
     * and that median's absolute difference from the previous set's of its route (the baseline's noise, see baselineNoise).
     */
    private window: { t: number; score: number; mapped: number; own: number; base: number; route: string; noise?: number }[] = [];
    /** Each route's previous set's baseline median log latency. */
    private readonly lastBase = new Map<string, number>();
    /** The noise floor as a share (exp(noiseFloor x sigma) - 1, sigma over the window), recomputed every 16 sets (at least 72 are judged). */
    private noiseShareNow = 0;
    /** The fail side has restarted on a transient: from then on it tests "no slower than max(+failMargin, +failFloorMs)". */
    private afterTransient = false;
    /** The fail side's e-process has crossed since its start (at any look: Ville's inequality bounds that). */
    private crossedSinceStart = false;
    /** The first look at which every other fail rule held: its time, the window's length and the e-value then, and the e-value `standMs` / 2 later; a failure must still stand `standMs` later. */
    private standing?: { t: number; from: number; logEvidence: number; mid?: number; midFrom?: number };
    /** Times every other fail rule held but the slowness did not stand `standMs` later (a pause). */
    fallen = 0;
    private readonly up?: BettingSequence[];
    private readonly down?: BettingSequence[];
    private deviation = { sum: 0, n: 0 };
    /** Successful canary requests in sets, and their baseline neighbours. */
    readonly counts = { canary: 0, baseline: 0 };

    constructor(
        private readonly tolerance: number,
        /** Slowness that does not matter: a failure needs the canary's recent latency beyond max(baseline x (1 + failMargin), baseline + failFloorMs), and after a transient the test itself has this null. */
        private readonly failMargin: number,
        trackInterval = true,
        private readonly failFloorMs = 0,
        /** The transient rule reads the canary's latency relative to its set's baseline (a fresh baseline warms up alongside), not its own. */
        private readonly relativeFall = false,
        /**
         * The floor relative to the service's own noise, in its sigmas (baselineNoise over the sets
         * since the fail side's start): a failure needs the canary beyond baseline x exp(noiseFloor x
         * sigma) as well, the larger of the three counting. A fast, steady service gets a small floor,
         * a noisy one (a loaded machine, a starved process) a larger one. 0: none.
         */
        private readonly noiseFloor = 0,
    ) {
        this.withinTolerance = new BettingSequence(-1);
        if (trackInterval) {
            this.up = LatencySequence.thetas.map(() => new BettingSequence(1));
            this.down = LatencySequence.thetas.map(() => new BettingSequence(-1));
        }
    }

    /** The scores' scale now, from the sets so far (1 before the first few). */
    get scale(): number {
        return this.deviation.n < 16 ? 1 : Math.max(0.05, (LatencySequence.clip * this.deviation.sum) / this.deviation.n);
    }

    /** The scale in mean absolute differences of log latency between members of a set (1.13 sd for a normal spread). */
    static readonly clip = 1;

    /** `route`: the set's route (method and path template); the baseline's noise compares sets of one route only. */
    add(canaryMs: number, baselineMs: readonly number[], t = 0, route = ""): void {
        this.counts.canary++;
        this.counts.baseline += baselineMs.length;
        const scale = this.scale;
        const score = setScore(canaryMs, baselineMs, scale);
        // The largest latency "slower by at most the margin or the floors" allows, mapped back onto the
        // baseline's: x -> min(x / (1 + margin), x - floor, x / (1 + noise share)) inverts b -> max(b (1 + margin), b + floor, b (1 + noise share)).
        const mapped = setScore(Math.min(canaryMs / (1 + Math.max(this.failMargin, this.noiseShareNow)), canaryMs - this.failFloorMs), baselineMs, scale);
        this.slower.add(this.afterTransient ? mapped : score);
        const b = baselineMs.map(logMs).sort((x, y) => x - y);
        const k = b.length;
        const base = k % 2 === 1 ? b[(k - 1) / 2] : (b[k / 2 - 1] + b[k / 2]) / 2;
        const last = this.lastBase.get(route);
        this.lastBase.set(route, base);
        this.window.push({ t, score, mapped, own: logMs(canaryMs), base, route, ...(last !== undefined ? { noise: Math.abs(base - last) } : {}) });
        // every 16 sets: a median over the window, not at every set (the window holds up to a bake's sets)
        if (this.noiseFloor > 0 && this.window.length % 16 === 0) {
            this.noiseShareNow = this.noiseShare();
        }
        const withinTolerance = setScore(canaryMs / (1 + this.tolerance), baselineMs, scale);
        this.withinTolerance.add(withinTolerance);
        this.withinToleranceSinceTransient?.add(withinTolerance);
        if (this.up && this.down) {
            LatencySequence.thetas.forEach((theta, i) => {
                const x = setScore(canaryMs / theta, baselineMs, scale);
                this.up?.[i].add(x);
                this.down?.[i].add(x);
            });
        }
        const ys = [canaryMs, ...baselineMs].map(logMs);
        for (let i = 0; i < ys.length; i++) {
            for (let j = i + 1; j < ys.length; j++) {
                this.deviation.sum += Math.abs(ys[i] - ys[j]);
                this.deviation.n++;
            }
        }
    }

    /**
     * The fail side's verdict after a set; `threshold` is the log e-value the test must reach.
     * The test runs from its start (the canary's first judged request) against "no slower". Once
     * it has crossed, it fails only if the slowness is neither the canary's own transient nor too
     * small to matter, judged on the sets since the start:
     * - fewer than `minWindow` sets, or less than `minWindowMs` between the first and the last:
     *   too few to see a trend, or a server's pause rather than a version (the recorded A/A:
     *   one server 2 ms slower over a second's 77 requests); wait;
     * - the oldest third of the canary's own log latency above the newest third by more than
     *   `fallZ` standard errors: falling, a transient (JIT, caches, pools); the test starts afresh
     *   from the next set, now against "no slower than max(+failMargin, +failFloorMs)", for what
     *   is left of a transient is a few percent;
     * - the estimate (the canary's geometric mean latency against its baseline members' median,
     *   geometric mean) within max(x (1 + failMargin), + failFloorMs), over all the sets since
     *   the start or over their newest third: wait (the whole window keeps a pause in proportion,
     *   the newest third a transient's early part);
     * - else the slowness must stand: the first look at least `standMs` and minWindow / 3 sets
     *   later fails if the test's e-value is at the threshold and has grown since this look and
     *   since the middle of the stand (`standMs` / 2 after it), and the estimate is still beyond
     *   as above and over the stand's second half alone (session 10: a 2 s slowing that the stand
     *   began inside still covered a third of the stand, and the whole window, +20%, was just
     *   beyond a noise floor of +19%); if not, the rules start again from the next look. A server's pause (a starved
     *   CPU) slows a run of requests, and once it is over the e-value, scored against a baseline
     *   as fast as ever, falls back (the demo at load 15: from the threshold to a 60th of it
     *   within 35 canary requests); a regression that persists keeps adding evidence over both
     *   halves. No other rule runs meanwhile: a steady regression is not re-tested for a fall.
     * Every failure needs the first start's test to have crossed, so the false-failure rate stays
     * within its level (Ville) whatever these rules do: they only take failures away. Worked
     * example (bench/canary-judge.ts, 1:3, 20 ms): a cold start 3x slow decaying in 30 requests
     * crosses within about 15 sets; at 72 its oldest third is about 0.65 in log latency above the
     * newest (4 standard errors): it starts afresh and, with what is left of the transient inside
     * the margin, does not cross again; a steady +30% crosses after a median of about 85 sets and,
     * not falling, fails.
     */
    judgeSlower(threshold: number, minWindow: number, fallZ: number, minWindowMs = 0, standMs = 0): "fail" | "wait" {
        if (!this.crossedSinceStart && this.slower.logEvidence() >= threshold) {
            this.crossedSinceStart = true;
        }
        if (!this.crossedSinceStart) {
            return "wait";
        }
        const w = this.window.length;
        if (this.standing) {
            const since = this.standing;
            if (since.mid === undefined && this.window[w - 1].t - since.t >= standMs / 2) {
                since.mid = this.slower.logEvidence();
                since.midFrom = w - 1;
            }
            if (this.window[w - 1].t - since.t < standMs || w - since.from < minWindow / 3) {
                return "wait";
            }
            this.standing = undefined;
            const now = this.slower.logEvidence();
            if (now >= threshold && now >= since.logEvidence && now >= (since.mid ?? -Infinity) && this.beyond(0) && this.beyond(w - Math.floor(w / 3)) && this.beyond(since.midFrom ?? since.from)) {
                return "fail";
            }
            this.fallen++;
            return "wait";
        }
        if (w < minWindow || this.window[w - 1].t - this.window[0].t < minWindowMs) {
            return "wait";
        }
        const third = Math.floor(w / 3);
        const fallOf = (x: { own: number; base: number }) => (this.relativeFall ? x.own - x.base : x.own);
        const oldest = meanVar(this.window, 0, third, fallOf);
        const newest = meanVar(this.window, w - third, w, fallOf);
        if (oldest.mean - newest.mean > fallZ * Math.sqrt((oldest.v + newest.v) / third)) {
            this.window = [];
            this.slower = new BettingSequence(1);
            this.afterTransient = true;
            this.withinToleranceSinceTransient ??= new BettingSequence(-1);
            this.crossedSinceStart = false;
            this.restarts++;
            return "wait";
        }
        if (!this.beyond(0) || !this.beyond(w - third)) {
            return "wait";
        }
        if (standMs <= 0) {
            return "fail";
        }
        this.standing = { t: this.window[w - 1].t, from: w, logEvidence: this.slower.logEvidence() };
        return "wait";
    }

    /** The canary's geometric mean latency over the sets from `from` on, beyond max(baseline x (1 + failMargin), baseline + failFloorMs, baseline x (1 + the noise share)). */
    private beyond(from: number): boolean {
        const w = this.window.length;
        const canary = Math.exp(meanVar(this.window, from, w, (x) => x.own).mean);
        const baseline = Math.exp(meanVar(this.window, from, w, (x) => x.base).mean);
        return canary > Math.max(baseline * (1 + Math.max(this.failMargin, this.noiseShareNow)), baseline + this.failFloorMs);
    }

    /**
     * The baseline's noise (sigma of log latency, see baselineNoise) over the sets since the fail
     * side's start: each route's, weighted by its sets (the estimate beyond() reads mixes the routes
     * so); undefined before any two sets of one route. Per route: a steady 1.5 s page beside a
     * noisy 3 ms one would otherwise pull the pooled median to the steady page's.
     */
    get noise(): number | undefined {
        const diffs = new Map<string, number[]>();
        const sets = new Map<string, number>();
        for (const x of this.window) {
            sets.set(x.route, (sets.get(x.route) ?? 0) + 1);
            if (x.noise !== undefined) {
                const d = diffs.get(x.route) ?? [];
                d.push(x.noise);
                diffs.set(x.route, d);
            }
        }
        let sum = 0;
        let n = 0;
        for (const [route, d] of diffs) {
            const w = sets.get(route) ?? 0;
            sum += w * (baselineNoise(d) as number);
            n += w;
        }
        return n > 0 ? sum / n : undefined;
    }

    /** The noise floor as a share of the baseline's latency: exp(noiseFloor x sigma) - 1 (0 without a noise floor or a noise yet). */
    noiseShare(): number {
        const sigma = this.noiseFloor > 0 ? this.noise : undefined;
        return sigma === undefined ? 0 : Math.expm1(this.noiseFloor * sigma);
    }

    /**
     * log of the pass side's evidence against "slower by the tolerance or more": the mean of its
     * test from the first request and its test from the fail side's first fresh start (1 until
     * then). Each is a test supermartingale from the first request (the second is 1 before the
     * stopping time it starts at), so their mean is one too; a cold canary's transient does not
     * hold its pass back for ever.
     */
    passLogEvidence(): number {
        const a = this.withinTolerance.logEvidence();
        const b = this.withinToleranceSinceTransient?.logEvidence() ?? 0;
        return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b))) - Math.LN2;
    }

    /** The confidence sequence for theta on the grid: lower ends at alphaLower, upper ends at alphaUpper. */
    interval(alphaLower: number, alphaUpper: number): Interval | undefined {
        if (!this.up || !this.down) {
            return undefined;
        }
        const thetas = LatencySequence.thetas;
        let lower = 0;
        this.up.forEach((s, i) => {
            if (s.logEvidence() >= Math.log(1 / alphaLower)) {
                lower = Math.max(lower, thetas[i]);
            }
        });
        let upper = Infinity;
        this.down.forEach((s, i) => {
            if (s.logEvidence() >= Math.log(1 / alphaUpper)) {
                upper = Math.min(upper, thetas[i]);
            }
        });
        return { lower, upper };
    }
}
