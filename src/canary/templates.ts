// Log lines grouped into templates by the Drain algorithm (He, Zhu, Zheng, Lyu, ICWS 2017), as
// Drain3 does it: a line's tokens walk a fixed-depth tree (its token count, then its first
// tokens, a token with a digit counting as a wildcard) to a leaf of templates; the most similar
// template there (share of equal tokens, wildcards not counted) takes the line if the share
// reaches `similarity`, and the tokens where they differ become "<*>"; else the line starts a
// new template. Variables that are easy to recognise (numbers, hex ids, addresses, UUIDs) are
// masked first, as Drain3's masking does. No npm package does this (the Node ports found are
// unmaintained), so it is ours; it is pure and small.

export interface Template {
    readonly id: number;
    /** Tokens, "<*>" for a variable part. */
    readonly tokens: readonly string[];
    /** Lines that matched it. */
    readonly count: number;
}

export interface MinerOptions {
    /** Share of equal tokens for a line to join a template. @default 0.4 (Drain3's sim_th) */
    readonly similarity?: number;
    /** Tree depth including the root and the length layer. @default 4 (Drain3's depth) */
    readonly depth?: number;
    /** Children a tree node keeps before further tokens go to its "<*>" child. @default 100 */
    readonly maxChildren?: number;
}

const wildcard = "<*>";
const masks: [RegExp, string][] = [
    [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>"],
    [/\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b/g, "<ip>"],
    [/\b0x[0-9a-f]+\b/gi, "<hex>"],
    [/(?<![\w.])[-+]?\d+(?:\.\d+)?(?![\w.])/g, "<num>"],
];

/** The line with easy variables masked, split on whitespace. */
export function tokenize(line: string): string[] {
    let s = line;
    for (const [re, mask] of masks) {
        s = s.replace(re, mask);
    }
    return s.trim().split(/\s+/).filter((t) => t !== "");
}

interface Node {
    readonly children: Map<string, Node>;
    readonly templates: { id: number; tokens: string[]; count: number }[];
}

const node = (): Node => ({ children: new Map(), templates: [] });

export class TemplateMiner {
    private readonly root = node();
    private readonly all: { id: number; tokens: string[]; count: number }[] = [];
    private readonly similarity: number;
    private readonly depth: number;
    private readonly maxChildren: number;

    constructor(options: MinerOptions = {}) {
        this.similarity = options.similarity ?? 0.4;
        this.depth = options.depth ?? 4;
        this.maxChildren = options.maxChildren ?? 100;
    }

    /** The line's template (new or updated) and whether the line started it. */
    add(line: string): { template: Template; isNew: boolean } {
        const tokens = tokenize(line);
        const leaf = this.leafFor(tokens) as Node;
        let best: { id: number; tokens: string[]; count: number } | undefined;
        let bestScore = -1;
        for (const t of leaf.templates) {
            const score = this.score(t.tokens, tokens);
            if (score > bestScore) {
                best = t;
                bestScore = score;
            }
        }
        if (best && bestScore >= this.similarity) {
            best.tokens = best.tokens.map((t, i) => (t === tokens[i] ? t : wildcard));
            best.count++;
            return { template: { ...best, tokens: [...best.tokens] }, isNew: false };
        }
        const created = { id: this.all.length + 1, tokens: [...tokens], count: 1 };
        leaf.templates.push(created);
        this.all.push(created);
        return { template: { ...created, tokens: [...created.tokens] }, isNew: true };
    }

    /** The template a line would match, without learning from it. */
    match(line: string): Template | undefined {
        const tokens = tokenize(line);
        const leaf = this.leafFor(tokens, false);
        const t = leaf?.templates.find((x) => x.tokens.every((tok, i) => tok === wildcard || tok === tokens[i]));
        return t && { ...t, tokens: [...t.tokens] };
    }

    templates(): Template[] {
        return this.all.map((t) => ({ ...t, tokens: [...t.tokens] }));
    }

    private score(template: readonly string[], tokens: readonly string[]): number {
        let same = 0;
        for (let i = 0; i < template.length; i++) {
            if (template[i] !== wildcard && template[i] === tokens[i]) {
                same++;
            }
        }
        return same / template.length;
    }

    /** The leaf for the line's length and first tokens; grown when `grow`, else undefined if absent. */
    private leafFor(tokens: readonly string[], grow = true): Node | undefined {
        const step = (parent: Node, key: string): Node | undefined => {
            let child = parent.children.get(key);
            if (!child && grow) {
                if (parent.children.size < this.maxChildren || key === wildcard) {
                    child = node();
                    parent.children.set(key, child);
                } else {
                    child = parent.children.get(wildcard) ?? node();
                    parent.children.set(wildcard, child);
                }
            }
            return child;
        };
        let current = step(this.root, String(tokens.length));
        for (let d = 0; d < Math.min(this.depth - 2, tokens.length) && current; d++) {
            const token = /\d|^<\w+>$/.test(tokens[d]) ? wildcard : tokens[d];
            current = step(current, token) ?? current.children.get(wildcard);
        }
        return current;
    }
}
