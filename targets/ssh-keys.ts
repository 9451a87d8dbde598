// The numeric keys the hosts and AWS targets share: both deploy to hosts of their own over SSH
// and check each server's health from the host itself. One row each (src/release/config.ts'
// NumberKey), read by both targets' parsers; and the keys both take from a Release's typed settings.
import { type NumberKey, type RawConfig, textOf } from "../src/release/config";

export const sshTargetNumberKeys = {
    appPort: { key: "appPort", fallback: 8080, min: 1, max: 65535, meaning: "the app's port on each host or instance" },
    dbPortRemote: { key: "dbPortRemote", fallback: 5432, min: 1, max: 65535, meaning: "PostgreSQL's port on dbHost" },
    sshTimeoutSeconds: { key: "sshTimeoutSeconds", fallback: 10, min: 1, max: 300, meaning: "the longest SSH connect" },
    commandTimeoutSeconds: { key: "commandTimeoutSeconds", fallback: 300, min: 1, max: 3600, meaning: "the longest run of a deploy or stop command" },
    healthPollIntervalMs: { key: "healthPollIntervalMs", fallback: 500, min: 50, max: 60000, meaning: "between two health checks after a deploy" },
} as const satisfies Record<string, NumberKey>;

/** What the hosts and AWS targets' settings both hold (HostsConfig, AwsConfig). */
interface SshTargetSettings {
    readonly appPort: number;
    readonly sshUser: string;
    readonly deployCommand: string;
    readonly stopCommand: string;
    readonly sshTimeoutSeconds: number;
    readonly commandTimeoutSeconds: number;
    readonly healthPollIntervalMs: number;
    readonly db?: { readonly host: string; readonly port: number };
}

/** The keys the hosts and AWS targets share, as text, from either's typed settings. */
export function sshTargetRawOf(t: SshTargetSettings): RawConfig {
    return {
        appPort: textOf(t.appPort), sshUser: t.sshUser, deployCommand: t.deployCommand, stopCommand: t.stopCommand,
        sshTimeoutSeconds: textOf(t.sshTimeoutSeconds), commandTimeoutSeconds: textOf(t.commandTimeoutSeconds), healthPollIntervalMs: textOf(t.healthPollIntervalMs),
        dbHost: t.db?.host, dbPortRemote: textOf(t.db?.port),
    };
}

/** The keys the hosts and AWS targets share, each told as its field of the typed settings (`field` is "hosts" or "aws"). */
export function sshTargetSettingOfKey(field: string): Record<string, string> {
    return {
        ...Object.fromEntries(["appPort", "sshUser", "deployCommand", "stopCommand", "sshTimeoutSeconds", "commandTimeoutSeconds", "healthPollIntervalMs"].map((k) => [k, `target.${field}.${k}`])),
        dbHost: `target.${field}.db.host`, dbPortRemote: `target.${field}.db.port`,
    };
}
