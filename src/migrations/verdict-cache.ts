// The checker's verdicts kept on disk (.zdr/cache/verdicts), so that a check already made by
// another process (the provider's check at preview, the pack, the next `up`, `zdr
// check-migration` again) costs a file read instead of an embedded PostgreSQL. A verdict is
// found only for exactly the same input checked by exactly the same checker: the key is a hash
// of the whole input and of the checker's fingerprint (every file of this folder, as it runs,
// and the versions of PostgreSQL's parser and of PGlite). A check whose embedded PostgreSQL
// failed is not kept: the next one may judge more.
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CheckInput, CheckResult } from "./check";
import { cacheDir } from "../package-root";

const dir = path.join(cacheDir, "verdicts");
/** Verdicts kept; past it the oldest (by last use) go. */
const kept = 500;

/** The version in the package.json of the npm package `name`, found from its entry point. */
function packageVersion(name: string): string {
    for (let d = path.dirname(require.resolve(name)); path.dirname(d) !== d; d = path.dirname(d)) {
        const file = path.join(d, "package.json");
        if (fs.existsSync(file)) {
            const pkg = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version?: string };
            if (pkg.name === name) {
                return pkg.version ?? "";
            }
        }
    }
    return "";
}

let fingerprint: string | undefined;
/** What the checker is: the content of every file in this folder, and its two engines' versions. */
export function checkerFingerprint(): string {
    if (fingerprint === undefined) {
        const hash = createHash("sha256");
        for (const f of fs.readdirSync(__dirname).sort()) {
            const file = path.join(__dirname, f);
            if (fs.statSync(file).isFile()) {
                hash.update(`${f}\0`).update(fs.readFileSync(file)).update("\0");
            }
        }
        hash.update(`libpg-query ${packageVersion("libpg-query")}\0pglite ${packageVersion("@electric-sql/pglite")}`);
        fingerprint = hash.digest("hex");
    }
    return fingerprint;
}

/** JSON with every object's keys sorted: the provider and the pack get the same input with its keys in different orders. */
const canonical = (v: unknown): string =>
    JSON.stringify(v, (_k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));

/** The file that holds the verdict on `input`. */
export function verdictFile(input: CheckInput): string {
    const key = createHash("sha256").update(checkerFingerprint()).update("\0").update(canonical(input)).digest("hex");
    return path.join(dir, `${key}.json`);
}

function read(file: string): CheckResult | undefined {
    try {
        const result = JSON.parse(fs.readFileSync(file, "utf8")) as CheckResult;
        const now = new Date();
        fs.utimesSync(file, now, now);
        return result;
    } catch {
        return undefined; // none, or unreadable: check afresh
    }
}

function write(file: string, result: CheckResult): void {
    try {
        fs.mkdirSync(dir, { recursive: true });
        const partial = `${file}.${process.pid}`;
        fs.writeFileSync(partial, JSON.stringify(result));
        fs.renameSync(partial, file);
        const files = fs.readdirSync(dir).filter((f) => f.endsWith(".json"));
        if (files.length > kept) {
            const byUse = files.map((f) => ({ f, t: fs.statSync(path.join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
            for (const { f } of byUse.slice(0, files.length - kept)) {
                fs.rmSync(path.join(dir, f), { force: true });
            }
        }
    } catch {
        // no cache (a read-only install): every process checks for itself
    }
}

/** checkMigration(input), or its verdict from an earlier process when the same checker judged the same input. */
export async function cachedCheck(input: CheckInput): Promise<CheckResult> {
    const file = verdictFile(input);
    const known = read(file);
    if (known) {
        return known;
    }
    const { checkMigration } = await import("./check");
    const result = await checkMigration(input);
    if (!result.oracleFailed) {
        write(file, result);
    }
    return result;
}
