// The byte collectors behind zdr's one SSH exec loop: the last bytes of a command's output
// (sshRun), or all of a data stream up to a bound (sshReadOutput).
import { strict as assert } from "node:assert";
import { boundedCollector, tailCollector } from "../../../src/ssh/client";

describe("SSH output collectors", () => {
    it("a tail keeps the last bytes of any number of chunks", () => {
        const c = tailCollector(8);
        for (const chunk of ["abc", "defgh", "ijklmnopq", "rs", "tuvwxyz"]) {
            assert.equal(c.add(Buffer.from(chunk)), undefined);
        }
        assert.equal(c.bytes().toString(), "stuvwxyz");
    });

    it("a tail shorter than its limit keeps everything", () => {
        const c = tailCollector(64);
        c.add(Buffer.from("one\n"));
        c.add(Buffer.from("two\n"));
        assert.equal(c.bytes().toString(), "one\ntwo\n");
    });

    it("a bounded collector keeps every byte up to its bound, then refuses naming the command", () => {
        const c = boundedCollector(6, "`cat log` on web-1");
        assert.equal(c.add(Buffer.from([0, 1, 2])), undefined);
        assert.equal(c.add(Buffer.from([3, 4, 5])), undefined);
        assert.deepEqual([...c.bytes()], [0, 1, 2, 3, 4, 5]);
        assert.equal(c.add(Buffer.from([6])), "`cat log` on web-1 wrote more than 6 bytes");
        assert.deepEqual([...c.bytes()], [0, 1, 2, 3, 4, 5]);
    });
});
