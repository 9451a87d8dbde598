// Which port each server listens on, on the local default. Pure: plain values in, a plan out.
import { ConfigError, namespace } from "../../src/release/config";
import type { LocalConfig } from "./config";

/**
 * Each server's port: a server keeps the port it had at the last up, so that removing or adding
 * another server never moves it (its process is not replaced); a server without one takes the
 * lowest free port from appBasePort up. A port of the last up stays taken for one more up even
 * when its server is removed: the engine stops a removed server only at the end of the `up`,
 * after it has started the new ones. The load balancer's and the database's ports are never
 * given to a server, and a kept port below appBasePort (appBasePort was raised) or taken by an
 * earlier server in release order is given up for a new one.
 *
 * Worked example (appBasePort 9101): the last up had web-1 9101, web-2 9102, web-3 9103.
 * Servers [web-1, web-3]       -> web-1 9101, web-3 9103 (web-3 does not move to 9102).
 * Then [web-1, web-3, web-4]   -> web-4 takes 9102, the lowest free port.
 * Instead [web-1, web-3, web-4] at once -> web-4 takes 9104 (web-2 still holds 9102 in that up).
 * A first up (no last ports) gives server i appBasePort + i, as before ports were kept.
 */
export function planPorts(servers: readonly string[], last: Readonly<Record<string, number>>, local: LocalConfig): Readonly<Record<string, number>> {
    // the load balancer's, the database's, and Prometheus' with its two exporters' (prometheusPort + 0..2)
    const infrastructure = new Set([local.lbPort, local.dbPort, local.prometheusPort, local.prometheusPort + 1, local.prometheusPort + 2]);
    const reserved = new Set([...infrastructure, ...Object.values(last)]);
    const taken = new Set<number>();
    const ports: Record<string, number> = {};
    for (const server of servers) {
        const kept = last[server];
        if (Number.isInteger(kept) && kept >= local.appBasePort && kept <= 65535 && !infrastructure.has(kept) && !taken.has(kept)) {
            ports[server] = kept;
            taken.add(kept);
        }
    }
    let next = local.appBasePort;
    for (const server of servers) {
        if (ports[server] !== undefined) {
            continue;
        }
        while (taken.has(next) || reserved.has(next)) {
            next++;
        }
        if (next > 65535) {
            throw new ConfigError([`${namespace}:appBasePort: ${local.appBasePort} leaves no free port up to 65535 for ${server}; choose a lower one`]);
        }
        ports[server] = next;
        taken.add(next);
    }
    return ports;
}

/**
 * The ports of the last up, from its `servers` output (entries without a valid name and port,
 * as written before ports were kept, are left out).
 */
export function lastPorts(servers: unknown): Record<string, number> {
    const ports: Record<string, number> = {};
    if (!Array.isArray(servers)) {
        return ports;
    }
    for (const s of servers) {
        if (s && typeof s === "object" && typeof s.name === "string" && Number.isInteger(s.port)) {
            ports[s.name] = s.port;
        }
    }
    return ports;
}
