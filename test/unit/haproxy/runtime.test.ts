import { strict as assert } from "node:assert";
import { parseShowStat } from "../../../src/haproxy/runtime";

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
