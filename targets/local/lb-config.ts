// The load balancer's settings beyond healthCheckIntervalMs: health-check rise and fall, and
// HAProxy's timeouts. Pure: raw stack config in, validated settings out; every message names the
// config key and what is allowed. Changing any of them reloads HAProxy (no restart).
import { ConfigError, type NumberKey, type RawConfig, readNumber } from "../../src/release/config";

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
export const lbNumberKeys = {
    healthCheckRise: {
        key: "healthCheckRise", fallback: 2, min: 1, max: 100, meaning: "consecutive successful checks that bring a server UP",
        description:
            "Local default (HAProxy). Consecutive successful health checks that bring a server UP (1-100); a " +
            "change reloads HAProxy without dropping a connection.",
    },
    healthCheckFall: {
        key: "healthCheckFall", fallback: 2, min: 1, max: 100, meaning: "consecutive failed checks that take a server DOWN",
        description:
            "Local default (HAProxy). Consecutive failed health checks that take a server DOWN (1-100); a change " +
            "reloads HAProxy.",
    },
    connectTimeoutMs: {
        key: "connectTimeoutMs", fallback: 2000, min: 100, max: 60000, meaning: "HAProxy's timeout connect",
        description: "Local default (HAProxy's timeout connect), in milliseconds (100-60000); a change reloads HAProxy.",
    },
    requestTimeoutSeconds: {
        key: "requestTimeoutSeconds", fallback: 30, min: 1, max: 3600, meaning: "HAProxy's timeout client and server: the longest request",
        description:
            "Local default (HAProxy's timeout client and server), the longest request in seconds (1-3600); a " +
            "change reloads HAProxy.",
    },
    queueTimeoutSeconds: {
        key: "queueTimeoutSeconds", fallback: 10, min: 1, max: 3600, meaning: "HAProxy's timeout queue",
        description: "Local default (HAProxy's timeout queue), in seconds (1-3600); a change reloads HAProxy.",
    },
} as const satisfies Record<keyof LbSettings, NumberKey>;

export const lbDefaults: LbSettings = Object.fromEntries(Object.values(lbNumberKeys).map((k) => [k.key, k.fallback])) as unknown as LbSettings;

/**
 * Worked example: {} gives the defaults (rise 2, fall 2, connect 2000 ms, requests 30 s, queue
 * 10 s); { healthCheckFall: "3" } changes only the fall; { healthCheckRise: "0" } is refused
 * with "zdr:healthCheckRise: must be an integer from 1 to 100; got "0"".
 */
export function parseLbConfig(raw: RawConfig): LbSettings {
    const problems: string[] = [];
    const settings = Object.fromEntries(Object.values(lbNumberKeys).map((k) => [k.key, readNumber(raw, k, problems)])) as unknown as LbSettings;
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    return settings;
}
