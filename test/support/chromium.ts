// Headless Chromium (Debian's `chromium`, scripts/setup) looking at a static page as a person
// would: it screenshots the page, and reports each SVG chart as the browser drew it: its size,
// its data marks with a non-empty box, and its coloured pixels (the chart drawn into a canvas:
// axes, grid and text are grey or black, data is coloured), so a chart that is only axes counts
// as empty. Every run gets a fresh profile; no network, no GPU.
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const chromiumPath = "/usr/bin/chromium";

const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"];

async function chromium(args: readonly string[]): Promise<string> {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "zdr-chromium-"));
    try {
        const { stdout } = await run(chromiumPath, [...flags, `--user-data-dir=${profile}`, ...args], { timeout: 90_000, maxBuffer: 64 << 20 });
        return stdout;
    } finally {
        fs.rmSync(profile, { recursive: true, force: true });
    }
}

/** Screenshots `htmlFile` at the window size into `png`; returns the PNG's width and height. */
export async function screenshot(htmlFile: string, png: string, width: number, height: number): Promise<{ width: number; height: number }> {
    fs.rmSync(png, { force: true });
    await chromium([`--screenshot=${png}`, `--window-size=${width},${height}`, `file://${htmlFile}`]);
    const head = fs.readFileSync(png).subarray(0, 24);
    if (head.toString("latin1", 1, 4) !== "PNG" || head.toString("latin1", 12, 16) !== "IHDR") {
        throw new Error(`${png} is not a PNG`);
    }
    return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

export interface DrawnChart {
    readonly title: string;
    readonly width: number;
    readonly height: number;
    /** Data marks (vega's role-mark groups) by type, counting the elements drawn with a non-empty box. */
    readonly marks: Readonly<Record<string, number>>;
    /** Pixels of the chart drawn in a canvas whose colour is saturated (data, not axes or text). */
    readonly colouredPixels: number;
}

/** Measured in the page after it loaded; written to the body's data-zdr-charts for --dump-dom. */
const measure = `<script>
(async () => {
    const charts = [];
    for (const svg of document.querySelectorAll("svg")) {
        const box = svg.getBoundingClientRect();
        const marks = {};
        for (const g of svg.querySelectorAll("g.role-mark")) {
            const type = [...g.classList].find((c) => c.startsWith("mark-")) || "mark-?";
            const drawn = [...g.children].filter((e) => { const b = e.getBBox(); return b.width > 0 || b.height > 0; }).length;
            marks[type] = (marks[type] || 0) + drawn;
        }
        const title = [...svg.querySelectorAll("g.role-title-text text")].map((t) => t.textContent).join(" ");
        const image = new Image();
        const xml = new XMLSerializer().serializeToString(svg);
        image.src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(xml);
        await image.decode();
        const canvas = document.createElement("canvas");
        canvas.width = Math.ceil(box.width);
        canvas.height = Math.ceil(box.height);
        const ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
        const px = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        let coloured = 0;
        for (let i = 0; i < px.length; i += 4) {
            if (Math.max(px[i], px[i + 1], px[i + 2]) - Math.min(px[i], px[i + 1], px[i + 2]) > 60) coloured++;
        }
        charts.push({ title, width: box.width, height: box.height, marks, colouredPixels: coloured });
    }
    document.body.setAttribute("data-zdr-charts", JSON.stringify(charts));
})().catch((e) => document.body.setAttribute("data-zdr-charts", JSON.stringify({ error: String(e) })));
</script>`;

/** The page's charts as Chromium drew them (a copy of the page with a measuring script appended). */
export async function drawnCharts(htmlFile: string, width = 1300): Promise<DrawnChart[]> {
    const probe = htmlFile.replace(/\.html$/, "") + ".probe.html";
    fs.writeFileSync(probe, fs.readFileSync(htmlFile, "utf8").replace(/<\/body>/, `${measure}</body>`));
    try {
        const dom = await chromium(["--dump-dom", "--virtual-time-budget=10000", `--window-size=${width},1000`, `file://${probe}`]);
        const m = /data-zdr-charts="([^"]*)"/.exec(dom);
        if (!m) {
            throw new Error(`Chromium's DOM of ${htmlFile} has no measurement (the script did not finish)`);
        }
        const decoded = m[1].replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
        const result = JSON.parse(decoded) as DrawnChart[] | { error: string };
        if (!Array.isArray(result)) {
            throw new Error(`measuring ${htmlFile} in Chromium failed: ${result.error}`);
        }
        return result;
    } finally {
        fs.rmSync(probe, { force: true });
    }
}
