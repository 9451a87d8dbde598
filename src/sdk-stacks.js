// @ts-check
// Loaded by program.js before the program. The SDK takes a stack trace of its own for every
// resource it registers (`Resource.callsites`, the resource's source position) and for every
// promise it tracks (`debuggablePromise`, kept to name a leaked promise at exit), and reads it at
// once (`new Error().stack`). Its `cmd/run` has installed source-map-support, which maps each of
// those frames through the source maps of the files on the stack (the SDK's own .js.map files,
// parsed on first use): on the 1,000-server preview that is 1.7 of the program's 16.7 CPU seconds
// (bench/preview-scale.ts, the program's CPU profile), for positions nobody reads in a .ts file.
//
// This module formats those two bookkeeping stacks as V8 does by default (the same
// "at fn (file:line:column)" lines the SDK parses; positions in the JavaScript it ran) and hands
// every other stack, among them every error the program throws, to source-map-support as before.
const path = require("node:path");

const sdkRoot = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
/** The SDK functions whose own `new Error().stack` is bookkeeping, by file. */
const bookkeeping = new Map([
    [path.join(sdkRoot, "resource.js"), "callsites"],
    [path.join(sdkRoot, "runtime", "debuggable.js"), "debuggablePromise"],
]);

/**
 * @param {NodeJS.CallSite[]} frames
 * @returns {boolean} whether the stack was taken by one of the SDK's bookkeeping functions
 */
function isBookkeeping(frames) {
    const top = frames[0];
    const file = top?.getFileName();
    const fn = file === undefined || file === null ? undefined : bookkeeping.get(file);
    return fn !== undefined && (top.getFunctionName() === fn || top.getMethodName() === fn);
}

/**
 * V8's default format: the error's string, then one "    at <frame>" line per frame.
 * @param {Error} error
 * @param {NodeJS.CallSite[]} frames
 */
function v8Format(error, frames) {
    return [String(error), ...frames.map((f) => `    at ${f}`)].join("\n");
}

/**
 * Wraps the installed Error.prepareStackTrace (source-map-support's); leaves things alone when
 * there is none (Node's default format is already unmapped).
 */
function install() {
    const mapped = Error.prepareStackTrace;
    if (typeof mapped !== "function") {
        return false;
    }
    Error.prepareStackTrace = (error, frames) => (isBookkeeping(frames) ? v8Format(error, frames) : mapped(error, frames));
    return true;
}

install();

module.exports = { install, isBookkeeping, v8Format };
