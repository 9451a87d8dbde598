import { strict as assert } from "node:assert";
import { TemplateMiner, tokenize } from "../../../src/canary/templates";

describe("log templates (Drain)", () => {
    const masks: [string, string][] = [
        ["order 4711 failed after 12.5 ms", "order <num> failed after <num> ms"],
        ["connect to 10.0.3.7:5432 refused", "connect to <ip> refused"],
        ["session 123e4567-e89b-12d3-a456-426614174000 expired", "session <uuid> expired"],
        ["bad pointer 0x7ffe1c", "bad pointer <hex>"],
        ["v2.1 started", "v2.1 started"],
    ];
    for (const [line, masked] of masks) {
        it(`masks easy variables: ${line}`, () => assert.equal(tokenize(line).join(" "), masked));
    }

    // In the style of the HDFS sample of Loghub (He et al.): the variable parts differ, the
    // templates do not.
    const lines = [
        "Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106 dest: /10.250.19.102:50010",
        "Receiving block blk_-1608999687919862907 src: /10.250.10.6:40524 dest: /10.250.10.6:50010",
        "PacketResponder 1 for block blk_38865049064139660 terminating",
        "PacketResponder 0 for block blk_-6952295868487656571 terminating",
        "Receiving block blk_7503483334202473044 src: /10.251.215.16:55695 dest: /10.251.215.16:50010",
        "Verification succeeded for blk_-4980916519894289629",
        "PacketResponder 2 for block blk_8229193803249955061 terminating",
    ];

    it("groups lines that differ in their variables into one template each", () => {
        const miner = new TemplateMiner();
        const news = lines.map((l) => miner.add(l).isNew);
        assert.deepEqual(news, [true, false, true, false, false, true, false]);
        assert.deepEqual(
            miner.templates().map((t) => [t.tokens.join(" "), t.count]),
            [
                ["Receiving block <*> src: /<ip> dest: /<ip>", 3],
                ["PacketResponder <num> for block <*> terminating", 3],
                ["Verification succeeded for blk_-<num>", 1],
            ],
        );
    });

    it("a new kind of line is a new template; a known kind matches without learning", () => {
        const miner = new TemplateMiner();
        lines.forEach((l) => miner.add(l));
        assert.equal(miner.match("PacketResponder 3 for block blk_1 terminating")?.tokens.join(" "), "PacketResponder <num> for block <*> terminating");
        assert.equal(miner.match('ERROR null value in column "channel" violates not-null constraint'), undefined);
        assert.equal(miner.add('ERROR null value in column "channel" violates not-null constraint').isNew, true);
    });

    it("lines of different lengths never share a template", () => {
        const miner = new TemplateMiner();
        miner.add("payment failed for order 1");
        assert.equal(miner.add("payment failed for order 1 twice").isNew, true);
    });
});
