// A throwaway PostgreSQL server for tests, started by scripts/local/postgres and stopped by pid.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Client } from "pg";
import { projectRoot } from "../../src/engine";
import { freePort } from "./ports";

export interface TestPostgres {
    readonly port: number;
    readonly password: string;
    client(database?: string): Promise<Client>;
    stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-pg-"));
    fs.chmodSync(dir, 0o755);
    const port = await freePort();
    const password = randomBytes(12).toString("base64url");
    const log = fs.openSync(path.join(dir, "postgres.log"), "a");
    const child = spawn(path.join(projectRoot, "scripts/local/postgres"), [path.join(dir, "data"), String(port)], { stdio: ["ignore", log, log], env: { ...process.env, ZDR_DB_PASSWORD: password } });
    fs.closeSync(log);
    const client = async (database = "postgres") => {
        const c = new Client({ host: "127.0.0.1", port, user: "zdr", password, database, connectionTimeoutMillis: 2000 });
        await c.connect();
        return c;
    };
    const deadline = Date.now() + 30_000;
    for (;;) {
        try {
            await (await client()).end();
            break;
        } catch (e) {
            if (Date.now() > deadline || child.exitCode !== null) {
                throw new Error(`PostgreSQL did not start: ${(e as Error).message}; see ${dir}/postgres.log`);
            }
            await new Promise((r) => setTimeout(r, 200));
        }
    }
    return {
        port,
        password,
        client,
        async stop() {
            if (child.exitCode === null) {
                const exited = new Promise((r) => child.once("exit", r));
                child.kill("SIGINT");
                await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
