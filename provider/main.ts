// The zdr resource provider: the leaf actions of a release (processes on this machine, the
// HAProxy runtime API, PostgreSQL migrations) as a Pulumi provider plugin written with
// @pulumi/pulumi/provider. bin/pulumi-resource-zdr starts it; the engine finds that script on
// PATH as an ambient plugin.
import * as provider from "@pulumi/pulumi/provider";
import { typeOfUrn, unwrapSecrets as plain } from "./diff";
import { judgementProvider, judgementType } from "./canary/judgement";
import { loadBalancerProvider, loadBalancerType } from "./haproxy/load-balancer";
import { memberProvider, memberType } from "./haproxy/member";
import { serverProvider, serverType } from "./haproxy/server";
import { processProvider, processType } from "./local/process";
import { migrationProvider, migrationType } from "./postgres/migration";
import { epochProvider, epochType } from "./release/epoch";
import { targetHealthProvider, targetHealthType } from "./aws/target-health";
import { hostsDeployProvider, hostsDeployType } from "./hosts/deploy";

const byType: Record<string, Partial<provider.Provider>> = {
    [processType]: processProvider,
    [memberType]: memberProvider,
    [loadBalancerType]: loadBalancerProvider,
    [serverType]: serverProvider,
    [migrationType]: migrationProvider,
    [judgementType]: judgementProvider,
    [epochType]: epochProvider,
    [targetHealthType]: targetHealthProvider,
    [hostsDeployType]: hostsDeployProvider,
};

function forUrn(urn: string): Partial<provider.Provider> {
    const type = typeOfUrn(urn);
    const p = byType[type];
    if (!p) {
        throw new Error(`zdr provider: unknown resource type ${type} (known: ${Object.keys(byType).join(", ")})`);
    }
    return p;
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
const undoOrphanedCreate = new Set([processType, loadBalancerType]);

async function create(urn: string, inputs: any): Promise<provider.CreateResult> {
    const p = forUrn(urn);
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
    // A type's check only reports failures; the engine gets the inputs back as sent (secrets kept).
    check: async (urn, olds, news) => {
        const p = forUrn(urn);
        const failures = p.check ? (await p.check(urn, plain(olds), plain(news))).failures : undefined;
        return { inputs: news, ...(failures?.length ? { failures } : {}) };
    },
    diff: (id, urn, olds, news) => forUrn(urn).diff!(id, urn, plain(olds), plain(news)),
    create: (urn, inputs) => track(() => create(urn, inputs)),
    read: (id, urn, props) => {
        const p = forUrn(urn);
        return p.read ? p.read(id, urn, plain(props)) : Promise.resolve({ id, props });
    },
    update: (id, urn, olds, news) => {
        const p = forUrn(urn);
        if (!p.update) {
            throw new Error(`zdr provider: ${typeOfUrn(urn)} cannot be updated in place`);
        }
        return track(() => p.update!(id, urn, plain(olds), plain(news)));
    },
    delete: (id, urn, props) => track(() => forUrn(urn).delete!(id, urn, plain(props))),
};

provider.main(zdr, process.argv.slice(2)).catch((e) => {
    console.error(`zdr provider failed: ${e instanceof Error ? e.stack : e}`);
    process.exit(1);
});
