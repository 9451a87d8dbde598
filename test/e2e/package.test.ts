// zdr as a team installs it: `npm pack` of this project installed (from the npm cache where it can,
// the registry for the rest: npm ci caches tarballs, not the package lists a range needs)
// into a fresh Pulumi program beside the team's own @pulumi/pulumi, which zdr takes as a peer
// dependency (one SDK in the process); the program's one zdr.Release previewed and upped on the
// real engine (HAProxy, PostgreSQL, a tiny node server), its provider plugin found in
// node_modules/zdr/bin.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { createStack, projectRoot } from "../../src/engine";
import { freePort } from "../support/ports";
import { scratchProject, type ScratchProject } from "../support/scratch-project";
const { distIsFresh } = require("../../src/dist-fresh") as { distIsFresh(root: string, compiled: string, sources: readonly string[]): boolean };

/** The @pulumi/pulumi the team's program brings: the lowest of zdr's peer range unless ZDR_PACKAGE_SDK names another. */
const sdk = process.env.ZDR_PACKAGE_SDK ?? (JSON.parse(fs.readFileSync(path.join(projectRoot, "package.json"), "utf8")).peerDependencies["@pulumi/pulumi"] as string).replace(/^>=\s*([\d.]+).*$/, "$1");

const program = `const pulumi = require("@pulumi/pulumi");
const zdr = require("zdr");

const config = new pulumi.Config();
const release = new zdr.Release("tiny", {
    servers: ["tiny-1"],
    stableVersion: config.require("version"),
    app: { name: "tiny", startCommand: ["node", "server.js", "{version}", "{port}"], stopGraceSeconds: 5 },
    drainTimeoutSeconds: 5,
    healthCheckIntervalMs: 200,
    healthTimeoutSeconds: 30,
    target: { kind: "local", lbPort: config.requireNumber("lbPort"), appBasePort: config.requireNumber("basePort"), dbPort: config.requireNumber("dbPort") },
    dbPassword: config.requireSecret("dbPassword"),
    projectDir: __dirname,
});
exports.servers = release.servers;
exports.url = release.loadBalancerUrl;
`;

const server = `const http = require("node:http");
const [version, port] = process.argv.slice(2);
const server = http.createServer((req, res) => res.end(req.url === "/health" ? "ok\\n" : \`tiny \${version}\\n\`));
server.listen(Number(port), "127.0.0.1");
process.on("SIGTERM", () => server.close(() => process.exit(0)));
`;

describe("zdr packed and installed into a team's own program", function () {
    this.timeout(2_400_000);
    let scratch: ScratchProject;
    let stack: Stack | undefined;
    let stateDir: string;
    let lbPort: number;

    before(async () => {
        assert.ok(distIsFresh(projectRoot, "dist/zdr.js", ["zdr.ts", "components", "resources", "src", "provider"]), "dist/ is older than the sources: npx tsc -p tsconfig.build.json");
        scratch = scratchProject("zdr-package", { linkNodeModules: false, tsconfig: false });
        const packed = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", scratch.root], { cwd: projectRoot, encoding: "utf8", timeout: 120_000 })) as { filename: string }[];
        scratch.write("package.json", JSON.stringify({ name: "tiny", private: true, dependencies: { "@pulumi/pulumi": sdk, zdr: `file:./${packed[0].filename}` } }, null, 2));
        scratch.write("Pulumi.yaml", ["name: tiny", "main: index.js", "runtime:", "  name: nodejs", "  options:", "    typescript: false", "plugins:", "  providers:", "    - name: zdr", "      path: ./node_modules/zdr/bin", ""].join("\n"));
        scratch.write("index.js", program);
        scratch.write("server.js", server);
        execFileSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], { cwd: scratch.root, stdio: ["ignore", "ignore", "pipe"], timeout: 1_500_000 });
        stateDir = fs.mkdtempSync(path.join(projectRoot, ".zdr/tmp-state-"));
        stack = await createStack(scratch.root, `package-${process.pid}`, stateDir);
        lbPort = await freePort();
        await stack.setAllConfig({
            version: { value: "1.0.0" },
            lbPort: { value: String(lbPort) },
            basePort: { value: String(await freePort()) },
            dbPort: { value: String(await freePort()) },
            dbPassword: { value: randomBytes(12).toString("base64url"), secret: true },
        });
    });
    after(async () => {
        await stack?.cancel().catch(() => undefined);
        await stack?.destroy().catch((e) => console.error(`destroy failed: ${e.message}`));
        await stack?.workspace.removeStack(stack.name).catch(() => undefined);
        if (stateDir) {
            fs.rmSync(stateDir, { recursive: true, force: true });
        }
        scratch?.remove();
    });

    it(`installs with one @pulumi/pulumi, the program's ${sdk}, and no sources`, () => {
        const sdks = execFileSync("find", ["node_modules", "-path", "*/@pulumi/pulumi/package.json"], { cwd: scratch.root, encoding: "utf8" }).trim().split("\n");
        assert.deepEqual(sdks, ["node_modules/@pulumi/pulumi/package.json"]);
        assert.equal(JSON.parse(fs.readFileSync(path.join(scratch.root, sdks[0]), "utf8")).version, sdk);
        assert.ok(!fs.existsSync(path.join(scratch.root, "node_modules/zdr/index.ts")) && fs.existsSync(path.join(scratch.root, "node_modules/zdr/dist/zdr.js")));
    });

    it("previews a Release: the environment, the epoch and the fleet", async () => {
        const preview = await stack!.preview();
        assert.ok((preview.changeSummary.create ?? 0) >= 6, JSON.stringify(preview.changeSummary));
    });

    it("ups it: the server runs behind HAProxy", async () => {
        const up = await stack!.up();
        assert.deepEqual(up.outputs.servers.value, [{ name: "tiny-1", version: "1.0.0", inLoadBalancer: true, port: (up.outputs.servers.value as { port: number }[])[0].port }]);
        assert.equal(up.outputs.url.value, `http://127.0.0.1:${lbPort}`);
        assert.equal(await (await fetch(up.outputs.url.value as string)).text(), "tiny 1.0.0\n");
    });
});
