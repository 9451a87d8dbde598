import { strict as assert } from "node:assert";
import { withoutPromiseStackTraces } from "../../../components/fleet";

describe("the fleet registers its resources without the SDK's promise stack traces", () => {
    let saved: string | undefined;
    beforeEach(() => {
        saved = process.env.PULUMI_DEBUG_PROMISE_LEAKS;
        delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
    });
    afterEach(() => {
        if (saved === undefined) {
            delete process.env.PULUMI_DEBUG_PROMISE_LEAKS;
        } else {
            process.env.PULUMI_DEBUG_PROMISE_LEAKS = saved;
        }
    });

    it("takes no stack frames while it builds, and returns what it built", () => {
        const limit = Error.stackTraceLimit;
        const stack = withoutPromiseStackTraces(() => new Error("inside").stack);
        assert.equal(stack, "Error: inside");
        assert.equal(Error.stackTraceLimit, limit);
        assert.match(new Error("after").stack ?? "", /\n\s+at /);
    });

    it("restores the limit when building throws, and the error keeps its message", () => {
        const limit = Error.stackTraceLimit;
        assert.throws(() => withoutPromiseStackTraces(() => {
            throw new Error("no such server");
        }), /no such server/);
        assert.equal(Error.stackTraceLimit, limit);
    });

    it("keeps the stack traces when PULUMI_DEBUG_PROMISE_LEAKS asks for the leak report", () => {
        process.env.PULUMI_DEBUG_PROMISE_LEAKS = "1";
        assert.match(withoutPromiseStackTraces(() => new Error("inside").stack) ?? "", /\n\s+at /);
    });
});
