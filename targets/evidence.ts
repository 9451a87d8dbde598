// Each target's canary evidence (targets/<kind>/evidence/index.ts), asked for by the judgement's
// description of a canary: the fields its target's environment filled in (canaryEvidence in
// targets/<kind>/environment.ts: requestLog on the local default, remoteRequestLog on hosts, albLogs
// on AWS) say which target it is. The bake (provider/canary/judgement.ts) and `zdr watch` take
// their sources here.
import type { CanaryEvidenceInputs } from "./canary-evidence";
import type { CanarySources } from "../src/canary/sources";
import { awsCanarySources } from "./aws/evidence";
import { hostsCanarySources } from "./hosts/evidence";
import { localCanarySources } from "./local/evidence";
import type { TargetKind } from "./registry";

/** The target a judgement's description comes from. */
export function judgedOn(i: Pick<CanaryEvidenceInputs, "albLogs" | "remoteRequestLog">): TargetKind {
    return i.albLogs ? "aws" : i.remoteRequestLog ? "hosts" : "local";
}

const sources: { readonly [K in TargetKind]: (i: CanaryEvidenceInputs, copies: string) => CanarySources } = {
    local: (i) => localCanarySources(i),
    hosts: hostsCanarySources,
    aws: (i) => awsCanarySources(i),
};

/**
 * The bake's sources. `copies`: where copies of remote logs go, the start of their paths (the
 * bake's report beside them; `zdr watch` a folder of its own).
 */
export function canarySources(i: CanaryEvidenceInputs, copies: string): CanarySources {
    return sources[judgedOn(i)](i, copies);
}
