// The load balancer's settings beyond healthCheckIntervalMs: health-check rise and fall, and
// HAProxy's timeouts. Pure: raw stack config in, validated settings out; every message names the
// config key and what is allowed. Changing any of them reloads HAProxy (no restart).
import { ConfigError, namespace, type RawConfig } from "../../src/release/config";

export interface LbSettings {
    /** Consecutive successful checks that bring a server UP. */
    readonly healthCheckRise: number;
    /** Consecutive failed checks that take a server DOWN. */
    readonly healthCheckFall: number;
    /** HAProxy's `timeout connect`, ms. */
    readonly connectTimeoutMs: number;
    /** HAProxy's `timeout client` and `timeout server`, seconds: the longest request. */
    readonly requestTimeoutSeconds: number;
    /** HAProxy's `timeout queue`, seconds. */
    readonly queueTimeoutSeconds: number;
}

/** The keys, with their range and default: what Pulumi.yaml declares. */
export const lbKeys = {
    healthCheckRise: { min: 1, max: 100, default: 2 },
    healthCheckFall: { min: 1, max: 100, default: 2 },
    connectTimeoutMs: { min: 100, max: 60000, default: 2000 },
    requestTimeoutSeconds: { min: 1, max: 3600, default: 30 },
    queueTimeoutSeconds: { min: 1, max: 3600, default: 10 },
} as const satisfies Record<keyof LbSettings, { min: number; max: number; default: number }>;

export const lbDefaults: LbSettings = Object.fromEntries(Object.entries(lbKeys).map(([k, v]) => [k, v.default])) as unknown as LbSettings;

/**
 * Worked example: {} gives the defaults (rise 2, fall 2, connect 2000 ms, requests 30 s, queue
 * 10 s); { healthCheckFall: "3" } changes only the fall; { healthCheckRise: "0" } is refused
 * with "zdr:healthCheckRise: must be an integer from 1 to 100; got "0"".
 */
export function parseLbConfig(raw: RawConfig): LbSettings {
    const problems: string[] = [];
    const settings: Record<string, number> = {};
    for (const [key, range] of Object.entries(lbKeys)) {
        const text = raw[key];
        if (text === undefined || text === "") {
            settings[key] = range.default;
            continue;
        }
        const n = Number(text);
        if (!/^\d+$/.test(text.trim()) || n < range.min || n > range.max) {
            problems.push(`${namespace}:${key}: must be an integer from ${range.min} to ${range.max}; got ${JSON.stringify(text)}`);
            continue;
        }
        settings[key] = n;
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return settings as unknown as LbSettings;
}
