// The numeric keys the hosts and AWS targets share: both deploy to hosts of their own over SSH
// and check each server's health from the host itself. One row each (src/release/config.ts'
// NumberKey), read by both targets' parsers; and the keys both take from a Release's typed settings.
import { appKeyRows } from "../src/release/app-config";
import { type ConfigKey, type NumberKey, type RawConfig, readString, textOf } from "../src/release/config";

export const sshTargetNumberKeys = {
    appPort: {
        key: "appPort", fallback: 8080, min: 1, max: 65535, meaning: "the app's port on each host or instance",
        description:
            "AWS and hosts targets. The app's port on each instance or host (target group port; the health check " +
            "after a deploy).",
    },
    dbPortRemote: {
        key: "dbPortRemote", fallback: 5432, min: 1, max: 65535, meaning: "PostgreSQL's port on dbHost",
        description: "AWS and hosts targets. The PostgreSQL port.",
    },
    sshTimeoutSeconds: {
        key: "sshTimeoutSeconds", fallback: 10, min: 1, max: 300, meaning: "the longest SSH connect",
        description:
            "Hosts and AWS targets. Longest wait for an SSH connection and its handshake (1-300); an unreachable " +
            "host fails the step after it.",
    },
    commandTimeoutSeconds: {
        key: "commandTimeoutSeconds", fallback: 300, min: 1, max: 3600, meaning: "the longest run of a deploy or stop command",
        description:
            "Hosts and AWS targets. Longest run of a deploy or stop command on a host (1-3600); beyond it zdr " +
            "closes the session and the step fails.",
    },
    healthPollIntervalMs: {
        key: "healthPollIntervalMs", fallback: 500, min: 50, max: 60000, meaning: "between two health checks after a deploy",
        description:
            "Hosts and AWS targets. Time between two health checks after a deploy (50-60000); the poll gives up " +
            "after healthTimeoutSeconds.",
    },
} as const satisfies Record<string, NumberKey>;

/** The other keys the hosts and AWS targets share (each parser says which it requires). */
export const sshTargetKeyRows = {
    sshUser: {
        key: "sshUser", type: "string", fallback: "ubuntu", pattern: /^[a-z_][a-z0-9_.-]{0,31}$/, allowed: "a user name (lower-case letters, digits, _ . -)",
        description:
            "AWS and hosts targets. The user the deploy (and on hosts the HAProxy runtime API) logs in as. Its " +
            "private key is the secret sshPrivateKey (pulumi config set --secret sshPrivateKey < key).",
    },
    sshPrivateKey: {
        key: "sshPrivateKey", type: "secret",
        description:
            "AWS and hosts targets, required. The deploy user's SSH private key, PEM or OpenSSH, always a secret " +
            "(scripts/pulumi config set --secret sshPrivateKey < KEYFILE). zdr refuses it in plain text, naming " +
            "the key, before anything changes.",
    },
    deployCommand: {
        key: "deployCommand", type: "string", fallback: "", pattern: /\{version\}/,
        description:
            "AWS and hosts targets, required. A shell command run on the host to install and start a version, " +
            "replacing the one running ({version} is replaced; on hosts also {server}); zdr then polls " +
            "healthCheckPath on the host. Must be safe to run again (an interrupted deploy is repeated).",
        allowed: "a shell command that installs and starts {version} on the host (and stops the version it replaces), e.g. sudo /opt/shop/deploy {version}",
    },
    stopCommand: {
        key: "stopCommand", type: "string", fallback: "", pattern: /\S/, allowed: "a shell command that stops the app gracefully on the host, e.g. sudo systemctl stop shop",
        description:
            "AWS and hosts targets, required. Runs on the host to stop the app gracefully (after its drain); " +
            "{version} is replaced (on hosts also {server}).",
    },
    dbHost: {
        key: "dbHost", type: "string", fallback: "", pattern: /^[A-Za-z0-9.-]+$/, allowed: "the PostgreSQL host the migrations run against (reachable from where `pulumi up` runs)",
        description:
            "AWS and hosts targets, required. The PostgreSQL host the migrations run against (reachable from " +
            "where `pulumi up` runs).",
    },
    knownHosts: {
        key: "knownHosts", type: "list", items: "string",
        description:
            "Hosts target, required. known_hosts lines (\"198.18.0.11 ssh-ed25519 AAAA...\", as ssh-keyscan prints " +
            "them, hashed names allowed) with a line for every host and the HAProxy host. A host whose key is not " +
            "listed is refused: zdr never trusts a host on first use; a key that differs stops the up, naming " +
            "both fingerprints. AWS target with instanceIds, required: a line per instance under its id " +
            "(\"i-0123456789abcdef0 ssh-ed25519 AAAA...\"); instances zdr creates get a host key zdr makes and " +
            "pins, no line needed.",
        allowed: 'a list of known_hosts lines: on the hosts target one for each host and the HAProxy host ("address ssh-ed25519 AAAA..."), on AWS one per instance under its id ("i-0123456789abcdef0 ssh-ed25519 AAAA...")',
    },
} as const satisfies Record<string, ConfigKey>;

/** Every key the hosts and AWS targets share, as rows of the config table. */
export const sshTargetRows: readonly ConfigKey[] = [...Object.values(sshTargetKeyRows), ...Object.values(sshTargetNumberKeys)];

/** Whether the hosts or AWS target reads the migrations' database (dbHost, dbPortRemote): when there are migrations or dbHost is set. */
export function wantsDatabase(raw: RawConfig): boolean {
    return readString(raw, appKeyRows.migrationsDir, []) !== "" || readString(raw, sshTargetKeyRows.dbHost, []) !== "";
}

/** What the hosts and AWS targets' settings both hold (HostsConfig and AwsConfig extend it). */
export interface SshTargetSettings {
    /** The app's port on each host or instance: the health poll after a deploy asks it there. */
    readonly appPort: number;
    readonly sshUser: string;
    /** Shell commands run on a host, `{version}` and `{server}` replaced. */
    readonly deployCommand: string;
    readonly stopCommand: string;
    /** Longest wait for an SSH connection and its handshake. */
    readonly sshTimeoutSeconds: number;
    /** Longest run of a deploy or stop command. */
    readonly commandTimeoutSeconds: number;
    /** Time between two health checks after a deploy (bounded overall by healthTimeoutSeconds). */
    readonly healthPollIntervalMs: number;
    /** Where the migrations run (database name and user are the app's: AppConfig.db). @default - none: an app without migrations needs no database keys */
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
