// A hosts stack's raw config for the unit tests (what `pulumi.Config` hands over): its servers on
// the given addresses, HAProxy on 198.18.0.10, a known_hosts line for each host (none for the
// HAProxy host beyond its own), an SSH key, deploy and stop commands; and the hosts parser run on
// such a config, with its problems.
import { ConfigError, parseReleaseConfig, type RawConfig } from "../../src/release/config";
import { type HostsConfig, parseHostsConfig } from "../../targets/hosts/config";

/** A well-formed ed25519 public key (its bytes are no real key's). */
export const testHostKey = "AAAAC3NzaC1lZDI1NTE5AAAAIAEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB";

/** The known_hosts line of an "address" or "address:port" (OpenSSH writes a port other than 22 as [address]:port). */
export const knownHostsLine = (at: string): string => {
    const [address, port] = at.split(":");
    return `${port ? `[${address}]:${port}` : address} ssh-ed25519 ${testHostKey}`;
};

/**
 * Worked example: hostsRaw({ "web-1": "198.18.0.11", "web-2": "198.18.0.12:2222" }) gives servers
 * [web-1, web-2], hosts [web-1=198.18.0.11, web-2=198.18.0.12:2222] and known_hosts lines for
 * 198.18.0.10, 198.18.0.11 and [198.18.0.12]:2222. `extra` is laid over it.
 */
export function hostsRaw(hosts: Readonly<Record<string, string>>, extra: RawConfig = {}): RawConfig {
    const haproxyHost = "198.18.0.10";
    return {
        target: "hosts",
        servers: JSON.stringify(Object.keys(hosts)),
        hosts: JSON.stringify(Object.entries(hosts).map(([server, at]) => `${server}=${at}`)),
        haproxyHost,
        knownHosts: JSON.stringify([haproxyHost, ...Object.values(hosts)].map(knownHostsLine)),
        sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
        deployCommand: "sudo /opt/shop/deploy {version}",
        stopCommand: "sudo systemctl stop shop",
        ...extra,
    };
}

/** The hosts target's settings from raw config (the release's parsed from the same). */
export const parseHosts = (raw: RawConfig): HostsConfig => parseHostsConfig(raw, parseReleaseConfig(raw));

/** The problems the hosts parser (or the release's) finds in raw config; none when it parses. */
export function hostsProblems(raw: RawConfig): readonly string[] {
    try {
        parseHosts(raw);
    } catch (e) {
        if (e instanceof ConfigError) {
            return e.problems;
        }
        throw e;
    }
    return [];
}
