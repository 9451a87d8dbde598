// moto's AWS emulator (from PyPI, installed by scripts/setup into .zdr/moto), on loopback, for
// testing zdr's own AWS API calls. Started per suite, stopped by its pid.
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";
import { freePort } from "./ports";

export interface Moto {
    readonly endpoint: string;
    /** Client settings for the emulator: fixed region, dummy credentials. */
    readonly clientConfig: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
    /** Stops the server and restores AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, set to dummies while it runs. */
    stop(): Promise<void>;
}

export const motoServer = path.join(projectRoot, ".zdr/moto/bin/moto_server");

export async function startMoto(): Promise<Moto> {
    if (!fs.existsSync(motoServer)) {
        throw new Error(`${motoServer} is missing: run scripts/setup (it installs moto[server] from PyPI into .zdr/moto)`);
    }
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawn(motoServer, ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    // Code that takes credentials from the default chain (the zdr provider, zdr status) gets
    // the emulator's dummy ones while it runs.
    const saved = { AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = "test";
    process.env.AWS_SECRET_ACCESS_KEY = "test";
    const stop = async () => {
        for (const [k, v] of Object.entries(saved)) {
            if (v === undefined) {
                delete process.env[k];
            } else {
                process.env[k] = v;
            }
        }
        if (child.exitCode === null && child.signalCode === null) {
            child.kill("SIGTERM");
            await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        }
    };
    for (let i = 0; i < 150; i++) {
        if (child.exitCode !== null) {
            throw new Error(`moto_server exited: ${stderr.slice(-500)}`);
        }
        const up = await fetch(`${endpoint}/moto-api/`).then((r) => r.ok, () => false);
        if (up) {
            return { endpoint, clientConfig: { endpoint, region: "eu-central-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } }, stop };
        }
        await new Promise((r) => setTimeout(r, 100));
    }
    await stop();
    throw new Error(`moto_server did not answer on ${endpoint} within 15 s: ${stderr.slice(-500)}`);
}
