// HAProxy configuration text that zdr writes: the base configuration (no servers; see
// targets/local/environment.ts) plus the servers the running HAProxy has, so that a reload keeps them.
import type { ServerState } from "./runtime";

/**
 * The base configuration with one `server` line per running server appended to `backend`, which
 * must be the last section. The lines carry no `disabled`: each server's state (maintenance,
 * drain, ready, UP) comes from the server-state-file HAProxy loads on start.
 *
 * Worked example: a base ending in "backend shop" and the running servers web-1
 * (127.0.0.1:9101) and web-4 (127.0.0.1:9104) give the base plus
 *     server web-1 127.0.0.1:9101 check
 *     server web-4 127.0.0.1:9104 check
 */
export function withServers(base: string, backend: string, servers: readonly Pick<ServerState, "server" | "address" | "port">[]): string {
    const sections = [...base.matchAll(/^(global|defaults|frontend|backend|listen|peers|resolvers|userlist|program|cache|ring|mailers|http-errors)\b[^\n]*$/gm)];
    const last = sections[sections.length - 1]?.[0].trim().split(/\s+/);
    if (last?.[0] !== "backend" || last[1] !== backend) {
        throw new Error(`the HAProxy configuration must end with the section "backend ${backend}" (its servers are appended there); it ends with "${last?.join(" ") ?? "nothing"}"`);
    }
    if (/^\s*server\s/m.test(base.slice(sections[sections.length - 1].index))) {
        throw new Error(`the HAProxy configuration's "backend ${backend}" must not declare servers: zdr adds and removes them at run time`);
    }
    const lines = servers.map((s) => `    server ${s.server} ${s.address}:${s.port} check`);
    return `${base.replace(/\n*$/, "\n")}${lines.map((l) => `${l}\n`).join("")}`;
}
