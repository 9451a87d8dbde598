// @ts-check
// Prometheus file_sd target files, as zdr writes them (one group a server: [{targets: ["<host>:<port>"],
// labels: {server}}], src/monitors/prometheus-config.ts), read back: by `zdr watch` for each
// server's `{instance}` (src/monitors/watch.ts) and by the local default's exporter of the
// servers' processes for their ports (scripts/local/process-metrics.js, a plain-JS process: so
// this reader is plain JS too, checked by TypeScript through its JSDoc).
const fs = require("node:fs");
const path = require("node:path");

/**
 * Server -> its target's address ("127.0.0.1:<port>") from the *.json files in `folder`; a file
 * being written or removed (not JSON yet, or gone) is left out until the next read; no folder, none.
 * @param {string} folder
 * @returns {Record<string, string>}
 */
function readScrapeTargets(folder) {
    /** @type {Record<string, string>} */
    const found = {};
    /** @type {string[]} */
    let files = [];
    try {
        files = fs.readdirSync(folder).filter((f) => f.endsWith(".json"));
    } catch {
        return found;
    }
    for (const f of files) {
        try {
            for (const group of /** @type {{ targets?: unknown; labels?: { server?: unknown } }[]} */ (JSON.parse(fs.readFileSync(path.join(folder, f), "utf8")))) {
                const server = group.labels?.server;
                if (typeof server === "string" && Array.isArray(group.targets) && typeof group.targets[0] === "string") {
                    found[server] = group.targets[0];
                }
            }
        } catch {
            continue;
        }
    }
    return found;
}

module.exports = { readScrapeTargets };
