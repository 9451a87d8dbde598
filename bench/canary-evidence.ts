// Reading a canary's evidence from a multi-GB HAProxy request log: the window's start found by a
// binary search on byte offsets, its lines streamed in 64 kB chunks. Writes a log of about
// `gigabytes` GB (about 30 bytes a request, one request every 4 ms: about 4 days of a busy
// service) into a temporary directory; in a second process reads the last minute's window of
// two servers, the last ten minutes of one, and the whole log, and prints the times and that
// process's peak resident memory (VmHWM); then deletes the log.
//   npx ts-node --transpile-only bench/canary-evidence.ts [gigabytes]   (default 2.5)
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { offsetOf, readFrom, requestsOf } from "../src/canary/evidence";

const peakRssMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;
const seconds = (since: bigint) => (Number(process.hrtime.bigint() - since) / 1e9).toFixed(2);

/** In its own process: the reads, and that process's peak resident memory. */
function read(log: string, end: number) {
    const before = peakRssMb();
    let s = process.hrtime.bigint();
    const offset = offsetOf(log, end - 60_000);
    console.log(`binary search for the last minute's start: ${seconds(s)} s (offset ${(offset / 1024 ** 3).toFixed(3)} GB)`);
    s = process.hrtime.bigint();
    const window = requestsOf(log, ["web-1", "web-2"], end - 60_000, end);
    console.log(`window of the last minute, two servers: ${window.length} requests in ${seconds(s)} s`);
    s = process.hrtime.bigint();
    const tenMinutes = requestsOf(log, ["web-1"], end - 600_000, end).length;
    console.log(`window of the last ten minutes, one server: ${tenMinutes} requests in ${seconds(s)} s`);
    s = process.hrtime.bigint();
    let streamed = 0;
    readFrom(log, 0, () => {
        streamed++;
    });
    console.log(`the whole log streamed (the worst case, never done by the judge): ${(streamed / 1e6).toFixed(1)} million requests in ${seconds(s)} s`);
    console.log(`reader's peak RSS: ${peakRssMb().toFixed(0)} MB (${before.toFixed(0)} MB before its first read: node and ts-node)`);
}

function write(gigabytes: number) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-bench-evidence-"));
    const log = path.join(dir, "haproxy.log");
    try {
        const t0 = 1_767_225_600_000;
        const fd = fs.openSync(log, "w");
        let written = 0;
        let i = 0;
        const started = process.hrtime.bigint();
        while (written < gigabytes * 1024 ** 3) {
            let chunk = "";
            for (let k = 0; k < 20_000; k++, i++) {
                chunk += i % 500 === 0 ? `${t0 + i * 4} web-${1 + (i % 4)} 500 ${i % 90} {db timeout}\n` : `${t0 + i * 4} web-${1 + (i % 4)} 200 ${i % 90} {}\n`;
            }
            fs.writeSync(fd, chunk);
            written += chunk.length;
        }
        fs.closeSync(fd);
        console.log(`log: ${(written / 1024 ** 3).toFixed(2)} GB, ${(i / 1e6).toFixed(1)} million requests, written in ${seconds(started)} s`);
        execFileSync(process.execPath, [...process.execArgv, __filename, "--read", log, String(t0 + i * 4)], { stdio: "inherit" });
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

if (process.argv[2] === "--read") {
    read(process.argv[3], Number(process.argv[4]));
} else {
    write(Number(process.argv[2] ?? 2.5));
}
