// scripts/pulumi runs every preview and up with zdr's policy pack unless the caller names one,
// checked against a stand-in `pulumi` on PATH that prints the arguments it gets.
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const root = path.resolve(__dirname, "../..");
const pack = path.join(root, "policy");

describe("scripts/pulumi", () => {
    let bin: string;
    before(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-fake-pulumi-"));
        // a usable `pulumi` v3 with its language host beside it: the wrapper execs it with the arguments
        fs.writeFileSync(path.join(bin, "pulumi"), '#!/bin/sh\nif [ "$1" = version ]; then echo v3.248.0; exit 0; fi\nfor a in "$@"; do echo "$a"; done\n', { mode: 0o755 });
        fs.writeFileSync(path.join(bin, "pulumi-language-nodejs"), "#!/bin/sh\n", { mode: 0o755 });
    });
    after(() => fs.rmSync(bin, { recursive: true, force: true }));

    const run = (...args: string[]) =>
        execFileSync(path.join(root, "scripts/pulumi"), args, { env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, ZDR_ENGINE: "" }, encoding: "utf8" }).trim().split("\n");

    const cases: { name: string; args: string[]; want: string[] }[] = [
        { name: "adds the pack to a plain up", args: ["up", "--yes"], want: ["up", "--yes", "--policy-pack", pack] },
        { name: "adds it to a preview after global flags and their values", args: ["-C", "/tmp", "--color", "never", "preview", "--stack", "local"], want: ["-C", "/tmp", "--color", "never", "preview", "--stack", "local", "--policy-pack", pack] },
        { name: "adds it to the aliases update and pre", args: ["pre"], want: ["pre", "--policy-pack", pack] },
        { name: "keeps the caller's own pack", args: ["up", "--policy-pack", "/other/pack"], want: ["up", "--policy-pack", "/other/pack"] },
        { name: "keeps the caller's own pack given with =", args: ["preview", "--policy-pack=/other/pack"], want: ["preview", "--policy-pack=/other/pack"] },
        { name: "leaves commands that take no pack alone", args: ["refresh", "--yes"], want: ["refresh", "--yes"] },
        { name: "does not take a stack named up for the command", args: ["stack", "select", "up"], want: ["stack", "select", "up"] },
    ];
    for (const c of cases) {
        it(c.name, () => assert.deepEqual(run(...c.args), c.want));
    }
});
