import { strict as assert } from "node:assert";
import { ConfigError, parseReleaseConfig, RawConfig } from "../../../src/release/config";
import { canaryBaseline, liveForCheck, migrationsToApply, planRelease, withRunning } from "../../../src/release/plan";

const three = JSON.stringify(["web-1", "web-2", "web-3"]);

describe("planRelease", () => {
    const cases: { name: string; raw: RawConfig; versions: string[]; roles: string[]; live: string[] }[] = [
        { name: "no release: all stable", raw: { servers: three }, versions: ["v1", "v1", "v1"], roles: ["stable", "stable", "stable"], live: ["v1"] },
        { name: "canaryCount 1: the first server is the canary", raw: { servers: three, releaseVersion: "v2", canaryCount: "1" }, versions: ["v2", "v1", "v1"], roles: ["canary", "stable", "stable"], live: ["v1", "v2"] },
        { name: "canaryCount 3: every server runs the release", raw: { servers: three, releaseVersion: "v2", canaryCount: "3" }, versions: ["v2", "v2", "v2"], roles: ["canary", "canary", "canary"], live: ["v2"] },
        { name: "a pin rolls one canary back", raw: { servers: three, releaseVersion: "v2", canaryCount: "2", pins: '["web-1=v1"]' }, versions: ["v1", "v2", "v1"], roles: ["pinned", "canary", "stable"], live: ["v1", "v2"] },
        { name: "promoted: release equals stable, canaryCount has no effect", raw: { servers: three, stableVersion: "v2", releaseVersion: "v2", canaryCount: "1" }, versions: ["v2", "v2", "v2"], roles: ["stable", "stable", "stable"], live: ["v2"] },
        { name: "empty releaseVersion means stableVersion", raw: { servers: three, stableVersion: "v2", releaseVersion: "", canaryCount: "2" }, versions: ["v2", "v2", "v2"], roles: ["stable", "stable", "stable"], live: ["v2"] },
        { name: "all at once: every server runs the release, canaryCount aside", raw: { servers: three, releaseVersion: "v3", releaseMode: "all-at-once", canaryCount: "1" }, versions: ["v3", "v3", "v3"], roles: ["all-at-once", "all-at-once", "all-at-once"], live: ["v3"] },
        { name: "declared order is release order", raw: { servers: '["b","a"]', releaseVersion: "v3", canaryCount: "1" }, versions: ["v3", "v1"], roles: ["canary", "stable"], live: ["v1", "v3"] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const plan = planRelease(parseReleaseConfig(c.raw));
            assert.deepEqual(plan.servers.map((s) => s.version), c.versions);
            assert.deepEqual(plan.servers.map((s) => s.role), c.roles);
            assert.deepEqual(plan.servers.map((s) => s.index), c.versions.map((_, i) => i));
            assert.deepEqual(plan.liveVersions, c.live);
        });
    }
});

describe("parseReleaseConfig takes any well-formed version name", () => {
    for (const v of ["v2", "1.4.0-rc.1+build.7", "3f9c2ab71d0e4c5b8a6f1e2d3c4b5a6978877665", "2026.11.27", "release_42"]) {
        it(v, () => assert.equal(parseReleaseConfig({ releaseVersion: v, canaryCount: "1" }).releaseVersion, v));
    }
});

