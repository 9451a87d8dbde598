import * as pulumi from "@pulumi/pulumi";
import type { HookOutcome, MemberHooks } from "../contract/member";
import { type AppConfig, hookArgv } from "../src/release/app-config";
import type { ArgsOf } from "../resources/args";
import type { ReleasePlan, ServerPlan } from "../src/release/plan";
import type { ServerOutput } from "../src/release/fleet-state";
import { BatchCheck } from "../resources/batch-check";
import type { JudgementArgs } from "../resources/judgement";
import type { PostgresConnectionArgs } from "../resources/migration";

/**
 * What every target's environment offers the release (LocalEnvironment, AwsEnvironment): the
 * database the migrations run against, where the shop is reached, and the canary's evidence.
 */
export interface Environment {
    /** Where the app's migrations run; the password a secret. Undefined when the app has none (no database keys). */
    readonly connection?: pulumi.Input<PostgresConnectionArgs>;
    /** What the migrations wait for (the local PostgreSQL); undefined when the database is not the stack's. */
    readonly database?: pulumi.Resource;
    /** The load balancer's URL, when the stack has one. */
    readonly lbUrl?: pulumi.Output<string>;
    /** PostgreSQL's statement log (jsonlog, one application_name per version), when the stack runs the database. */
    readonly statementLog?: string;
    /** Where the judge reads a canary's and its baseline's requests (and their own log lines); `versions` gives each server's version (for a `{version}` in appLogFile or appLogUnit). */
    canaryEvidence(canary: string, baseline: readonly string[], versions?: Readonly<Record<string, string>>): Pick<JudgementArgs, "requestLog" | "remoteRequestLog" | "appLogs" | "hostAppLogs" | "albLogs" | "cloudWatchLogs" | "cloudWatchMetrics" | "leaveOutOnFail" | "freshBaseline" | "prometheus">;
}

/** What a target (local processes + HAProxy, AWS, ...) supplies: the leaf resources of one server. */
/**
 * The app's hooks for one server, as every target's membership runs them: `where` says where
 * (the project folder locally; the server's host over SSH); `mask` the stack's secrets, masked in
 * the hooks' output. Undefined when the app has no hooks.
 */
export function memberHooks(
    app: AppConfig,
    server: ServerPlan,
    port: number,
    where: Pick<ArgsOf<MemberHooks>, "cwd" | "ssh">,
    mask: pulumi.Input<string>[],
): ArgsOf<MemberHooks> | undefined {
    const h = app.hooks;
    if (!h || (h.beforeAllowTraffic.length === 0 && h.afterAllowTraffic.length === 0)) {
        return undefined;
    }
    const argv = (command: readonly string[]) => (command.length > 0 ? hookArgv(command, server.name, server.version, port) : undefined);
    return {
        beforeAllowTraffic: argv(h.beforeAllowTraffic),
        afterAllowTraffic: argv(h.afterAllowTraffic),
        timeoutMs: h.timeoutSeconds * 1000,
        env: { ZDR_SERVER: server.name, ZDR_VERSION: server.version, ZDR_PORT: String(port) },
        ...where,
        mask: mask.map((m) => pulumi.secret(m)),
    };
}

/** A server's deploy, as a target creates it. */
export interface Deploy extends pulumi.CustomResource {
    /**
     * Why the deploy failed, recorded instead of failing the create (docs/release-graph.md, "When
     * one server of a batch fails"); the membership then reattaches nothing.
     * @default - a failed deploy fails its create
     */
    readonly failure?: pulumi.Output<string | undefined>;
}

