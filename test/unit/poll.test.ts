// src/poll.ts: the one bounded wait.
import { strict as assert } from "node:assert";
import { pollUntil } from "../../src/poll";

describe("pollUntil, the one bounded wait", () => {
    it("returns the first answer, asking again after each undefined", async () => {
        const asked: number[] = [];
        const answer = await pollUntil(({ poll }) => (asked.push(poll), poll === 3 ? "ready" : undefined), { timeoutMs: 60_000, intervalMs: 1 });
        assert.equal(answer, "ready");
        assert.deepEqual(asked, [0, 1, 2, 3]);
    });

    it("gives undefined when the count runs out, whatever the clock says", async () => {
        let asks = 0;
        assert.equal(await pollUntil(() => void asks++, { timeoutMs: 60_000, intervalMs: 1, maxPolls: 5 }), undefined);
        assert.equal(asks, 5);
    });

    it("gives undefined when the time runs out, after at least one ask, never sleeping past the deadline", async () => {
        let asks = 0;
        const started = Date.now();
        assert.equal(await pollUntil(() => void asks++, { timeoutMs: 0, intervalMs: 10_000 }), undefined);
        assert.equal(asks, 1, "asked once although no time was given");
        assert.ok(Date.now() - started < 5_000, "did not sleep the 10 s interval past a deadline already reached");
    });

    it("waits the whole time: the last ask is at the deadline", async () => {
        const started = Date.now();
        let lastAsk = 0;
        assert.equal(await pollUntil(() => void (lastAsk = Date.now()), { timeoutMs: 300, intervalMs: 200 }), undefined);
        assert.ok(lastAsk - started >= 300, `last ask ${lastAsk - started} ms after the start`);
    });

    it("tells each ask the time left, which shrinks to 0", async () => {
        const left: number[] = [];
        await pollUntil(({ remainingMs }) => void left.push(remainingMs), { timeoutMs: 200, intervalMs: 20 });
        assert.ok(left.length >= 2, `${left}`);
        assert.ok(left.every((v, i) => i === 0 || v <= left[i - 1]), `${left}`);
        assert.ok(left[0] <= 200 && left.at(-1)! >= 0);
    });

    it("an error from an ask ends the wait with it", async () => {
        await assert.rejects(pollUntil(({ poll }) => { if (poll === 1) throw new Error("exited"); return undefined; }, { timeoutMs: 60_000, intervalMs: 1 }), /exited/);
    });

    it("an answer of false or 0 is an answer", async () => {
        assert.equal(await pollUntil(() => 0, { timeoutMs: 1000, intervalMs: 1 }), 0);
        assert.equal(await pollUntil(() => false, { timeoutMs: 1000, intervalMs: 1 }), false);
    });
});
