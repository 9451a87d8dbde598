// @ts-check
// Loaded first by program.js (and with `node -r` by bench/program-start.ts).
// `import * as pulumi from "@pulumi/pulumi"` loads the SDK's index, whose automation and closure
// serialization modules load TypeScript's compiler and npm's arborist at once: 770 modules and
// about 1 s (323 modules without them: bench/program-start.ts). zdr's program uses neither (no
// function serialization, no dynamic providers). The SDK gets them lazily: a stand-in that loads
// the real module at its first use, so whatever does use them still works.
const Module = require("node:module");
const path = require("node:path");

const lazyForSdk = new Set(["typescript", "@npmcli/arborist"]);
// @ts-ignore Module._load is Node's internal loader, stable since Node 0.x
const load = Module._load;
// @ts-ignore
Module._load = function (/** @type {string} */ request, /** @type {any} */ parent, /** @type {boolean} */ isMain) {
    if (!lazyForSdk.has(request) || !parent?.filename?.includes(`${path.sep}@pulumi${path.sep}pulumi${path.sep}`)) {
        return load.call(this, request, parent, isMain);
    }
    /** @type {any} */
    let real;
    const get = () => (real ??= load.call(this, request, parent, isMain));
    // __esModule: TypeScript's __importStar then keeps the stand-in as it is instead of copying
    // (and so loading) every export
    return new Proxy({}, {
        get: (_t, k) => (k === "__esModule" ? true : get()[k]),
        has: (_t, k) => k in get(),
        ownKeys: () => Reflect.ownKeys(get()),
        getOwnPropertyDescriptor: (_t, k) => {
            const d = Object.getOwnPropertyDescriptor(get(), k);
            return d && { ...d, configurable: true };
        },
    });
};
