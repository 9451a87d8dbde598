// What a target is to the parts of zdr that run no Pulumi: its kind, the stack-config keys only
// it reads (rows of the config table), and its parser. Each target is a folder (targets/<kind>/): config.ts defines it,
// environment.ts builds it (the program side, targets/programs.ts), provider/ acts on it in the
// engine, evidence/ reads its canary evidence. targets/registry.ts lists them; docs/adding-a-target.md.
import type { MembershipType } from "../contract/tokens";
import type { ConfigKey, KeyCheck, RawConfig, ReleaseConfig } from "../src/release/config";
import type { ResourceState, ServerStatus } from "../src/status/rows";
import type { MetricCheckConfig, MetricsConfig } from "../src/monitors/config";

/** What a target's parser may need beyond the raw config and the release. */
export interface TargetParseContext {
    /** $ZDR_LB_PORT: the local default's load-balancer port when lbPort is unset or 0. */
    readonly envLbPort?: string;
    /** When the SSH key's form is checked (a Release given the key as an Output checks it once resolved). @default "now" */
    readonly keyCheck?: KeyCheck;
}

/** A target's settings: its kind beside what its parser returned. */
export interface TargetSettings<K extends string> {
    readonly kind: K;
}

/** A canary's metric checks on a target, with its settings. */
export type MetricChecksOf =
    /** They run: the checks each judgement reads, and where (a Prometheus, or CloudWatch: provider/canary/judgement.ts). */
    | { readonly checks: readonly MetricCheckConfig[]; readonly store: "prometheus" | "cloudwatch" }
    /** They are off with these settings: why (the bake's live line and a stopping verdict say it, the record keeps it). */
    | { readonly off: string };

/**
 * What a target is to zdr. `C` is what its parser returns (its kind beside its settings); `S`, what a
 * team's program gives a `zdr.Release` for it (the typed settings' `target`, src/release/release-args.ts,
 * whose union is read from the registry).
 */
export interface TargetDefinition<K extends string, C extends TargetSettings<K>, S extends TargetSettings<K> = C> {
    /** The value of `zdr:target` that selects it. */
    readonly kind: K;
    /** One line: where it releases and what balances the load. */
    readonly summary: string;
    /**
     * The stack-config keys only this target reads (and those it shares with another: one row object
     * each, e.g. targets/ssh-keys.ts), as rows of the config table: type, default, what is allowed,
     * description (src/release/config.ts ConfigKey; Pulumi.yaml is written from the table).
     */
    readonly configKeys: readonly ConfigKey[];
    /**
     * The canary's metric checks with these settings and the stack's canaryMetrics (its PromQL
     * checks, parsed with `metricDefaults`): the checks and where they are read (the local
     * default's Prometheus; the team's on hosts; CloudWatch on AWS, its own checks), or why they
     * are off (hosts without the team's Prometheus); undefined for a target that reads no metric.
     */
    metricChecks(settings: C, canaryMetrics: MetricsConfig): MetricChecksOf | undefined;
    /**
     * Its default PromQL checks (canaryDefaultMetrics), which the stack config's parser adds to
     * canaryMetrics and names a check declared twice against, with the config's other problems
     * (before its settings exist). @default - the local default's (src/monitors/config.ts, defaultMetricChecks)
     */
    readonly metricDefaults?: readonly MetricCheckConfig[];
    /** Whether zdr logs in to its hosts over SSH (it then needs the secret `sshPrivateKey`). */
    readonly usesSshKey: boolean;
    /** Whether the target runs its own database (it then always needs `dbPassword`). */
    readonly ownsDatabase: boolean;
    /** Whether zdr runs the load balancer and knows its URL (the Release's `loadBalancerUrl`). */
    readonly ownsLoadBalancer: boolean;
    /** Whether the target has a dashboard zdr creates (the Release's `dashboardUrl`). */
    readonly dashboard: boolean;
    /** The repository's example stack file for it (README), which the targets' contract test runs. */
    readonly exampleStack: string;
    /** The resource types of its memberships (a server in the load balancer): how a stack's state shows its target. */
    readonly membershipTypes: readonly MembershipType[];
    /** `zdr status`'s reader of its load balancer and servers beside the state (loaded when used). */
    fleetStatus(): Promise<(resources: readonly ResourceState[]) => Promise<ServerStatus[]>>;
    /** The target's settings, every problem named by its key (a ConfigError), before anything changes. */
    parse(raw: RawConfig, release: ReleaseConfig, ctx: TargetParseContext): C;
    /** A Release's typed settings for it as its keys' text (what `pulumi.Config` would hand over), which `parse` then checks. */
    rawOf(settings: S): RawConfig;
    /** The typed settings its parsed config stands for: zdr's own program hands its stack's config to a Release this way. */
    settingsOf(config: C): S;
    /** Each of its keys as the field of the typed settings that sets it, for the Release's messages ("haproxyHost" -> "target.hosts.haproxy.address"). */
    readonly settingOfKey: Readonly<Record<string, string>>;
}