export interface FleetTarget {
    /**
     * Runs `server.version` on the server. Its creation means "deployed and healthy", or records
     * why not (`failure`); its deletion stops the old version. The fleet passes
     * `deleteBeforeReplace` and the ordering.
     */
    deploy(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): Deploy;
    /**
     * Both take `epoch` (the id of FleetArgs.epoch) as an input that replaces them when it changes.
     *
     * The server's membership in the load balancer. Creation = reattach and wait until the load
     * balancer sees it healthy, or record why not (`failure`; with `deployFailure` it attaches
     * nothing); deletion = drain (no new requests, wait for in-flight ones).
     */
    membership(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions, entry?: pulumi.CustomResource, deployFailure?: pulumi.Output<string | undefined>): Membership;
    /**
     * The server's entry in the load balancer, for load balancers that add and remove servers at
     * run time. The fleet creates it before the deploy and deletes it after: a new server enters
     * the load balancer out of rotation, and a removed one is drained (membership), stopped
     * (deploy), then removed (entry). The membership gets it as `entry`.
     * @default - none: the load balancer knows every server from its configuration
     */
    entry?(name: string, server: ServerPlan, opts: pulumi.CustomResourceOptions): pulumi.CustomResource;
    /**
     * The server's place in the target's monitoring (the local default: its target file in the
     * stack's Prometheus), so that adding or removing a server touches that server's resources
     * alone. The fleet creates it before the deploy and deletes it after: the server is scraped
     * from its start to its stop.
     * @default - none (or undefined): the target's monitoring does not list the servers
     */
    scrapeTarget?(name: string, server: ServerPlan, opts: pulumi.CustomResourceOptions): pulumi.CustomResource | undefined;
    /**
     * The server's own port, on targets that give each server one (the local default); the fleet
     * exports it, so that the next up can keep it.
     * @default - none: the servers' ports are not the fleet's to choose
     */
    port?(server: ServerPlan): number;
}

export interface Membership {
    readonly resource: pulumi.CustomResource;
    readonly inLoadBalancer: pulumi.Output<boolean>;
    /** What the team's hooks did at the last reattach. @default - the target runs no hooks */
    readonly hookResults?: pulumi.Output<readonly HookOutcome[] | undefined>;
    /** Why the server is not in the load balancer after the create (recorded, not thrown). @default - a failure fails the create */
    readonly failure?: pulumi.Output<string | undefined>;
    /**
     * Registers what must wait for the batch's check (the AWS target's TargetGroupAttachment,
     * which registers the target on its own: never for a server recorded out).
     * @default - nothing waits for it
     */
    afterCheck?(check: pulumi.Resource): void;
}

/**
 * Judges a canary (its deploy given) after its reattach; undefined for servers that are not
 * judged. `notServing` is the membership's failure: a canary that is not serving is not judged.
 */
export type CanaryJudge = (name: string, server: ServerPlan, deploy: pulumi.CustomResource, opts: pulumi.CustomResourceOptions, notServing?: pulumi.Output<string | undefined>) => Judged | undefined;

export interface Judged {
    readonly resource: pulumi.CustomResource;
    readonly verdict: pulumi.Output<string>;
    /** Why the verdict stops the release (recorded, not thrown). @default - a failing verdict fails the create */
    readonly failure?: pulumi.Output<string | undefined>;
}

export interface FleetArgs {
    readonly plan: ReleasePlan;
    readonly target: FleetTarget;
    /** Canary judgement after each canary's reattach; the next server waits for it. @default - none */
    readonly judge?: CanaryJudge;
    /**
     * The release epoch: its id is an input of every deploy and membership, so replacing it (an
     * all-at-once release) drains and stops every server before anything that depends on it.
     */
    readonly epoch: pulumi.CustomResource;
    /** Resources every deploy waits for, e.g. the release's schema migration. @default - none */
    readonly dependsOn?: pulumi.Resource[];
    /**
     * Server names in batches, in release order (planBatches): a batch's servers move in
     * parallel, the next batch once all of them are back (and judged). Every server of the plan
     * must be in exactly one batch.
     * @default - one server per batch: one at a time
     */
    readonly batches?: readonly (readonly string[])[];
}

/** A server in the fleet's `servers` output: the shape `fleetFromState` reads back after a failed up, without its failure. */
export type ServerState = Omit<ServerOutput, "failure">;

/** The name of a batch's check: its servers, e.g. `webshop-web-3+web-4-check`. */
export const batchCheckName = (fleet: string, servers: readonly string[]) => `${fleet}-${servers.join("+")}-check`;