describe("parseReleaseConfig rejects bad input with the key and what is allowed", () => {
    const cases: { name: string; raw: RawConfig; message: string }[] = [
        { name: "canaryCount above the server count", raw: { servers: three, canaryCount: "4" }, message: 'zdr:canaryCount: must be an integer from 0 to 3; got "4"' },
        { name: "canaryCount not a number", raw: { canaryCount: "two" }, message: 'zdr:canaryCount: must be an integer from 0 to 3; got "two"' },
        { name: "negative canaryCount", raw: { canaryCount: "-1" }, message: 'zdr:canaryCount: must be an integer from 0 to 3; got "-1"' },
        { name: "a release version with a space", raw: { releaseVersion: "v 9" }, message: 'zdr:releaseVersion: must be a version name (letters, digits, . _ + -, starting with a letter or digit, at most 128); got "v 9"' },
        { name: "a stable version starting with a dot", raw: { stableVersion: ".latest" }, message: 'zdr:stableVersion: must be a version name (letters, digits, . _ + -, starting with a letter or digit, at most 128); got ".latest"' },
        { name: "duplicate server", raw: { servers: '["web-1","web-1"]' }, message: "zdr:servers: web-1 is listed twice; every server name must be unique" },
        { name: "no servers", raw: { servers: "[]" }, message: "zdr:servers: must be a non-empty list of names" },
        { name: "server name with a space", raw: { servers: '["web 1"]' }, message: "zdr:servers: must be a non-empty list of names" },
        { name: "servers not a list", raw: { servers: "web-1,web-2" }, message: 'zdr:servers: must be a list in YAML or JSON; got "web-1,web-2"' },
        { name: "pin of an unknown server", raw: { pins: '["web-9=v1"]' }, message: "zdr:pins: web-9 is not one of the servers (web-1, web-2, web-3)" },
        { name: "pin without a version", raw: { pins: '["web-1"]' }, message: 'zdr:pins: "web-1" is not "server=version"' },
        { name: "pin to a malformed version", raw: { pins: '["web-1=v/0"]' }, message: 'zdr:pins: "v/0" is not a version name' },
        { name: "server pinned twice", raw: { pins: '["web-1=v1","web-1=v2"]' }, message: "zdr:pins: web-1 is pinned twice" },
        { name: "zero drain timeout", raw: { drainTimeoutSeconds: "0" }, message: 'zdr:drainTimeoutSeconds: must be an integer from 1 to 3600; got "0"' },
        { name: "negative drain timeout", raw: { drainTimeoutSeconds: "-5" }, message: 'zdr:drainTimeoutSeconds: must be an integer from 1 to 3600; got "-5"' },
        { name: "health-check interval too short", raw: { healthCheckIntervalMs: "10" }, message: 'zdr:healthCheckIntervalMs: must be an integer from 100 to 60000; got "10"' },
        { name: "a negative bake window", raw: { bakeSeconds: "-3" }, message: 'zdr:bakeSeconds: must be an integer from 0 to 86400; got "-3"' },
        { name: "an accepted verdict of an unknown server", raw: { acceptVerdicts: '["web-7=v2"]' }, message: "zdr:acceptVerdicts: web-7 is not one of the servers (web-1, web-2, web-3)" },
        { name: "an unknown release mode", raw: { releaseMode: "big-bang" }, message: 'zdr:releaseMode: must be one of "staged", "all-at-once"; got "big-bang"' },
        { name: "all at once with nothing to release", raw: { releaseMode: "all-at-once" }, message: 'zdr:releaseMode: "all-at-once" needs a releaseVersion other than stableVersion (v1); set zdr:releaseVersion' },
        { name: "all at once with a pin", raw: { releaseMode: "all-at-once", releaseVersion: "v2", pins: '["web-1=v1"]' }, message: 'zdr:pins: must be empty when zdr:releaseMode is "all-at-once"' },
        { name: "fractional health timeout", raw: { healthTimeoutSeconds: "1.5" }, message: 'zdr:healthTimeoutSeconds: must be an integer from 1 to 3600; got "1.5"' },
    ];
    for (const c of cases) {
        it(c.name, () => {
            assert.throws(() => parseReleaseConfig(c.raw), (e: unknown) => {
                assert.ok(e instanceof ConfigError);
                assert.ok(e.problems.some((p) => p.startsWith(c.message)), `${JSON.stringify(e.problems)} has no ${c.message}`);
                return true;
            });
        });
    }

    it("reports every problem at once", () => {
        assert.throws(() => parseReleaseConfig({ canaryCount: "9", drainTimeoutSeconds: "0" }), (e: ConfigError) => e.problems.length === 2);
    });
});

describe("liveForCheck: the versions a migration of the stage must not break", () => {
    const cases: { name: string; raw: RawConfig; want: string[] }[] = [
        { name: "staged canary: the fleet, the release and the rollback target", raw: { servers: three, releaseVersion: "v2", canaryCount: "1" }, want: ["v1 rollback", "v2 release"] },
        { name: "staged, every server on the release: the rollback target still counts", raw: { servers: three, releaseVersion: "v2", canaryCount: "3" }, want: ["v1 rollback", "v2 release"] },
        { name: "a pinned older version stays live", raw: { servers: three, stableVersion: "v2", releaseVersion: "v3", canaryCount: "1", pins: '["web-3=v1"]' }, want: ["v1 live", "v2 rollback", "v3 release"] },
        { name: "all at once: the release alone (every old server is stopped first)", raw: { servers: three, releaseVersion: "v3", releaseMode: "all-at-once" }, want: ["v3 release"] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const config = parseReleaseConfig(c.raw);
            assert.deepEqual(liveForCheck(planRelease(config), config).map((l) => `${l.version} ${l.role}`), c.want);
        });
    }
});

