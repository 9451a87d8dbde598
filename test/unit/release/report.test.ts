import { strict as assert } from "node:assert";
import { checkOneAtATime, ReleaseEvent } from "../../../src/release/report";

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
