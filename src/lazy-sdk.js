// @ts-check
// Loaded first by program.js (and with `node -r` by bench/program-start.ts).
// `import * as pulumi from "@pulumi/pulumi"` loads the SDK's index, whose automation and closure
// serialization modules load TypeScript's compiler at once (one module of about 9 MB: with
// @pulumi/pulumi 3.276.0, 317 modules either way, but 2.7-6.1 s instead of 1.0-1.7 s to load the
// SDK on a loaded machine, `node -e 'require("@pulumi/pulumi")'` with and without
// `-r ./src/lazy-sdk.js`). zdr's program uses neither (no function serialization, no dynamic
// providers). The SDK gets it lazily: a stand-in that loads the real module at its first use, so
// whatever does use it still works. (SDKs up to 3.248.0 also loaded npm's arborist this way;
// 3.276.0 no longer depends on it.)
const Module = require("node:module");
const path = require("node:path");

const lazyForSdk = new Set(["typescript"]);
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
