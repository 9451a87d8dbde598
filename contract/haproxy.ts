// zdr:haproxy:LoadBalancer's and zdr:haproxy:Server's inputs and outputs (provider/haproxy/), the program's args derived from them (resources/).

export interface LoadBalancerInputs {
    /** The configuration without servers; its last section is `backend <backend>`. A change reloads HAProxy. */
    readonly config: string;
    readonly configFile: string;
    /** The backend whose servers zdr manages. */
    readonly backend: string;
    /** The admin stats socket the configuration declares. */
    readonly runtimeApi: string;
    /** The master CLI's unix socket. */
    readonly masterSocket: string;
    /** The configuration's `server-state-file`. */
    readonly stateFile: string;
    readonly logFile: string;
    /** `host:port` of the frontend, polled after the start. */
    readonly readyTcp: string;
    /** `haproxy -v` of the binary: another version restarts HAProxy. @default - not tracked */
    readonly version?: string;
    /** @default 15000 */
    readonly readyTimeoutMs?: number;
    /** Longest soft stop before SIGKILL. @default 10000 */
    readonly stopTimeoutMs?: number;
}

export interface LoadBalancerOutputs extends LoadBalancerInputs {
    /** The master's pid. */
    readonly pid: number;
    readonly startTicks: string;
    /** `<pid>:<startTicks>`: which HAProxy this is; servers and memberships take it as an input. */
    readonly identity: string;
}

export interface ServerInputs {
    /** The admin socket: a unix socket path or host:port. */
    readonly runtimeApi: string;
    readonly backend: string;
    readonly server: string;
    /** `ip:port` of the server. */
    readonly address: string;
    /**
     * The health-check settings for `add server`, e.g. ["inter", "200", "fall", "2", "rise", "2"]:
     * a dynamic server takes nothing from `default-server`. A change is an update that HAProxy's
     * reload (the load balancer's update, which comes first) has already applied.
     */
    readonly check: string[];
    /** The running HAProxy (the load balancer's identity): a new one replaces the entry. */
    readonly loadBalancer: string;
    /** Longest wait for HAProxy to let go of the server's last connection on delete. @default 30000 */
    readonly removeTimeoutMs?: number;
}
