import { strict as assert } from "node:assert";
import { checkOneAtATime, maxOutOfLoadBalancer, ReleaseEvent } from "../../../src/release/report";

const cycle = (server: string, t0: number): ReleaseEvent[] =>
    ["drain", "deploy", "reattach"].flatMap((step, i) => [
        { t: t0 + 2 * i, server, step: step as ReleaseEvent["step"], phase: "start" as const },
        { t: t0 + 2 * i + 1, server, step: step as ReleaseEvent["step"], phase: "end" as const },
    ]);

describe("checkOneAtATime", () => {
    const cases: { name: string; events: ReleaseEvent[]; problems: RegExp[] }[] = [
        { name: "two servers in sequence are fine", events: [...cycle("a", 0), ...cycle("b", 10)], problems: [] },
        { name: "a drain while another server is out is a problem", events: [...cycle("a", 0), ...cycle("b", 3)].sort((x, y) => x.t - y.t), problems: [/b drained at \d+ while a was still out/] },
        { name: "deploy before drain is a problem", events: cycle("a", 0).slice(2), problems: [/a: deploy:start at 2 where drain:start was due/] },
    ];
    for (const c of cases) {
        it(c.name, () => {
            const problems = checkOneAtATime(c.events);
            assert.equal(problems.length >= c.problems.length, true);
            for (const p of c.problems) {
                assert.ok(problems.some((x) => p.test(x)), `${JSON.stringify(problems)} lacks ${p}`);
            }
            if (c.problems.length === 0) {
                assert.deepEqual(problems, []);
            }
        });
    }
});

describe("maxOutOfLoadBalancer", () => {
    const moves = (...steps: [string, string][]): ReleaseEvent[] =>
        steps.map(([server, key], t) => {
            const [step, phase] = key.split(":") as [ReleaseEvent["step"], ReleaseEvent["phase"]];
            return { t, server, step, phase };
        });
    const cycle = (server: string): [string, string][] => ["drain:start", "drain:end", "deploy:start", "deploy:end", "reattach:start", "reattach:end"].map((k) => [server, k]);
    const cases: { name: string; events: ReleaseEvent[]; max: number }[] = [
        { name: "no events: none out", events: [], max: 0 },
        { name: "one at a time: 1", events: moves(...cycle("web-1"), ...cycle("web-2")), max: 1 },
        {
            name: "two in parallel, then a third: 2",
            events: moves(["web-1", "drain:start"], ["web-2", "drain:start"], ["web-1", "drain:end"], ["web-2", "drain:end"], ["web-1", "reattach:end"], ["web-2", "reattach:end"], ...cycle("web-3")),
            max: 2,
        },
        { name: "a drain before the previous server's reattach ended: 2", events: moves(["web-1", "drain:start"], ["web-1", "reattach:start"], ["web-2", "drain:start"], ["web-1", "reattach:end"]), max: 2 },
        { name: "a server that never came back stays out", events: moves(["web-1", "drain:start"], ...cycle("web-2")), max: 2 },
    ];
    for (const c of cases) {
        it(c.name, () => assert.equal(maxOutOfLoadBalancer(c.events), c.max));
    }
});
