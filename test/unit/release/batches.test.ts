import { strict as assert } from "node:assert";
import fc from "fast-check";
import { planBatches } from "../../../src/release/batches";
import { ConfigError, parseReleaseConfig, RawConfig } from "../../../src/release/config";
import { planRelease } from "../../../src/release/plan";

const names = (n: number) => Array.from({ length: n }, (_, i) => `web-${i + 1}`);
const six = JSON.stringify(names(6));

describe("planBatches", () => {
    const cases: { name: string; raw: RawConfig; batches: string[][] }[] = [
        { name: "maxUnavailable 1: one server at a time", raw: { servers: six }, batches: names(6).map((n) => [n]) },
        { name: "maxUnavailable 2: pairs in release order", raw: { servers: six, maxUnavailable: "2" }, batches: [["web-1", "web-2"], ["web-3", "web-4"], ["web-5", "web-6"]] },
        { name: "maxUnavailable 4: the last batch takes the rest", raw: { servers: six, maxUnavailable: "4" }, batches: [["web-1", "web-2", "web-3", "web-4"], ["web-5", "web-6"]] },
        { name: "maxUnavailable 50%: 3 of 6", raw: { servers: six, maxUnavailable: "50%" }, batches: [["web-1", "web-2", "web-3"], ["web-4", "web-5", "web-6"]] },
        { name: "maxUnavailable 25% of 6 rounds down to 1", raw: { servers: six, maxUnavailable: "25%" }, batches: names(6).map((n) => [n]) },
        { name: "maxUnavailable 10% of 6 is still at least 1", raw: { servers: six, maxUnavailable: "10%" }, batches: names(6).map((n) => [n]) },
        { name: "maxUnavailable above the server count: one batch", raw: { servers: six, maxUnavailable: "9" }, batches: [names(6)] },
        { name: "declared order is release order", raw: { servers: '["b","a","c"]', maxUnavailable: "2" }, batches: [["b", "a"], ["c"]] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const release = parseReleaseConfig(c.raw);
            assert.deepEqual(planBatches(planRelease(release), release.maxUnavailable), c.batches);
        });
    }

    it("refuses a batch size below 1", () => {
        assert.throws(() => planBatches(planRelease(parseReleaseConfig({})), 0), /at least 1/);
    });

    it("property: batches keep release order, hold at most maxUnavailable, and only the last is short", () => {
        fc.assert(
            fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 70 }), (servers, max) => {
                const plan = planRelease(parseReleaseConfig({ servers: JSON.stringify(names(servers)) }));
                const batches = planBatches(plan, max);
                assert.deepEqual(batches.flat(), names(servers));
                assert.ok(batches.every((b) => b.length >= 1 && b.length <= max));
                assert.ok(batches.slice(0, -1).every((b) => b.length === max));
                assert.equal(batches.length, Math.ceil(servers / max));
            }),
        );
    });

    it("property: raising canaryCount never moves more than maxUnavailable servers in one batch", () => {
        fc.assert(
            fc.property(
                fc.integer({ min: 1, max: 40 }).chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n }), fc.integer({ min: 0, max: n }), fc.integer({ min: 1, max: n }))),
                ([n, from, to, max]) => {
                    const servers = JSON.stringify(names(n));
                    const before = planRelease(parseReleaseConfig({ servers, releaseVersion: "v2", canaryCount: String(from) }));
                    const after = planRelease(parseReleaseConfig({ servers, releaseVersion: "v2", canaryCount: String(to), maxUnavailable: String(max) }));
                    const changes = new Set(after.servers.filter((s, i) => s.version !== before.servers[i].version).map((s) => s.name));
                    const batches = planBatches(after, max);
                    assert.ok(batches.every((b) => b.filter((s) => changes.has(s)).length <= max));
                    // one batch more than the fewest possible, at most
                    const moving = batches.filter((b) => b.some((s) => changes.has(s))).length;
                    assert.ok(moving <= Math.ceil(changes.size / max) + 1, `${moving} batches for ${changes.size} changes of at most ${max}`);
                },
            ),
        );
    });
});