/**
 * A fleet behind a load balancer whose servers change version in batches (by default one
 * server at a time).
 *
 * Per server i the graph is:
 *   server-i  (the target's entry, when it has one: deleteBeforeReplace; dependsOn server-(i-1))
 *   metrics-i (the target's scrape target, when it has one)
 *   deploy-i  (deleteBeforeReplace; dependsOn the previous batch's check, args.dependsOn, server-i and metrics-i)
 *   member-i  (deleteBeforeReplace; replaceWith deploy-i; takes deploy-i's `failure`)
 *   judgement-i (canaries only, when a judge is given; dependsOn member-i; takes its `failure`)
 * and per batch b (a slice of the servers, FleetArgs.batches):
 *   check-b   (zdr:release:BatchCheck; dependsOn every server's end; takes their `failure`s)
 * where a server's end is its judgement when it has one, else its member. With one server per
 * batch (the default) deploy-i depends on check-(i-1), which depends on member-(i-1) (or
 * judgement-(i-1)).
 * When server i's version changes, the engine replaces deploy-i delete-first and, because
 * member-i names deploy-i in replaceWith, deletes member-i before it: drain, stop, deploy,
 * reattach. A batch's deploys do not depend on each other, so its servers move in parallel; the
 * next batch registers only after every step of this one has finished, so never more servers
 * are out of the load balancer than the largest batch holds. A server whose version does not
 * change gets no step.
 *
 * When one server of a batch fails (issue 28): the engine stops launching steps at the first
 * step that fails, so a failing step would strand a batch partner between its steps (drained, or
 * deployed but never reattached, depending on the interleaving). So nothing a server's own steps
 * meet fails them: the deploy, membership and judgement record it as their `failure` output
 * (the server stays out of the load balancer), and check-b, which waits for every server of the
 * batch, is the step that fails the `up`, naming each failed server. Whatever the order of the
 * two servers' steps, every partner has finished (back in the load balancer when its own checks
 * passed) before the engine sees a failure, and the next batch, which waits for check-b, never
 * moves. Only what no server's step records (the engine or the provider itself failing, a
 * drain or a stop that fails) still fails its step directly.
 *
 * A server added to `servers` gets entry (and scrape target), deploy and membership created in that
 * order (enters out of rotation, starts, reattaches); a server removed gets them deleted in the
 * reverse order (drain, stop, remove), by the engine, after every other step of the up.
 *
 * All at once (an explicit mode for releases that break compatibility): every deploy and
 * membership takes the epoch's id as an input; the epoch is replaced delete-first, so the engine
 * first drains every server and stops it, then creates the new epoch; the release's migration
 * (which depends on the epoch) runs with no server up, and the servers then come back one after
 * the other as above. The engine's
 * actual step order is recorded in docs/release-graph.md.
 */
export class Fleet extends pulumi.ComponentResource {
    readonly servers: pulumi.Output<ServerState[]>;

    constructor(name: string, args: FleetArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("zdr:fleet:Fleet", name, {}, opts);
        this.servers = withoutPromiseStackTraces(() => this.build(name, args));
        this.registerOutputs({ servers: this.servers });
    }

