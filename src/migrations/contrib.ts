// PostgreSQL's contrib extensions in the oracle. PGlite ships them as bundles
// (@electric-sql/pglite/contrib/<name>) that must be handed to it when it starts, and each one
// it starts with costs start-up time (pgcrypto alone is 1.1 MB), so the oracle starts with the
// ones a check's schema or migration creates: `CREATE EXTENSION btree_gist` builds there
// instead of falling back to the static rules.
import * as fs from "node:fs";
import * as path from "node:path";
import type { Extension } from "@electric-sql/pglite";
import { Statement } from "./sql";

/** The folder of PGlite's contrib modules, one `<module>.js` per extension. */
const contribDir = () => path.join(path.dirname(require.resolve("@electric-sql/pglite")), "contrib");

/** The module of an extension's SQL name: uuid-ossp -> uuid_ossp. */
const moduleOf = (extension: string) => extension.replace(/-/g, "_");

let shipped: ReadonlySet<string> | undefined;

/** Does the installed PGlite ship this extension (by its SQL name) as a contrib bundle? */
export function pgliteShips(extension: string): boolean {
    shipped ??= new Set(fs.readdirSync(contribDir()).filter((f) => f.endsWith(".js")).map((f) => f.slice(0, -".js".length)));
    return shipped.has(moduleOf(extension));
}

/** The contrib extensions PGlite ships that these statements create, by SQL name, sorted. */
export function contribExtensions(statements: readonly Statement[]): string[] {
    const names = statements.flatMap((st) => st.node.CreateExtensionStmt?.extname ?? []);
    return [...new Set(names)].filter(pgliteShips).sort();
}

/** The bundles to start PGlite with, for extensions pgliteShips() says it has. */
export async function contribBundles(extensions: Iterable<string>): Promise<Record<string, Extension>> {
    const bundles: Record<string, Extension> = {};
    for (const extension of extensions) {
        const module = moduleOf(extension);
        const loaded = (await import(`@electric-sql/pglite/contrib/${module}`)) as Record<string, Extension>;
        bundles[module] = loaded[module];
    }
    return bundles;
}
