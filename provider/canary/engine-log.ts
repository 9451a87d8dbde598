// Messages from the provider to the engine, about one resource: `pulumi up` shows an ephemeral
// one as the resource's status while the step runs (the canary's live line during its bake).
// The engine's address is the provider's first argument (as @pulumi/pulumi/provider reads it);
// a provider started without one (a unit test) logs nothing.
import * as grpc from "@grpc/grpc-js";
import * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engproto from "@pulumi/pulumi/proto/engine_pb";

/** The engine's address among the provider's arguments, as @pulumi/pulumi/provider's own parseArgs finds it. */
export function engineAddress(args: readonly string[]): string | undefined {
    const rest: string[] = [];
    for (let i = 0; i < args.length; i++) {
        if (args[i] === "--logtostderr" || args[i].startsWith("-v=")) {
            continue;
        }
        if (args[i] === "--tracing") {
            i++;
            continue;
        }
        rest.push(args[i]);
    }
    return rest[0];
}

let client: engrpc.EngineClient | null | undefined;

function engine(): engrpc.EngineClient | undefined {
    if (client === undefined) {
        const address = engineAddress(process.argv.slice(2));
        client = address && /^[\w.:[\]-]+$/.test(address) ? new engrpc.EngineClient(address, grpc.credentials.createInsecure()) : null;
    }
    return client ?? undefined;
}

/** Sends an info message about `urn` (ephemeral: shown as its status, not kept); never throws. */
export function engineLog(urn: string, message: string, ephemeral = true): Promise<void> {
    const e = engine();
    if (!e) {
        return Promise.resolve();
    }
    const req = new engproto.LogRequest();
    req.setSeverity(engproto.LogSeverity.INFO);
    req.setMessage(message);
    req.setUrn(urn);
    req.setStreamid(0);
    req.setEphemeral(ephemeral);
    return new Promise((resolve) => e.log(req, () => resolve()));
}