    private build(name: string, args: FleetArgs): pulumi.Output<ServerState[]> {
        const batches = batchesOf(args.plan, args.batches);
        let previousCheck: pulumi.Resource | undefined;
        let thisBatch: End[] = [];
        let previousEntry: pulumi.Resource | undefined;
        const states: pulumi.Output<ServerState>[] = [];
        const closeBatch = () => {
            const ends = thisBatch;
            if (ends.length === 0) {
                return;
            }
            const check = new BatchCheck(batchCheckName(name, ends.map((e) => e.server)), {
                servers: ends.map((e) => e.server),
                failures: pulumi.all(ends.map((e) => e.failure)).apply((fs) => Object.fromEntries(ends.flatMap((e, k) => (fs[k] !== undefined ? [[e.server, fs[k] as string]] : [])))),
            }, { parent: this, dependsOn: ends.map((e) => e.resource) });
            ends.forEach((e) => e.afterCheck?.(check));
            previousCheck = check;
            thisBatch = [];
        };
        for (const [i, server] of args.plan.servers.entries()) {
            if (i > 0 && batches.get(server.name) !== batches.get(args.plan.servers[i - 1].name)) {
                closeBatch();
            }
            // in release order, so that the load balancer lists the servers in that order
            const entry = args.target.entry?.(`${name}-${server.name}-server`, server, {
                parent: this,
                deleteBeforeReplace: true,
                dependsOn: previousEntry ? [previousEntry] : [],
            });
            previousEntry = entry ?? previousEntry;
            const scraped = args.target.scrapeTarget?.(`${name}-${server.name}-metrics`, server, { parent: this });
            const deploy = args.target.deploy(`${name}-${server.name}-deploy`, server, args.epoch.id, {
                parent: this,
                deleteBeforeReplace: true,
                dependsOn: [...(previousCheck ? [previousCheck] : []), ...(args.dependsOn ?? []), ...(entry ? [entry] : []), ...(scraped ? [scraped] : [])],
            });
            const member = args.target.membership(`${name}-${server.name}-member`, server, args.epoch.id, {
                parent: this,
                deleteBeforeReplace: true,
                replaceWith: [deploy],
                dependsOn: [deploy, ...(entry ? [entry] : [])],
            }, entry, deploy.failure);
            const judged = args.judge?.(`${name}-${server.name}-judgement`, server, deploy, { parent: this, dependsOn: [member.resource] }, member.failure);
            thisBatch.push({
                server: server.name,
                resource: judged?.resource ?? member.resource,
                // the membership's failure carries the deploy's; a judgement's is its verdict
                failure: pulumi.all([member.failure, judged?.failure]).apply(([m, j]) => m ?? j),
                afterCheck: member.afterCheck?.bind(member),
            });
            const port = args.target.port?.(server);
            states.push(
                pulumi.all([member.inLoadBalancer, judged?.verdict, member.hookResults]).apply(([inLoadBalancer, verdict, hooks]) => ({
                    name: server.name,
                    version: server.version,
                    inLoadBalancer,
                    ...(verdict ? { verdict } : {}),
                    ...(hooks && hooks.length > 0 ? { hooks } : {}),
                    ...(port !== undefined ? { port } : {}),
                })),
            );
        }
        closeBatch();
        return pulumi.all(states);
    }
}

/** A server's end in its batch: what the batch's check waits for and reads. */
interface End {
    readonly server: string;
    readonly resource: pulumi.Resource;
    readonly failure: pulumi.Output<string | undefined>;
    readonly afterCheck?: (check: pulumi.Resource) => void;
}

/**
 * Runs `build` (which registers resources) with V8's stack traces off, unless
 * PULUMI_DEBUG_PROMISE_LEAKS asks the SDK for its promise-leak report.
 *
 * For that report only, the SDK takes a stack trace for four promises per property of every
 * resource it registers (runtime/rpc.js transferProperties -> debuggable.js). When the program
 * runs through ts-node (dist/ older than a source, see program.js) each is formatted through
 * ts-node's source maps: about 5 ms of CPU per resource, half of the program's CPU time in the
 * preview of 3,000 resources (30 s -> 15 s, bench/preview-scale.ts), all of it in the
 * synchronous loop before the first registration reaches the engine. The compiled program
 * (dist/index.js) showed no measurable difference. A resource's source position is unaffected
 * (the SDK lifts the limit itself to take it); an error thrown inside `build` keeps its message,
 * not its stack.
 */
export function withoutPromiseStackTraces<T>(build: () => T): T {
    if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
        return build();
    }
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return build();
    } finally {
        Error.stackTraceLimit = limit;
    }
}

/**
 * Each server's batch number; refuses batches that do not hold every server of the plan once,
 * consecutively in release order (a programming error, not a config one).
 */
function batchesOf(plan: ReleasePlan, batches: readonly (readonly string[])[] | undefined): Map<string, number> {
    const order = plan.servers.map((s) => s.name);
    if (batches === undefined) {
        return new Map(order.map((name, i) => [name, i]));
    }
    if (JSON.stringify(batches.flat()) !== JSON.stringify(order) || batches.some((b) => b.length === 0)) {
        throw new Error(`Fleet batches ${JSON.stringify(batches)} must hold the servers ${order.join(", ")} once each, in release order`);
    }
    return new Map(batches.flatMap((b, n) => b.map((name) => [name, n] as const)));
}
