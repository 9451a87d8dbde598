// Which of an app's log lines report an error (issue 15, item 3). A line's own level decides when
// it has one, on the syslog scale (0 emergency .. 3 error, 4 warning .. 7 debug; errors are 0-3):
// - a JSON object's level field: `level`/`lvl`/`severity`/`levelname`/`log.level`/`@l`, a name
//   (zap's "error", slog's "ERROR", "dpanic") or a number (pino and bunyan: 50 error, 60 fatal;
//   0-7 read as syslog), or journald's `PRIORITY` (`journalctl -o json`; app-log.ts reads a
//   service's output line at the default PRIORITY 6 by its MESSAGE instead);
// - a syslog `<PRI>` prefix (its severity is PRI mod 8);
// - logfmt `level=error` / `lvl=` / `severity=` (Go slog's text handler, logrus);
// - a level word among the first tokens: upper case (`ERROR`, `[WARN]`, zap's console, Rails'
//   `E, [...] ERROR -- :`, Java's `SEVERE`), Python logging's `ERROR:root:...`, or lower case
//   with a colon or brackets (`error: ...`, `[error]`).
// Only a line with no level at all is matched against the keyword pattern (an error word:
// `ValueError:`, `panic:`, `Traceback`, `failed`), or the app's own (`appLogErrorPattern`).
// So `WARN retry failed, trying again` is no error and `Traceback (most recent call last):` is.

/** The default for lines without a level: an error or exception word, or one of the words that report a failure. */
export const defaultErrorPattern = /(?:error|exception)\b|\b(?:err|fatal|panic|traceback|critical|failed|failure)\b/i;

const names: Readonly<Record<string, number>> = {
    emerg: 0, emergency: 0, alert: 1, panic: 0, fatal: 2, crit: 2, critical: 2, dpanic: 2, severe: 2,
    err: 3, error: 3, eror: 3, warn: 4, warning: 4, notice: 5, info: 6, information: 6, informational: 6, debug: 7, trace: 7, verbose: 7, fine: 7, finer: 7, finest: 7,
};

/** The syslog severity of a level's name or number, undefined when it is neither. */
export function severityOf(level: unknown): number | undefined {
    if (typeof level === "number" || (typeof level === "string" && /^\d+$/.test(level))) {
        const n = Number(level);
        // pino and bunyan: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal
        return n <= 7 ? n : n >= 60 ? 2 : n >= 50 ? 3 : n >= 40 ? 4 : n >= 30 ? 6 : 7;
    }
    if (typeof level !== "string") {
        return undefined;
    }
    // slog's "ERROR+2", log4j's "ERROR ", Serilog's "Error"
    const m = /^\s*([A-Za-z]+)(?:[+-]\d+)?\s*$/.exec(level);
    return m ? names[m[1].toLowerCase()] : undefined;
}

/** Fields that state a line's level (JSON, logfmt). */
export const levelKeys = ["level", "lvl", "severity", "levelname", "log.level", "@l", "loglevel", "log_level"] as const;

/** A JSON object's level, read from its level field, or journald's PRIORITY. */
function jsonSeverity(fields: Record<string, unknown>): number | undefined {
    if (fields.PRIORITY !== undefined) {
        return severityOf(String(fields.PRIORITY));
    }
    for (const k of levelKeys) {
        if (fields[k] !== undefined) {
            return severityOf(fields[k]);
        }
    }
    const log = fields.log;
    if (log !== null && typeof log === "object" && "level" in log) {
        return severityOf((log as { level: unknown }).level);
    }
    return undefined;
}

const upperLevel = /^\[?(EMERG|EMERGENCY|ALERT|CRIT|CRITICAL|FATAL|PANIC|DPANIC|SEVERE|ERR|ERROR|WARN|WARNING|NOTICE|INFO|DEBUG|TRACE)\]?[:,]?$/;
const pythonLevel = /^(CRITICAL|FATAL|ERROR|WARNING|WARN|INFO|DEBUG|NOTSET):/;
const lowerLevel = /^(?:\[(emerg|alert|crit|critical|fatal|panic|error|err|warn|warning|notice|info|debug|trace)\]:?|(emerg|alert|crit|critical|fatal|panic|error|err|warn|warning|notice|info|debug|trace):)$/i;
const logfmtLevel = /(?:^|\s)(?:level|lvl|severity)=("?)([A-Za-z]+(?:[+-]\d+)?|\d+)\1(?=\s|$)/;
/** Tokens looked at for a level word: a timestamp, a pid, a logger name or two come first. */
const levelTokens = 6;

/** The line's own severity (syslog scale), if it states a level. `fields` is the line parsed as a JSON object, when it is one. */
export function lineSeverity(line: string, fields?: Record<string, unknown>): number | undefined {
    if (fields) {
        return jsonSeverity(fields);
    }
    const pri = /^<(\d{1,3})>/.exec(line);
    if (pri && Number(pri[1]) < 192) {
        return Number(pri[1]) % 8;
    }
    const kv = logfmtLevel.exec(line);
    if (kv) {
        const s = severityOf(kv[2]);
        if (s !== undefined) {
            return s;
        }
    }
    const tokens = line.trim().split(/\s+/, levelTokens);
    for (const t of tokens) {
        const m = upperLevel.exec(t) ?? pythonLevel.exec(t) ?? lowerLevel.exec(t);
        if (m) {
            return names[(m[1] ?? m[2]).toLowerCase()] ?? undefined;
        }
    }
    return undefined;
}

/**
 * Compiles the app's pattern for lines without a level (`appLogErrorPattern`), case-insensitive;
 * undefined for the default. Throws a message naming the key when it is no regular expression.
 */
export function errorPattern(source: string | undefined, key: string): RegExp {
    if (source === undefined || source === "") {
        return defaultErrorPattern;
    }
    try {
        const re = new RegExp(source, "i");
        if (re.test("")) {
            throw new Error("it matches every line (it matches the empty line)");
        }
        return re;
    } catch (e) {
        throw new Error(`${key}: must be a regular expression (JavaScript syntax, matched case-insensitively) that matches the error lines of the app's log that state no level; ${JSON.stringify(source)} is not: ${(e as Error).message}`);
    }
}
