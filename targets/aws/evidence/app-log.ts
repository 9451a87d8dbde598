// The app servers' own log lines on AWS (issue 15, item 4): CloudWatch Logs, a log group for the
// app (`appLogGroup`) and a stream per instance (`appLogStream`, the CloudWatch agent's default
// is the instance id). Read with FilterLogEvents over the judged servers' streams and the window,
// page by page (nextToken), bounded in pages and events: a window with more is an error that says
// so, never a silent cut. Each event's own timestamp stamps its lines (an event may hold several
// lines: the agent's multi-line setting), so the judge can put a line with the request that was
// being served when it was written, as on the other targets.
import { CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";

export interface CloudWatchLogLocation {
    readonly group: string;
    /** Server name -> its log stream. */
    readonly streams: Readonly<Record<string, string>>;
}

export interface AppLogEvent {
    readonly server: string;
    /** The event's timestamp (epoch ms). */
    readonly t: number;
    readonly message: string;
}

export interface CloudWatchLimits {
    /** Events one page asks for (FilterLogEvents allows 10,000). */
    readonly pageSize: number;
    /** Most events read for one window. */
    readonly maxEvents: number;
    /** Most pages read for one window (a page may hold fewer events than asked, even none). */
    readonly maxPages: number;
}

export const defaultCloudWatchLimits: CloudWatchLimits = { pageSize: 10_000, maxEvents: 500_000, maxPages: 2_000 };

/** FilterLogEvents takes at most this many stream names a call. */
const streamsPerCall = 100;

/** The events of the servers' streams in [from, to] (epoch ms), in time order (kept in memory: tests and small windows). */
export async function readCloudWatchLogs(client: CloudWatchLogsClient, where: CloudWatchLogLocation, from: number, to: number, limits: CloudWatchLimits = defaultCloudWatchLimits): Promise<AppLogEvent[]> {
    const out: AppLogEvent[] = [];
    await forEachCloudWatchEvent(client, where, from, to, (e) => out.push(e), limits);
    return out.sort((a, b) => a.t - b.t);
}

/**
 * Calls `each` with every event of the servers' streams in [from, to], page by page (in time
 * order within a page of up to 100 streams; memory is one page); returns how many.
 */
export async function forEachCloudWatchEvent(client: CloudWatchLogsClient, where: CloudWatchLogLocation, from: number, to: number, each: (e: AppLogEvent) => void, limits: CloudWatchLimits = defaultCloudWatchLimits): Promise<number> {
    const serverOf = new Map(Object.entries(where.streams).map(([server, stream]) => [stream, server]));
    const names = [...serverOf.keys()];
    let events = 0;
    let pages = 0;
    for (let i = 0; i < names.length; i += streamsPerCall) {
        let token: string | undefined;
        do {
            if (++pages > limits.maxPages || events > limits.maxEvents) {
                throw new Error(`CloudWatch Logs group ${where.group} (zdr:appLogGroup): more than ${limits.maxEvents} events or ${limits.maxPages} pages in the window ${new Date(from).toISOString()} to ${new Date(to).toISOString()}; log less at info level, or set a shorter bakeSeconds`);
            }
            const page = await client.send(new FilterLogEventsCommand({
                logGroupName: where.group,
                logStreamNames: names.slice(i, i + streamsPerCall),
                startTime: from,
                endTime: to,
                limit: limits.pageSize,
                nextToken: token,
            }));
            for (const e of page.events ?? []) {
                const server = e.logStreamName ? serverOf.get(e.logStreamName) : undefined;
                if (server && e.timestamp !== undefined && e.message !== undefined) {
                    events++;
                    each({ server, t: e.timestamp, message: e.message });
                }
            }
            // the same token twice ends the read (the API's way of saying it has no more)
            token = page.nextToken && page.nextToken !== token ? page.nextToken : undefined;
        } while (token);
    }
    return events;
}

/** An event's lines (the agent joins a multi-line message with newlines). */
export function eventLines(message: string): string[] {
    return message.split(/\r?\n/).filter((l) => l.trim() !== "");
}
