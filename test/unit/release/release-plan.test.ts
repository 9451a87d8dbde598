import { strict as assert } from "node:assert";
import { parseCanaryConfig } from "../../../src/canary/config";
import { parseReleaseConfig, type RawConfig } from "../../../src/release/config";
import { planRelease } from "../../../src/release/plan";
import { planJudgements, planLiveVersions, planMigrationChain } from "../../../src/release/release-plan";

const three = JSON.stringify(["web-1", "web-2", "web-3"]);
const file = (version: number, sql: string) => ({ version, description: `step ${version}`, script: `V${version}__step_${version}.sql`, checksum: `sum${version}`, sql });

describe("planMigrationChain: each migration with the files before it and the schema they build", () => {
    const live = [{ version: "v1", role: "rollback" as const, sql: "SELECT 1" }, { version: "v2", role: "release" as const }];
    it("files V1, V2, V3: named migration-V<n>, each after the ones before, the schema theirs", () => {
        const chain = planMigrationChain([file(1, "CREATE TABLE a ();"), file(2, "ALTER TABLE a ADD b int;"), file(3, "CREATE TABLE c ();")], live, "staged");
        assert.deepEqual(chain.map((m) => m.name), ["migration-V1", "migration-V2", "migration-V3"]);
        assert.deepEqual(chain.map((m) => m.earlier.map((e) => e.script)), [[], ["V1__step_1.sql"], ["V1__step_1.sql", "V2__step_2.sql"]]);
        assert.deepEqual(chain.map((m) => m.compatibility.schema), [undefined, "CREATE TABLE a ();", "CREATE TABLE a ();\nALTER TABLE a ADD b int;"]);
        assert.ok(!("schema" in chain[0].compatibility), "the first has no schema before it");
        assert.ok(chain.every((m) => m.compatibility.live === live && m.compatibility.mode === "staged"));
        assert.deepEqual(chain[1].earlier, [{ version: 1, script: "V1__step_1.sql", checksum: "sum1" }]);
        assert.deepEqual([chain[2].description, chain[2].checksum, chain[2].sql], ["step 3", "sum3", "CREATE TABLE c ();"]);
    });
    it("no files: no migration", () => assert.deepEqual(planMigrationChain([], live, "all-at-once"), []));
});

describe("planLiveVersions: what the guard checks each migration against", () => {
    const cases: { name: string; raw: RawConfig; running: string[]; live: string[] }[] = [
        { name: "a canary: the stable version as rollback, the release", raw: { servers: three, releaseVersion: "v2", canaryCount: "1" }, running: ["v1", "v1", "v1"], live: ["v1 rollback", "v2 release"] },
        { name: "a server still on an older version joins as running", raw: { servers: three, stableVersion: "v2", releaseVersion: "v3", canaryCount: "1" }, running: ["v2", "v2", "v1"], live: ["v1 running", "v2 rollback", "v3 release"] },
        { name: "all at once: only the release", raw: { servers: three, releaseVersion: "v3", releaseMode: "all-at-once" }, running: ["v1", "v2"], live: ["v3 release"] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const release = parseReleaseConfig(c.raw);
            const live = planLiveVersions(planRelease(release), release, c.running, (v) => `-- ${v}`);
            assert.deepEqual(live.map((l) => `${l.version} ${l.role}`), c.live);
            assert.ok(live.every((l) => l.sql === `-- ${l.version}`), "each with its SQL");
        });
    }
});

describe("planJudgements: who is judged against whom", () => {
    const canary = parseCanaryConfig({});
    const cases: { name: string; raw: RawConfig; judged: string[] }[] = [
        { name: "a canary on 1 of 3 is judged against the other two", raw: { servers: three, releaseVersion: "v2", canaryCount: "1", bakeSeconds: "60" }, judged: ["web-1 v2 against web-2,web-3"] },
        { name: "canaries on 2 of 3 against the stable one", raw: { servers: three, releaseVersion: "v2", canaryCount: "2", bakeSeconds: "60" }, judged: ["web-1 v2 against web-3", "web-2 v2 against web-3"] },
        { name: "a pinned server on stableVersion counts in the baseline", raw: { servers: three, releaseVersion: "v2", canaryCount: "2", pins: '["web-1=v1"]', bakeSeconds: "60" }, judged: ["web-2 v2 against web-1,web-3"] },
        { name: "every server on the release: nobody is left to compare with", raw: { servers: three, releaseVersion: "v2", canaryCount: "3", bakeSeconds: "60" }, judged: [] },
        { name: "bakeSeconds 0: nobody is judged", raw: { servers: three, releaseVersion: "v2", canaryCount: "1" }, judged: [] },
        { name: "no release: no canary", raw: { servers: three, bakeSeconds: "60" }, judged: [] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const release = parseReleaseConfig(c.raw);
            const judged = planJudgements(planRelease(release), release, canary, {}, "/state/judgements");
            assert.deepEqual([...judged.values()].map((j) => `${j.canary} ${j.version} against ${j.baseline.join(",")}`), c.judged);
        });
    }
    it("carries the judge's settings, the accepted verdict, the error pattern and the report's file", () => {
        const release = parseReleaseConfig({ servers: three, releaseVersion: "v2", canaryCount: "1", bakeSeconds: "90", acceptVerdicts: '["web-1=v2"]' });
        const options = parseCanaryConfig({ canaryAlpha: "0.01", canaryStopWhenInconclusive: "true" });
        const j = planJudgements(planRelease(release), release, options, { logs: { errorPattern: "FATAL" } }, "/state/judgements").get("web-1");
        assert.deepEqual(j, {
            canary: "web-1", version: "v2", baseline: ["web-2", "web-3"], bakeSeconds: 90, judge: options.judge, appLogErrorPattern: "FATAL",
            stopWhenInconclusive: true, keepServingOnFail: false, accepted: true, reportFile: "/state/judgements/web-1-v2.json",
        });
    });
});
