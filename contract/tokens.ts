// One type token per zdr resource type (`zdr:<module>:<Type>`), the one definition the resource
// classes (resources/), the provider's registration (provider/main.ts), `zdr status` and the
// policy pack use. This module imports nothing, so that a program or a provider that needs a
// token does not load the provider code behind it.
export const processType = "zdr:local:Process";
export const loadBalancerType = "zdr:haproxy:LoadBalancer";
export const serverType = "zdr:haproxy:Server";
export const memberType = "zdr:haproxy:Member";
export const migrationType = "zdr:postgres:Migration";
export const judgementType = "zdr:canary:Judgement";
export const epochType = "zdr:release:Epoch";
export const targetHealthType = "zdr:aws:TargetHealth";
export const hostsDeployType = "zdr:hosts:Deploy";
/**
 * The types that are a server's membership of its load balancer, one per kind of load balancer:
 * how the release's stages and `zdr status` find the servers in a stack's state. Each target's
 * definition names its own from this list (targets/target.ts: the compiler holds it to this list).
 */
export const membershipTypes = [memberType, targetHealthType] as const;
export type MembershipType = (typeof membershipTypes)[number];
export const hostKeyType = "zdr:hosts:HostKey";
export const batchCheckType = "zdr:release:BatchCheck";
export const scrapeTargetType = "zdr:local:ScrapeTarget";

/** The provider's no-op function: the program invokes it at its start so that the engine starts the
 * provider while the program still loads (src/start-provider.ts). */
export const startProviderFunction = "zdr:index:startProvider";

/** A canary's fresh baseline is the HAProxy server `zdr-fresh-<canary>` for its bake (provider/canary/fresh-baseline.ts); `zdr status` knows it is no drift. */
export const freshServerPrefix = "zdr-fresh-";
export const freshServerName = (canary: string): string => `${freshServerPrefix}${canary}`;