describe("withRunning: what the servers run before the stage moves them", () => {
    const cases: { name: string; raw: RawConfig; running: string[]; want: string[] }[] = [
        { name: "a server still on v1 while the change promotes v2 and releases v3", raw: { servers: three, stableVersion: "v2", releaseVersion: "v3", canaryCount: "1" }, running: ["v2", "v2", "v1"], want: ["v1 running", "v2 rollback", "v3 release"] },
        { name: "nothing new when the running versions are already in the set", raw: { servers: three, releaseVersion: "v2", canaryCount: "1" }, running: ["v1", "v1", "v1"], want: ["v1 rollback", "v2 release"] },
        { name: "a stack's first up: nothing runs yet", raw: { servers: three }, running: [], want: ["v1 rollback"] },
        { name: "all at once: the old versions are stopped before the migration", raw: { servers: three, releaseVersion: "v3", releaseMode: "all-at-once" }, running: ["v1", "v1", "v1"], want: ["v3 release"] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const config = parseReleaseConfig(c.raw);
            assert.deepEqual(withRunning(liveForCheck(planRelease(config), config), c.running, config).map((l) => `${l.version} ${l.role}`), c.want);
        });
    }
});

describe("migrationsToApply: every file up to the newest one a running version needs", () => {
    const files = [1, 2, 3, 10].map((version) => ({ version, script: `V${version}__m.sql` }));
    const needs = { v1: 1, v2: 2, v3: 3, "4.0.0": 10 };
    const cases: { name: string; raw: RawConfig; want: number[] }[] = [
        { name: "v1 everywhere: V1", raw: { servers: three }, want: [1] },
        { name: "a v2 canary beside v1: V1, V2 (v2 needs V2 before it starts)", raw: { servers: three, releaseVersion: "v2", canaryCount: "1" }, want: [1, 2] },
        { name: "v2 released but no canary yet: V1 only", raw: { servers: three, releaseVersion: "v2", canaryCount: "0" }, want: [1] },
        { name: "v2 promoted, v3 to one canary: V1..V3", raw: { servers: three, stableVersion: "v2", releaseVersion: "v3", canaryCount: "1" }, want: [1, 2, 3] },
        { name: "a version without an entry needs nothing", raw: { servers: three, stableVersion: "abc1234" }, want: [] },
        { name: "numbers order the files, not their names: 4.0.0 needs V10", raw: { servers: three, releaseVersion: "4.0.0", canaryCount: "1" }, want: [1, 2, 3, 10] },
    ];
    for (const c of cases) {
        it(c.name, () => assert.deepEqual(migrationsToApply(files, needs, planRelease(parseReleaseConfig(c.raw))).map((f) => f.version), c.want));
    }
    it("refuses a version that needs a file the folder does not have", () => {
        assert.throws(
            () => migrationsToApply(files, { v1: 1, v2: 4 }, planRelease(parseReleaseConfig({ servers: three, releaseVersion: "v2", canaryCount: "1" }))),
            (e: ConfigError) => e.problems[0] === "zdr:schemaVersions: v2 needs V4, which is not in zdr:migrationsDir (it has V1, V2, V3, V10)",
        );
    });
});

describe("canaryBaseline: the servers a canary is judged against", () => {
    const cases: { name: string; raw: RawConfig; want: string[] }[] = [
        { name: "one canary: the two others", raw: { servers: three, releaseVersion: "v2", canaryCount: "1" }, want: ["web-2", "web-3"] },
        { name: "every server a canary: none", raw: { servers: three, releaseVersion: "v2", canaryCount: "3" }, want: [] },
        { name: "a server pinned to the stable version counts", raw: { servers: three, releaseVersion: "v2", canaryCount: "2", pins: '["web-1=v1"]' }, want: ["web-1", "web-3"] },
        { name: "a server pinned elsewhere does not", raw: { servers: three, releaseVersion: "v2", canaryCount: "1", pins: '["web-3=v0"]' }, want: ["web-2"] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const release = parseReleaseConfig(c.raw);
            assert.deepEqual(canaryBaseline(planRelease(release), release), c.want);
        });
    }
});
