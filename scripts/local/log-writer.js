// A process's stdout and stderr to a log file that rotates at a size limit: started by
// zdr:local:Process (targets/local/provider/process.ts) with the process's output on its stdin; it
// appends to <file> and, before a write would take the file past <maxBytes>, it ends the file
// at a line's end (a line longer than that gets a file of its own), renames <file>.<keep-1> to <file>.<keep> ... <file> to <file>.1 and
// starts a new <file> (the oldest is dropped). It exits when its stdin ends (every writer gone).
// Plain JavaScript: it runs under node alone, outliving the provider (scripts/local/ is found from
// the package root, compiled or not).
// Usage: node log-writer.js <file> <maxBytes> <keep>
"use strict";
const fs = require("node:fs");

const [file, maxText, keepText] = process.argv.slice(2);
const maxBytes = Number(maxText);
const keep = Number(keepText);
if (!file || !(maxBytes >= 1024) || !(keep >= 1)) {
    process.stderr.write("usage: log-writer.js <file> <maxBytes >= 1024> <keep >= 1>\n");
    process.exit(2);
}
let fd = fs.openSync(file, "a");
let size = fs.fstatSync(fd).size;

function rotate() {
    fs.closeSync(fd);
    for (let i = keep - 1; i >= 1; i--) {
        try {
            fs.renameSync(`${file}.${i}`, `${file}.${i + 1}`);
        } catch {
            // not there yet
        }
    }
    fs.renameSync(file, `${file}.1`);
    fd = fs.openSync(file, "a");
    size = 0;
}

function write(buf) {
    fs.writeSync(fd, buf);
    size += buf.length;
}

process.stdin.on("data", (chunk) => {
    let rest = chunk;
    while (size + rest.length > maxBytes) {
        // the most whole lines that still fit; a line longer than the limit gets a file of its own
        const room = maxBytes - size;
        const nl = room > 0 ? rest.subarray(0, room).lastIndexOf(10) : -1;
        if (nl >= 0) {
            write(rest.subarray(0, nl + 1));
            rest = rest.subarray(nl + 1);
            rotate();
        } else if (size > 0) {
            rotate();
        } else {
            const end = rest.indexOf(10);
            if (end < 0) {
                break;
            }
            write(rest.subarray(0, end + 1));
            rest = rest.subarray(end + 1);
            rotate();
        }
    }
    if (rest.length > 0) {
        write(rest);
    }
});
process.stdin.on("end", () => {
    fs.closeSync(fd);
    process.exit(0);
});
// The process it writes for may be stopped with a signal to its group; the writer is in its
// own group, and ends with its input.
process.on("SIGTERM", () => undefined);
process.on("SIGINT", () => undefined);
