import * as pulumi from "@pulumi/pulumi";
import type { ReleasePlan, ServerPlan } from "../src/release/plan";
import type { JudgementArgs } from "../resources/judgement";
import type { PostgresConnectionArgs } from "../resources/migration";

/**
 * What every target's environment offers the release (LocalEnvironment, AwsEnvironment): the
 * database the migrations run against, where the shop is reached, and the canary's evidence.
 */
export interface Environment {
    /** Where the app's migrations run; the password a secret. */
    readonly connection: pulumi.Input<PostgresConnectionArgs>;
    /** What the migrations wait for (the local PostgreSQL); undefined when the database is not the stack's. */
    readonly database?: pulumi.Resource;
    /** The load balancer's URL, when the stack has one. */
    readonly lbUrl?: pulumi.Output<string>;
    /** PostgreSQL's statement log (jsonlog, one application_name per version), when the stack runs the database. */
    readonly statementLog?: string;
    /** Where the judge reads a canary's and its baseline's requests. */
    canaryEvidence(canary: string, baseline: readonly string[]): Pick<JudgementArgs, "requestLog" | "albLogs" | "leaveOutOnFail">;
}

/** What a target (local processes + HAProxy, AWS, ...) supplies: the leaf resources of one server. */
export interface FleetTarget {
    /**
     * Runs `server.version` on the server. Its creation means "deployed and healthy"; its
     * deletion stops the old version. The fleet passes `deleteBeforeReplace` and the ordering.
     */
    deploy(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions): pulumi.CustomResource;
    /**
     * Both take `epoch` (the id of FleetArgs.epoch) as an input that replaces them when it changes.
     *
     * The server's membership in the load balancer. Creation = reattach and wait until the load
     * balancer sees it healthy; deletion = drain (no new requests, wait for in-flight ones).
     */
    membership(name: string, server: ServerPlan, epoch: pulumi.Input<string>, opts: pulumi.CustomResourceOptions, entry?: pulumi.CustomResource): Membership;
    /**
     * The server's entry in the load balancer, for load balancers that add and remove servers at
     * run time. The fleet creates it before the deploy and deletes it after: a new server enters
     * the load balancer out of rotation, and a removed one is drained (membership), stopped
     * (deploy), then removed (entry). The membership gets it as `entry`.
     * @default - none: the load balancer knows every server from its configuration
     */
    entry?(name: string, server: ServerPlan, opts: pulumi.CustomResourceOptions): pulumi.CustomResource;
}

export interface Membership {
    readonly resource: pulumi.CustomResource;
    readonly inLoadBalancer: pulumi.Output<boolean>;
}

/** Judges a canary (its deploy given) after its reattach; undefined for servers that are not judged. */
export type CanaryJudge = (name: string, server: ServerPlan, deploy: pulumi.CustomResource, opts: pulumi.CustomResourceOptions) => Judged | undefined;

export interface Judged {
    readonly resource: pulumi.CustomResource;
    readonly verdict: pulumi.Output<string>;
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
}

export interface ServerState {
    readonly name: string;
    readonly version: string;
    readonly inLoadBalancer: boolean;
    /** The canary verdict ("pass" or "accepted") when the server was judged. */
    readonly verdict?: string;
}

/**
 * A fleet behind a load balancer whose servers change version one at a time.
 *
 * Per server i the graph is:
 *   server-i  (the target's entry, when it has one: deleteBeforeReplace; dependsOn server-(i-1))
 *   deploy-i  (deleteBeforeReplace; dependsOn member-(i-1), args.dependsOn and server-i)
 *   member-i  (deleteBeforeReplace; replaceWith deploy-i)
 *   judgement-i (canaries only, when a judge is given; dependsOn member-i)
 * When server i's version changes, the engine replaces deploy-i delete-first and, because
 * member-i names deploy-i in replaceWith, deletes member-i before it: drain, stop, deploy,
 * reattach. Server i+1 registers only after member-i's step (and canary i's judgement, when
 * there is one) has finished, so servers move strictly one at a time. A server whose version
 * does not change gets no step.
 *
 * A server added to `servers` gets entry, deploy and membership created in that order (enters out
 * of rotation, starts, reattaches); a server removed gets them deleted in the reverse order
 * (drain, stop, remove), by the engine, after every other step of the up.
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
        let previous: pulumi.Resource | undefined;
        let previousEntry: pulumi.Resource | undefined;
        const states: pulumi.Output<ServerState>[] = [];
        for (const server of args.plan.servers) {
            // in release order, so that the load balancer lists the servers in that order
            const entry = args.target.entry?.(`${name}-${server.name}-server`, server, {
                parent: this,
                deleteBeforeReplace: true,
                dependsOn: previousEntry ? [previousEntry] : [],
            });
            previousEntry = entry ?? previousEntry;
            const deploy = args.target.deploy(`${name}-${server.name}-deploy`, server, args.epoch.id, {
                parent: this,
                deleteBeforeReplace: true,
                dependsOn: [...(previous ? [previous] : []), ...(args.dependsOn ?? []), ...(entry ? [entry] : [])],
            });
            const member = args.target.membership(`${name}-${server.name}-member`, server, args.epoch.id, {
                parent: this,
                deleteBeforeReplace: true,
                replaceWith: [deploy],
                dependsOn: [deploy, ...(entry ? [entry] : [])],
            }, entry);
            const judged = args.judge?.(`${name}-${server.name}-judgement`, server, deploy, { parent: this, dependsOn: [member.resource] });
            previous = judged?.resource ?? member.resource;
            states.push(
                pulumi.all([member.inLoadBalancer, judged?.verdict]).apply(([inLoadBalancer, verdict]) => ({
                    name: server.name,
                    version: server.version,
                    inLoadBalancer,
                    ...(verdict ? { verdict } : {}),
                })),
            );
        }
        this.servers = pulumi.all(states);
        this.registerOutputs({ servers: this.servers });
    }
}
