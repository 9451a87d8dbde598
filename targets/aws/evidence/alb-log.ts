// The canary's evidence on AWS: the Application Load Balancer's access logs, one line per
// request, delivered to S3 as gzip files every five minutes. They carry what HAProxy's log
// carries on the local default: the target that served the request, its status and the
// target's processing time. Field order: the ALB access log format (space-separated, quoted
// fields with spaces). The ALB does not log response headers, so an error's signature is its
// status and request line without the query string.
import { gunzipSync } from "node:zlib";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import type { LoggedRequest } from "../../../src/canary/evidence";

/** Splits one log line into fields; "quoted fields" may hold spaces. */
export function albFields(line: string): string[] {
    const fields: string[] = [];
    const re = /"((?:[^"\\]|\\.)*)"|(\S+)/g;
    for (let m = re.exec(line); m !== null; m = re.exec(line)) {
        fields.push(m[1] ?? m[2]);
    }
    return fields;
}

/**
 * Requests of an access-log file. `server` is the target "ip:port" (field 5); entries the ALB
 * answered itself (target "-") are left out, as HAProxy's <NOSRV> lines are.
 */
export function parseAlbLog(text: string): LoggedRequest[] {
    const out: LoggedRequest[] = [];
    for (const line of text.split("\n")) {
        const f = albFields(line.trim());
        if (f.length < 13 || f[4] === "-") {
            continue;
        }
        const t = Date.parse(f[1]);
        const targetSeconds = Number(f[6]);
        const status = f[9] === "-" ? 0 : Number(f[9]);
        if (Number.isNaN(t) || Number.isNaN(status)) {
            continue;
        }
        const failed = status < 200 || status >= 300;
        const request = f[12].replace(/\?\S*/, "").replace(/ HTTP\/[\d.]+$/, "").replace(/:\/\/[^/]+/, "://");
        out.push({
            t,
            server: f[4],
            status,
            // -1 when the target never answered
            latencyMs: targetSeconds >= 0 ? Math.round(targetSeconds * 1000) : 0,
            ...(failed ? { error: `${status} ${request}` } : {}),
        });
    }
    return out;
}

export interface AlbLogLocation {
    readonly bucket: string;
    /** The key prefix up to and including ".../elasticloadbalancing/<region>/". */
    readonly prefix: string;
}

const day = (t: number) => new Date(t).toISOString().slice(0, 10).replace(/-/g, "/");

/** Requests logged in [from, to], read from every log file of the days the window touches (bounded). */
export async function readAlbLogs(s3: S3Client, where: AlbLogLocation, from: number, to: number, maxFiles = 2000): Promise<LoggedRequest[]> {
    const days = [...new Set([day(from), day(to)])];
    const out: LoggedRequest[] = [];
    let files = 0;
    for (const d of days) {
        let token: string | undefined;
        do {
            const page = await s3.send(new ListObjectsV2Command({ Bucket: where.bucket, Prefix: `${where.prefix}${d}/`, ContinuationToken: token }));
            for (const o of page.Contents ?? []) {
                // A file holds the five minutes before its name's timestamp; skip files that end before the window.
                if (o.LastModified && o.LastModified.getTime() < from || ++files > maxFiles) {
                    continue;
                }
                const body = await s3.send(new GetObjectCommand({ Bucket: where.bucket, Key: o.Key }));
                const bytes = Buffer.from(await (body.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray());
                const text = (o.Key ?? "").endsWith(".gz") ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
                out.push(...parseAlbLog(text).filter((r) => r.t >= from && r.t <= to));
            }
            token = page.IsTruncated ? page.NextContinuationToken : undefined;
        } while (token && files <= maxFiles);
    }
    if (files > maxFiles) {
        throw new Error(`ALB access logs under s3://${where.bucket}/${where.prefix}: more than ${maxFiles} files in the window; narrow the prefix`);
    }
    return out.sort((a, b) => a.t - b.t);
}
