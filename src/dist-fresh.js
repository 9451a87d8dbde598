// @ts-check
// Whether a compiled file under dist/ (built by scripts/setup, `npx tsc -p tsconfig.build.json`)
// may run instead of the sources: it exists and is newer than every .ts (and .js) file it is built from.
// program.js and policy/index.js ask it, so that nothing stale ever runs and a fresh clone
// still runs from the sources (through ts-node).
const fs = require("node:fs");
const path = require("node:path");

/**
 * @param {string} root the project folder
 * @param {string} compiled the compiled file, relative to root (e.g. "dist/index.js")
 * @param {readonly string[]} sources the .ts files and folders it is built from, relative to root
 * @returns {boolean}
 */
function distIsFresh(root, compiled, sources) {
    let since;
    try {
        since = fs.statSync(path.join(root, compiled)).mtimeMs;
    } catch {
        return false; // not built
    }
    for (const source of sources) {
        const full = path.join(root, source);
        // .js too: a plain-JS module the TypeScript imports is compiled into dist/ with it (allowJs: src/monitors/file-sd.js)
        const files = /\.[jt]s$/.test(source) ? [full] : fs.readdirSync(full, { recursive: true, encoding: "utf8" }).filter((f) => /\.[jt]s$/.test(f)).map((f) => path.join(full, f));
        if (files.some((f) => fs.statSync(f).mtimeMs > since)) {
            return false;
        }
    }
    return true;
}

module.exports = { distIsFresh };
