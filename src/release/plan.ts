// What the fleet should look like after this stage: pure arithmetic, no resources.
import { ConfigError, namespace, ReleaseConfig } from "./config";

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

/**
 * The migrations this stage needs applied, in order: every file up to the highest n that a
 * version running after the stage needs (schemaVersions). Versions not in schemaVersions need
 * nothing. A file left out later (a rollback) stays applied: schema changes only go forward.
 * Worked example: files V1, V2, V3; schemaVersions v1=1, v2=2, v3=3; web-1 on v2, the others on
 * v1 gives V1, V2. Promoting v2 and releasing v3 to one canary gives V1, V2, V3.
 * Throws a ConfigError when a version needs a migration the folder does not have.
 */
export function migrationsToApply<F extends { readonly version: number; readonly script: string }>(
    files: readonly F[],
    schemaVersions: Readonly<Record<string, number>>,
    plan: ReleasePlan,
): F[] {
    const needs = plan.liveVersions.map((v) => [v, schemaVersions[v] ?? 0] as const);
    const problems = needs
        .filter(([, n]) => n > 0 && !files.some((f) => f.version === n))
        .map(([v, n]) => `${namespace}:schemaVersions: ${v} needs V${n}, which is not in ${namespace}:migrationsDir (it has ${files.map((f) => `V${f.version}`).join(", ") || "no migrations"})`);
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    const upTo = Math.max(0, ...needs.map(([, n]) => n));
    return files.filter((f) => f.version <= upTo);
}

/**
 * The servers a canary is judged against: those on stableVersion that are not canaries
 * themselves (pinned servers on stableVersion count). Worked example: stable v1, release v2,
 * canaryCount 1 on [web-1, web-2, web-3] gives web-2, web-3; canaryCount 3 gives none (no
 * judgement without a baseline).
 */
export function canaryBaseline(plan: ReleasePlan, config: ReleaseConfig): string[] {
    return plan.servers.filter((s) => s.version === config.stableVersion && s.role !== "canary").map((s) => s.name);
}
