// Reading a canary's evidence from a multi-GB HAProxy request log: the window's start found by a
// binary search on byte offsets, its lines streamed in 64 kB chunks. Writes a log of about
// `gigabytes` GB (about 30 bytes a request, one request every 4 ms: about 3 days of a busy
// service) into a temporary directory, reads the last minute's window of two servers, and
// prints the time and the process's peak resident memory (VmHWM), then deletes the log.
//   npx ts-node --transpile-only bench/canary-evidence.ts [gigabytes]   (default 2.5)
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { offsetOf, readFrom, requestsOf } from "../src/canary/evidence";

const gigabytes = Number(process.argv[2] ?? 2.5);
const peakRssMb = () => Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) / 1024;
const seconds = (since: bigint) => (Number(process.hrtime.bigint() - since) / 1e9).toFixed(2);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-bench-evidence-"));
const log = path.join(dir, "haproxy.log");
try {
    const t0 = 1_767_225_600_000;
    const fd = fs.openSync(log, "w");
    let written = 0;
    let i = 0;
    const started = process.hrtime.bigint();
    while (written < gigabytes * 1024 ** 3) {
        const lines: string[] = [];
        for (let k = 0; k < 100_000; k++, i++) {
            lines.push(i % 500 === 0 ? `${t0 + i * 4} web-${1 + (i % 4)} 500 ${i % 90} {db timeout}` : `${t0 + i * 4} web-${1 + (i % 4)} 200 ${i % 90} {}`);
        }
        const chunk = `${lines.join("\n")}\n`;
        fs.writeSync(fd, chunk);
        written += chunk.length;
    }
    fs.closeSync(fd);
    const end = t0 + i * 4;
    console.log(`log: ${(written / 1024 ** 3).toFixed(2)} GB, ${(i / 1e6).toFixed(1)} million requests, written in ${seconds(started)} s; peak RSS while writing ${peakRssMb().toFixed(0)} MB`);

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
    console.log(`peak RSS: ${peakRssMb().toFixed(0)} MB (${before.toFixed(0)} MB before reading)`);
} finally {
    fs.rmSync(dir, { recursive: true, force: true });
}
