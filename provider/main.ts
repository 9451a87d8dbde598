// The zdr resource provider: the leaf actions of a release (processes on this machine, the
// HAProxy runtime API, PostgreSQL migrations) as a Pulumi provider plugin written with
// @pulumi/pulumi/provider. bin/pulumi-resource-zdr starts it; the engine finds that script on
// PATH as an ambient plugin.
import { mark, processStart } from "../src/profile";
mark("provider", "process start", processStart());
import * as provider from "@pulumi/pulumi/provider";
import { checkedInputs, typeOfUrn, unwrapSecrets as plain } from "./diff";
import * as types from "../contract/tokens";

type TypeProvider = Partial<provider.Provider>;

// Each type's code is loaded at the first request for that type: a stage that judges no canary
// and applies no migration never loads the statistics or the PostgreSQL client (bench/provider-start.ts).
const byType: Record<string, () => Promise<TypeProvider>> = {
    [types.processType]: async () => (await import("../targets/local/provider/process")).processProvider,
    [types.memberType]: async () => (await import("./haproxy/member")).memberProvider,
    [types.loadBalancerType]: async () => (await import("./haproxy/load-balancer")).loadBalancerProvider,
    [types.serverType]: async () => (await import("./haproxy/server")).serverProvider,
    [types.migrationType]: async () => (await import("./postgres/migration")).migrationProvider,
    [types.judgementType]: async () => (await import("./canary/judgement")).judgementProvider,
    [types.epochType]: async () => (await import("./release/epoch")).epochProvider,
    [types.targetHealthType]: async () => (await import("../targets/aws/provider/target-health")).targetHealthProvider,
    [types.hostsDeployType]: async () => (await import("../targets/hosts/provider/deploy")).hostsDeployProvider,
    [types.hostKeyType]: async () => (await import("./hosts/host-key")).hostKeyProvider,
    [types.batchCheckType]: async () => (await import("./release/batch-check")).batchCheckProvider,
    [types.scrapeTargetType]: async () => (await import("../targets/local/provider/scrape-target")).scrapeTargetProvider,
};

const loaded = new Map<string, Promise<TypeProvider>>();
function forUrn(urn: string): Promise<TypeProvider> {
    const type = typeOfUrn(urn);
    const load = byType[type];
    if (!load) {
        throw new Error(`zdr provider: unknown resource type ${type} (known: ${Object.keys(byType).join(", ")})`);
    }
    let p = loaded.get(type);
    if (!p) {
        p = load();
        loaded.set(type, p);
    }
    return p;
}

/** Runs one request, with profile marks (src/profile.ts) around it. */
async function timed<T>(op: string, urn: string, work: () => Promise<T>): Promise<T> {
    const what = `${op} ${typeOfUrn(urn)} ${urn.slice(urn.lastIndexOf("::") + 2)}`;
    mark("provider", `${what} start`);
    try {
        return await work();
    } finally {
        mark("provider", `${what} end`);
    }
}

// A `pulumi up` killed mid-step leaves its plugins behind. The provider finishes what it is
// doing (a drain, a health wait) and then exits once its engine is gone.
let inFlight = 0;
const track = <T>(work: () => Promise<T>): Promise<T> => {
    inFlight++;
    return work().finally(() => inFlight--);
};
const engineParent = process.ppid;
const engineGone = () => process.ppid !== engineParent;
setInterval(() => {
    if (engineGone() && inFlight === 0) {
        process.exit(0);
    }
}, 1000).unref();

// A create that finishes after its engine was killed is never written to the state: the next
// `up` creates the resource again. Where the thing created would then be in the way (a process
// holding its port), the provider undoes it; other creates are safe to repeat (a reattach, a
// migration the ledger skips, a judgement).
// The undo is the type's own delete.
const undoOrphanedCreate = new Set([types.processType, types.loadBalancerType]);

async function create(urn: string, inputs: any): Promise<provider.CreateResult> {
    const p = await forUrn(urn);
    const result = await p.create!(urn, plain(inputs));
    if (engineGone() && undoOrphanedCreate.has(typeOfUrn(urn))) {
        await p.delete!(result.id, urn, result.outs);
        console.error(`zdr provider: the engine is gone; undid the create of ${urn} it can no longer record`);
        throw new Error(`the engine is gone; the create of ${urn} was undone`);
    }
    return result;
}

const zdr: provider.Provider = {
    version: "0.1.0",
    // A type's check reports failures and may add to its inputs (a Migration says whether the
    // state has it applied); every input it returns unchanged goes back as sent (secrets kept).
    check: (urn, olds, news) =>
        timed("check", urn, async () => {
            const p = await forUrn(urn);
            if (!p.check) {
                return { inputs: news };
            }
            const checked = await p.check(urn, plain(olds), plain(news));
            return { inputs: checkedInputs(news, checked.inputs), ...(checked.failures?.length ? { failures: checked.failures } : {}) };
        }),
    diff: (id, urn, olds, news) => timed("diff", urn, async () => (await forUrn(urn)).diff!(id, urn, plain(olds), plain(news))),
    create: (urn, inputs) => track(() => timed("create", urn, () => create(urn, inputs))),
    read: (id, urn, props) =>
        timed("read", urn, async () => {
            const p = await forUrn(urn);
            return p.read ? p.read(id, urn, plain(props)) : { id, props };
        }),
    update: (id, urn, olds, news) =>
        track(() =>
            timed("update", urn, async () => {
                const p = await forUrn(urn);
                if (!p.update) {
                    throw new Error(`zdr provider: ${typeOfUrn(urn)} cannot be updated in place`);
                }
                return p.update(id, urn, plain(olds), plain(news));
            }),
        ),
    delete: (id, urn, props) => track(() => timed("delete", urn, async () => (await forUrn(urn)).delete!(id, urn, plain(props)))),
    // The program's first call (src/start-provider.js): it only makes the engine start this process early.
    invoke: async (token) => {
        if (token !== types.startProviderFunction) {
            throw new Error(`zdr provider: unknown function ${token} (known: ${types.startProviderFunction})`);
        }
        mark("provider", "started early");
        return { outputs: {} };
    },
};

mark("provider", "loaded");

provider.main(zdr, process.argv.slice(2)).catch((e) => {
    console.error(`zdr provider failed: ${e instanceof Error ? e.stack : e}`);
    process.exit(1);
});
