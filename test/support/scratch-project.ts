// A throwaway project folder for tests that run one of zdr's entry points, or zdr itself as a
// package, outside the repository: files copied from the project or written, optionally the
// project's node_modules linked in, and sources dated in the past so that a test can make one
// newer than dist/.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { projectRoot } from "../../src/engine";

export interface ScratchProject {
    readonly root: string;
    /** Writes `file` (relative to root), creating its folders. */
    write(file: string, text: string): void;
    /** Copies the project's `file` to the same place in the scratch project, keeping its mode. */
    copy(file: string): void;
    /** Dates `files` a minute in the past. */
    age(files: readonly string[]): void;
    /** Dates `file` a second in the future: newer than anything built before. */
    touch(file: string): void;
    remove(): void;
}

export interface ScratchOptions {
    /** Link the project's node_modules, so the copies resolve zdr's own dependencies. @default true */
    readonly linkNodeModules?: boolean;
    /** Write a tsconfig.json for ts-node (CommonJS, ES2022). @default true */
    readonly tsconfig?: boolean;
}

export function scratchProject(prefix: string, options: ScratchOptions = {}): ScratchProject {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
    const write = (file: string, text: string) => {
        fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
        fs.writeFileSync(path.join(root, file), text);
    };
    if (options.linkNodeModules ?? true) {
        fs.symlinkSync(path.join(projectRoot, "node_modules"), path.join(root, "node_modules"));
    }
    if (options.tsconfig ?? true) {
        write("tsconfig.json", JSON.stringify({ compilerOptions: { module: "commonjs", target: "es2022" } }));
    }
    return {
        root,
        write,
        copy: (file) => {
            fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
            fs.copyFileSync(path.join(projectRoot, file), path.join(root, file));
            fs.chmodSync(path.join(root, file), fs.statSync(path.join(projectRoot, file)).mode);
        },
        age: (files) => {
            const past = new Date(Date.now() - 60_000);
            for (const f of files) {
                fs.utimesSync(path.join(root, f), past, past);
            }
        },
        touch: (file) => fs.utimesSync(path.join(root, file), new Date(), new Date(Date.now() + 1000)),
        remove: () => fs.rmSync(root, { recursive: true, force: true }),
    };
}
