// The numeric keys the hosts and AWS targets share: both deploy to hosts of their own over SSH
// and check each server's health from the host itself. One row each (src/release/config.ts'
// NumberKey), read by both targets' parsers.
import type { NumberKey } from "../src/release/config";

export const sshTargetNumberKeys = {
    appPort: { key: "appPort", fallback: 8080, min: 1, max: 65535, meaning: "the app's port on each host or instance" },
    dbPortRemote: { key: "dbPortRemote", fallback: 5432, min: 1, max: 65535, meaning: "PostgreSQL's port on dbHost" },
    sshTimeoutSeconds: { key: "sshTimeoutSeconds", fallback: 10, min: 1, max: 300, meaning: "the longest SSH connect" },
    commandTimeoutSeconds: { key: "commandTimeoutSeconds", fallback: 300, min: 1, max: 3600, meaning: "the longest run of a deploy or stop command" },
    healthPollIntervalMs: { key: "healthPollIntervalMs", fallback: 500, min: 50, max: 60000, meaning: "between two health checks after a deploy" },
} as const satisfies Record<string, NumberKey>;
