// zdr:release:Epoch's and zdr:release:BatchCheck's inputs (provider/release/), the program's args derived from them (resources/).

export interface EpochInputs {
    readonly mode: "staged" | "all-at-once";
    /** The release the mode applies to. */
    readonly release: string;
}

export interface BatchCheckInputs {
    /** The batch's servers, in release order. */
    readonly servers: string[];
    /** Server -> why it is not serving the release (its deploy's, membership's or judgement's `failure`); only servers that failed. */
    readonly failures: Record<string, string>;
}
