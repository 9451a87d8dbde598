// The file_sd reader shared by `zdr watch` and the local default's process exporter
// (src/monitors/file-sd.js): it reads back what the ScrapeTargets write.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readScrapeTargets } from "../../../src/monitors/file-sd";
import { scrapeTargetFile, scrapeTargetJson, serverInstance } from "../../../src/monitors/prometheus-config";

describe("file_sd targets read back (src/monitors/file-sd.js)", function () {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-file-sd-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("gives each server's address from its file", () => {
        fs.writeFileSync(scrapeTargetFile(dir, "web-1"), scrapeTargetJson("web-1", serverInstance(18081)));
        fs.writeFileSync(scrapeTargetFile(dir, "web-2"), scrapeTargetJson("web-2", serverInstance(18082)));
        assert.deepEqual(readScrapeTargets(dir), { "web-1": "127.0.0.1:18081", "web-2": "127.0.0.1:18082" });
    });

    it("leaves out a file being written, a group without a server label, and other files", () => {
        fs.writeFileSync(path.join(dir, "web-1.json"), JSON.stringify([{ targets: ["127.0.0.1:18081"], labels: { server: "web-1" } }]));
        fs.writeFileSync(path.join(dir, "web-2.json"), '[{"targets": ["127.0.0.1:180');
        fs.writeFileSync(path.join(dir, "web-3.json"), JSON.stringify([{ targets: ["127.0.0.1:18083"] }, { targets: [], labels: { server: "web-3" } }]));
        fs.writeFileSync(path.join(dir, "README"), "not a target");
        assert.deepEqual(readScrapeTargets(dir), { "web-1": "127.0.0.1:18081" });
    });

    it("reads no folder as no target", () => {
        assert.deepEqual(readScrapeTargets(path.join(dir, "missing")), {});
    });
});