describe("maxUnavailable and minHealthy", () => {
    const ok: { name: string; raw: RawConfig; maxUnavailable: number; minHealthy: number }[] = [
        { name: "defaults: one at a time, no floor", raw: { servers: six }, maxUnavailable: 1, minHealthy: 0 },
        { name: "a count", raw: { servers: six, maxUnavailable: "2", minHealthy: "4" }, maxUnavailable: 2, minHealthy: 4 },
        { name: "percentages: maxUnavailable rounds down, minHealthy up", raw: { servers: six, maxUnavailable: "34%", minHealthy: "60%" }, maxUnavailable: 2, minHealthy: 4 },
        { name: "one server, no floor: it may leave", raw: { servers: '["web-1"]' }, maxUnavailable: 1, minHealthy: 0 },
    ];
    for (const c of ok) {
        it(c.name, () => {
            const r = parseReleaseConfig(c.raw);
            assert.deepEqual([r.maxUnavailable, r.minHealthy], [c.maxUnavailable, c.minHealthy]);
        });
    }

    const refused: { name: string; raw: RawConfig; message: string }[] = [
        {
            name: "a floor that the batch size would break",
            raw: { servers: six, maxUnavailable: "2", minHealthy: "5" },
            message: "zdr:minHealthy: 5 keeps 5 of the 6 servers healthy, but zdr:maxUnavailable 2 takes 2 out at once and leaves 4; allowed: maxUnavailable at most 1, or minHealthy at most 4",
        },
        {
            name: "a percentage floor, rounded up, that the batch size would break",
            raw: { servers: six, maxUnavailable: "2", minHealthy: "75%" },
            message: "zdr:minHealthy: 75% keeps 5 of the 6 servers healthy, but zdr:maxUnavailable 2 takes 2 out at once and leaves 4; allowed: maxUnavailable at most 1, or minHealthy at most 4",
        },
        {
            name: "a floor of every server: none could ever move",
            raw: { servers: six, minHealthy: "100%" },
            message: "zdr:minHealthy: 100% keeps 6 of the 6 servers healthy, but zdr:maxUnavailable 1 takes 1 out at once and leaves 5; allowed: minHealthy at most 5 (with 6 servers one must be able to leave)",
        },
        {
            name: "a batch size that breaks the floor of the three default servers",
            raw: { maxUnavailable: "2", minHealthy: "2" },
            message: "zdr:minHealthy: 2 keeps 2 of the 3 servers healthy, but zdr:maxUnavailable 2 takes 2 out at once and leaves 1; allowed: maxUnavailable at most 1, or minHealthy at most 1",
        },
        { name: "a floor above the server count", raw: { servers: six, minHealthy: "7" }, message: "zdr:minHealthy: 7 is more than the 6 servers; allowed: 0 to 5 (or a percentage)" },
        { name: "maxUnavailable 0", raw: { maxUnavailable: "0" }, message: 'zdr:maxUnavailable: must be at least 1 (a count from 1 to the number of servers, or a percentage); got "0"' },
        { name: "maxUnavailable not a number", raw: { maxUnavailable: "two" }, message: 'zdr:maxUnavailable: must be a count of servers ("2") or a percentage of them from 0% to 100% ("25%"); got "two"' },
        { name: "a percentage above 100", raw: { minHealthy: "150%" }, message: 'zdr:minHealthy: must be a count of servers ("2") or a percentage of them from 0% to 100% ("25%"); got "150%"' },
        {
            name: "a floor in an all-at-once release",
            raw: { releaseVersion: "v2", releaseMode: "all-at-once", minHealthy: "1" },
            message: 'zdr:minHealthy: 1 cannot hold when zdr:releaseMode is "all-at-once" (every server leaves the load balancer); set zdr:minHealthy to 0 for that release',
        },
    ];
    for (const c of refused) {
        it(`refuses ${c.name}`, () => {
            assert.throws(
                () => parseReleaseConfig(c.raw),
                (e: unknown) => e instanceof ConfigError && e.problems.includes(c.message) ? true : assert.fail(`got ${(e as ConfigError).problems?.join(" | ")}`),
            );
        });
    }
});
