// A small CloudWatch on loopback for what moto does not serve: GetMetricData answers replayed from
// test/support/cloudwatch/*.json (AWS JSON 1.0, the protocol @aws-sdk/client-cloudwatch speaks),
// cut to the request's window and paged (NextToken), and CloudWatch's errors when a test asks for
// them (Throttling, a refused parameter, no answer). Started per test, stopped by the test.
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

interface Answer {
    MetricDataResults: { Id: string; Label: string; Timestamps: number[]; Values: number[]; StatusCode: string }[];
    Messages: unknown[];
}

/** The recorded answers of a fixture, per instance id. */
export function recordedAnswers(fixture: string): Record<string, Answer> {
    return (JSON.parse(fs.readFileSync(path.join(__dirname, "cloudwatch", fixture), "utf8")) as { answers: Record<string, Answer> }).answers;
}

/** What the fake does with the next request: answer from the recording, or fail as CloudWatch does. */
export type FakeMode = "answer" | "throttle" | "refuse" | "hang";

export interface FakeCloudWatch {
    readonly endpoint: string;
    /** Each GetMetricData request's body, as the SDK sent it. */
    readonly requests: Record<string, unknown>[];
    mode: FakeMode;
    stop(): Promise<void>;
}

/** Values a page holds: small, so that a read of a few periods takes several pages. */
const pageSize = 4;

export async function startFakeCloudWatch(answers: Record<string, Answer>): Promise<FakeCloudWatch> {
    const requests: Record<string, unknown>[] = [];
    const open = new Set<http.ServerResponse>();
    const fake: FakeCloudWatch = { endpoint: "", requests, mode: "answer", stop: async () => undefined };
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (d) => (body += d));
        req.on("end", () => {
            const json = (status: number, value: unknown, headers: Record<string, string> = {}) => {
                res.writeHead(status, { "content-type": "application/x-amz-json-1.0", ...headers });
                res.end(JSON.stringify(value));
            };
            if (req.headers["x-amz-target"] !== "GraniteServiceVersion20100801.GetMetricData") {
                return json(400, { __type: "com.amazonaws.cloudwatch#InvalidAction", message: `not served here: ${req.headers["x-amz-target"]}` });
            }
            const r = JSON.parse(body) as { MetricDataQueries: { Id: string; MetricStat: { Metric: { Dimensions?: { Name: string; Value: string }[] } } }[]; StartTime: number; EndTime: number; NextToken?: string };
            requests.push(r);
            if (fake.mode === "hang") {
                open.add(res);
                return;
            }
            if (fake.mode === "throttle") {
                return json(400, { __type: "com.amazonaws.cloudwatch#Throttling", message: "Rate exceeded" }, { "x-amzn-query-error": "Throttling;Sender" });
            }
            if (fake.mode === "refuse") {
                return json(400, { __type: "com.amazonaws.cloudwatch#InvalidParameterValueException", message: "The parameter Period must be a multiple of 60." }, { "x-amzn-query-error": "InvalidParameterValue;Sender" });
            }
            const instance = r.MetricDataQueries[0].MetricStat.Metric.Dimensions?.find((d) => d.Name === "InstanceId")?.Value ?? "";
            const recorded = answers[instance]?.MetricDataResults[0];
            const inWindow = (recorded?.Timestamps ?? []).flatMap((t, i) => (t >= r.StartTime && t < r.EndTime ? [[t, recorded!.Values[i]] as const] : []));
            const from = Number(r.NextToken ?? 0);
            const page = inWindow.slice(from, from + pageSize);
            const more = from + pageSize < inWindow.length;
            json(200, {
                MetricDataResults: [{ Id: r.MetricDataQueries[0].Id, Label: recorded?.Label ?? "CPUUtilization", Timestamps: page.map(([t]) => t), Values: page.map(([, v]) => v), StatusCode: more ? "PartialData" : "Complete" }],
                Messages: [],
                ...(more ? { NextToken: String(from + pageSize) } : {}),
            });
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    return Object.assign(fake, {
        endpoint: `http://127.0.0.1:${port}`,
        stop: async () => {
            for (const res of open) {
                res.destroy();
            }
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    });
}
