// What the fleet should look like after this stage: pure arithmetic, no resources.
import type { ReleaseConfig } from "./config";

export type Role = "canary" | "stable" | "pinned" | "all-at-once";

export interface ServerPlan {
    readonly name: string;
    /** Position in release order, from 0. */
    readonly index: number;
    readonly version: string;
    readonly role: Role;
}

export interface ReleasePlan {
    /** In release order: servers change one at a time in this order. */
    readonly servers: readonly ServerPlan[];
    /** Every version that runs somewhere after this stage, sorted. */
    readonly liveVersions: readonly string[];
}

/**
 * Worked examples, servers [web-1, web-2, web-3], stable v1, release v2:
 * - canaryCount 0: v1 v1 v1 (all stable)
 * - canaryCount 1: v2 v1 v1 (web-1 is the canary)
 * - canaryCount 3: v2 v2 v2
 * - canaryCount 2, pins [web-1=v1]: v1 v2 v1 (web-1 rolled back, web-2 still canary)
 * - stable v2, release v2 (promoted): v2 v2 v2 whatever canaryCount says
 * - releaseMode all-at-once, release v3: v3 v3 v3 whatever canaryCount says
 */
export function planRelease(config: ReleaseConfig): ReleasePlan {
    const servers = config.servers.map((name, index): ServerPlan => {
        if (config.releaseMode === "all-at-once") {
            return { name, index, version: config.releaseVersion, role: "all-at-once" };
        }
        const pinned = config.pins[name];
        if (pinned !== undefined) {
            return { name, index, version: pinned, role: "pinned" };
        }
        return index < config.canaryCount && config.releaseVersion !== config.stableVersion
            ? { name, index, version: config.releaseVersion, role: "canary" }
            : { name, index, version: config.stableVersion, role: "stable" };
    });
    return { servers, liveVersions: [...new Set(servers.map((s) => s.version))].sort() };
}

export interface LiveForCheck {
    readonly version: string;
    readonly role: "live" | "running" | "release" | "rollback";
}

/**
 * The versions a migration of this stage must not break: every version the plan runs, the
 * release, and the rollback target (stableVersion), each once, the release and rollback roles
 * winning. Worked example: stable v1, release v2, canaryCount 3 gives v1 (rollback), v2 (release):
 * v1 no longer runs anywhere, but a rollback would bring it back.
 * All at once, only the release: every old server is stopped before the migration runs, and a
 * rollback is a restore, not a config change.
 */
export function liveForCheck(plan: ReleasePlan, config: ReleaseConfig): LiveForCheck[] {
    if (config.releaseMode === "all-at-once") {
        return [{ version: config.releaseVersion, role: "release" }];
    }
    const versions = new Map<string, LiveForCheck["role"]>();
    for (const v of plan.liveVersions) {
        versions.set(v, "live");
    }
    versions.set(config.stableVersion, "rollback");
    if (config.releaseVersion !== config.stableVersion) {
        versions.set(config.releaseVersion, "release");
    }
    return [...versions].map(([version, role]) => ({ version, role })).sort((a, b) => a.version.localeCompare(b.version));
}

/**
 * Adds the versions the servers run right now (the last up's outputs) to the live set: the
 * stage's migrations apply before any server moves, so a server the stage will move off an older
 * version still runs it while they apply. Worked example: stable v1 -> v2 with web-3 still on v1,
 * and in the same change release v3: liveForCheck gives v2 (rollback), v3 (release); with web-3
 * running v1, v1 (running) joins. All at once: unchanged (every server stops first).
 */
export function withRunning(live: readonly LiveForCheck[], running: readonly string[], config: ReleaseConfig): LiveForCheck[] {
    if (config.releaseMode === "all-at-once") {
        return [...live];
    }
    const known = new Set(live.map((l) => l.version));
    const extra = [...new Set(running)].filter((v) => !known.has(v)).map((version): LiveForCheck => ({ version, role: "running" }));
    return [...live, ...extra].sort((a, b) => a.version.localeCompare(b.version));
}
