// zdr's own folder, from its sources (components/, src/) or compiled (dist/components/): where its
// scripts are, e.g. scripts/local/postgres.
import * as fs from "node:fs";
import * as path from "node:path";

function find(from: string): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "scripts/local/postgres"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`zdr: scripts/local/postgres not found above ${from}; is the package complete?`);
        }
    }
}

export const packageRoot = find(__dirname);

/** Where zdr keeps what it can compute again (git-ignored): the checker's verdicts, PGlite's initialised database. */
export const cacheDir = path.join(packageRoot, ".zdr/cache");
