import * as pulumi from "@pulumi/pulumi";
import type { ScrapeTargetInputs } from "../contract/process";
import { scrapeTargetType } from "../contract/tokens";
import type { ArgsOf } from "./args";

/** Inputs of {@link ScrapeTarget}; documented on {@link ScrapeTargetInputs}. */
export type ScrapeTargetArgs = ArgsOf<ScrapeTargetInputs>;

/**
 * One server in the local default's Prometheus (zdr:local:ScrapeTarget): a file_sd target file,
 * so that a fleet change restarts neither Prometheus nor the process exporter
 * (targets/local/provider/scrape-target.ts).
 */
export class ScrapeTarget extends pulumi.CustomResource {
    constructor(name: string, args: ScrapeTargetArgs, opts?: pulumi.CustomResourceOptions) {
        super(scrapeTargetType, name, args, opts);
    }
}
