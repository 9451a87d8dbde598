import { strict as assert } from "node:assert";
import { ConfigError } from "../../../../src/release/config";
import { lbDefaults, parseLbConfig } from "../../../../targets/local/lb-config";

describe("parseLbConfig: health-check rise and fall, HAProxy's timeouts", () => {
    const ok: { name: string; raw: Record<string, string>; want: Partial<typeof lbDefaults> }[] = [
        { name: "nothing set: the defaults", raw: {}, want: { healthCheckRise: 2, healthCheckFall: 2, connectTimeoutMs: 2000, requestTimeoutSeconds: 30, queueTimeoutSeconds: 10 } },
        { name: "an empty value is the default", raw: { healthCheckFall: "" }, want: { healthCheckFall: 2 } },
        { name: "one key changes only itself", raw: { healthCheckFall: "3" }, want: { ...lbDefaults, healthCheckFall: 3 } },
        { name: "the bounds are allowed", raw: { healthCheckRise: "1", connectTimeoutMs: "60000", requestTimeoutSeconds: "3600" }, want: { healthCheckRise: 1, connectTimeoutMs: 60000, requestTimeoutSeconds: 3600 } },
    ];
    for (const c of ok) {
        it(c.name, () => {
            const got = parseLbConfig(c.raw);
            for (const [k, v] of Object.entries(c.want)) {
                assert.equal(got[k as keyof typeof got], v, k);
            }
        });
    }
    const bad: { name: string; raw: Record<string, string>; messages: string[] }[] = [
        { name: "zero rise", raw: { healthCheckRise: "0" }, messages: ['zdr:healthCheckRise: must be an integer from 1 to 100; got "0"'] },
        { name: "not a number", raw: { connectTimeoutMs: "2s" }, messages: ['zdr:connectTimeoutMs: must be an integer from 100 to 60000; got "2s"'] },
        {
            name: "every problem at once",
            raw: { healthCheckFall: "101", queueTimeoutSeconds: "-1" },
            messages: ['zdr:healthCheckFall: must be an integer from 1 to 100; got "101"', 'zdr:queueTimeoutSeconds: must be an integer from 1 to 3600; got "-1"'],
        },
    ];
    for (const c of bad) {
        it(`refuses ${c.name}, naming the key and the range`, () => {
            assert.throws(() => parseLbConfig(c.raw), (e: unknown) => e instanceof ConfigError && JSON.stringify(e.problems) === JSON.stringify(c.messages));
        });
    }
});
