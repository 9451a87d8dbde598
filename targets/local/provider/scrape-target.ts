// zdr:local:ScrapeTarget — one server in the local default's Prometheus: a file_sd target file
// (<folder>/<server>.json) that Prometheus' app job and zdr's process exporter read, so that a
// server added to or removed from the fleet is scraped, or no longer, without a restart of
// either (src/monitors/prometheus-config.ts). A canary's fresh baseline is written the same way
// by its judgement (provider/canary/judgement.ts).
// create, update = write the file whole (then rename: a scrape never reads half of it);
// delete = remove it; read = gone from the state when the file is gone.
import * as fs from "node:fs";
import type * as provider from "@pulumi/pulumi/provider";
import { scrapeTargetFile, scrapeTargetJson } from "../../../src/monitors/prometheus-config";
import { changedKeys } from "../../../provider/diff";
import type { ScrapeTargetInputs } from "../../../contract/process";

export type { ScrapeTargetInputs };

export { scrapeTargetType } from "../../../contract/tokens";

/** Writes `<folder>/<server>.json` whole, then renames it into place. */
export function writeScrapeTarget(t: ScrapeTargetInputs): void {
    const file = scrapeTargetFile(t.folder, t.server);
    fs.mkdirSync(t.folder, { recursive: true });
    fs.writeFileSync(`${file}.tmp`, scrapeTargetJson(t.server, t.address));
    fs.renameSync(`${file}.tmp`, file);
}

export function removeScrapeTarget(t: Pick<ScrapeTargetInputs, "folder" | "server">): void {
    fs.rmSync(scrapeTargetFile(t.folder, t.server), { force: true });
}

export const scrapeTargetProvider: Required<Pick<provider.Provider, "diff" | "create" | "read" | "update" | "delete">> = {
    async diff(_id, _urn, olds: ScrapeTargetInputs, news: ScrapeTargetInputs) {
        const changed = changedKeys(olds, news, []);
        // another file: the old one is removed, the new one written
        return { changes: changed.length > 0, replaces: changed.filter((k) => k === "folder" || k === "server") };
    },
    async create(_urn, inputs: ScrapeTargetInputs) {
        writeScrapeTarget(inputs);
        return { id: scrapeTargetFile(inputs.folder, inputs.server), outs: inputs };
    },
    async read(id, _urn, props?: ScrapeTargetInputs) {
        return props && fs.existsSync(scrapeTargetFile(props.folder, props.server)) ? { id, props } : { id: "", props: {} };
    },
    async update(_id, _urn, _olds: ScrapeTargetInputs, news: ScrapeTargetInputs) {
        writeScrapeTarget(news);
        return { outs: news };
    },
    async delete(_id, _urn, props: ScrapeTargetInputs) {
        removeScrapeTarget(props);
    },
};
