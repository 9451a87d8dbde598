import { strict as assert } from "node:assert";
import { isNoSuchServer, parseServersState, parseShowProc, parseShowStat } from "../../../src/haproxy/runtime";

// Trimmed from HAProxy 2.6's `show stat`: the real header, real rows, columns past hrsp_5xx cut.
const header = "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx";
const rows = [
    "web,FRONTEND,,,3,10,262124,120,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,5,0,20,,,,0,120,0,0,0",
    "webshop,web-1,0,0,2,4,,50,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,10,0,,1,3,1,,50,,2,2,,8,L7OK,200,1,0,50,0,0,0",
    "webshop,web-2,1,1,0,4,,40,0,0,,0,,0,0,0,0,DRAIN,1,1,0,0,0,10,0,,1,3,2,,40,,2,0,,8,L7OK,200,1,0,38,0,0,2",
    "webshop,web-3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT,1,1,0,0,0,10,0,,1,3,3,,0,,2,0,,0,,,,0,0,0,0,0",
    "webshop,BACKEND,0,0,2,10,,90,0,0,0,0,,0,0,0,0,UP,2,2,0,,0,10,0,,1,3,0,,90,,1,2,,8,,,,0,88,0,0,2",
];

describe("parseShowStat", () => {
    const stats = parseShowStat([header, ...rows, ""].join("\n"), "webshop");
    const cases: [string, object][] = [
        ["web-1", { status: "UP", scur: 2, qcur: 0, stot: 50, hrsp5xx: 0 }],
        ["web-2", { status: "DRAIN", scur: 0, qcur: 1, stot: 40, hrsp5xx: 2 }],
        ["web-3", { status: "MAINT", scur: 0, qcur: 0, stot: 0, hrsp5xx: 0 }],
    ];
    it("keeps only the backend's servers", () => assert.deepEqual(stats.map((s) => s.server), ["web-1", "web-2", "web-3"]));
    for (const [server, want] of cases) {
        it(`reads ${server}`, () => {
            const s = stats.find((x) => x.server === server);
            assert.deepEqual({ status: s?.status, scur: s?.scur, qcur: s?.qcur, stot: s?.stot, hrsp5xx: s?.hrsp5xx }, want);
        });
    }
    it("rejects an answer that is not show stat", () => {
        assert.throws(() => parseShowStat("Unknown command", "webshop"), /unexpected answer to "show stat"/);
    });
});

// Captured from HAProxy 2.6.12 (Debian): `show servers state` after a `del server` (web-3 in maintenance).
const serversState = [
    "1",
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr srv_agent_addr srv_agent_port",
    "3 webshop 1 web-1 127.0.0.1 2 0 1 1 1 15 3 3 6 0 0 0 - 19101 - 0 0 - - 0",
    "3 webshop 3 web-3 127.0.0.1 0 1 1 1 0 15 3 0 14 0 0 0 - 19103 - 0 0 - - 0",
    "",
].join("\n");

describe("parseServersState", () => {
    it("reads name, address, port and states per server", () => {
        assert.deepEqual(parseServersState(serversState), [
            { backend: "webshop", server: "web-1", address: "127.0.0.1", port: 19101, opState: 2, adminState: 0 },
            { backend: "webshop", server: "web-3", address: "127.0.0.1", port: 19103, opState: 0, adminState: 1 },
        ]);
    });
    it("reads a backend with no server", () => assert.deepEqual(parseServersState(serversState.split("\n").slice(0, 2).join("\n")), []));
    it("rejects another format version", () => assert.throws(() => parseServersState("2\n# be_id\n"), /version 1 expected/));
});

// Captured from the master CLI of HAProxy 2.6.12 during a reload (an old worker still finishing).
const showProc = [
    "#<PID>          <type>          <reloads>       <uptime>        <version>      ",
    "13414           master          2 [failed: 1]   0d00h00m48s     2.6.12-1+deb12u4",
    "# workers",
    "16700           worker          0               0d00h00m00s     2.6.12-1+deb12u4",
    "# old workers",
    "13790           worker          1               0d00h00m20s     2.6.12-1+deb12u4",
    "# programs",
    "",
].join("\n");

describe("parseShowProc", () => {
    it("tells the master, the current worker and an old worker apart", () => {
        assert.deepEqual(parseShowProc(showProc), [
            { pid: 13414, type: "master", current: true, reloads: 2, failedReloads: 1 },
            { pid: 16700, type: "worker", current: true, reloads: 0, failedReloads: 0 },
            { pid: 13790, type: "worker", current: false, reloads: 1, failedReloads: 0 },
        ]);
    });
    it("rejects an answer without a master", () => assert.throws(() => parseShowProc("Unknown command."), /unexpected answer to "show proc"/));
});

describe("the error counters of show stat", () => {
    it("reads econ, eresp, wretr and wredis", () => {
        const csv = [header, "webshop,web-1,0,0,2,4,,50,0,0,,0,,3,4,5,6,UP,1,1,0,0,0,10,0,,1,3,1,,50,,2,2,,8,L7OK,200,1,0,50,0,0,0", ""].join("\n");
        const [s] = parseShowStat(csv, "webshop");
        assert.deepEqual({ econ: s.econ, eresp: s.eresp, wretr: s.wretr, wredis: s.wredis }, { econ: 3, eresp: 4, wretr: 5, wredis: 6 });
    });
});

describe("isNoSuchServer", () => {
    const cases: [string, boolean][] = [
        ['HAProxy refused "set server webshop/web-4 state drain": No such server.', true],
        ["HAProxy has no server webshop/web-4", true],
        ['HAProxy refused "del server webshop/web-4": No such backend.', true],
        ["HAProxy runtime API at /x.sock: connect ENOENT /x.sock", false],
        ['HAProxy refused "del server webshop/web-4": Server still has connections attached to it, cannot remove it.', false],
    ];
    for (const [message, want] of cases) {
        it(`${want ? "is" : "is not"}: ${message}`, () => assert.equal(isNoSuchServer(new Error(message)), want));
    }
});
