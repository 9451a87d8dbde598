import type * as pulumi from "@pulumi/pulumi";

/**
 * A plain value with any part of it an Input: what the program may pass where the provider
 * receives `T` (the engine resolves every Output and Promise inside before the provider sees it).
 */
export type DeepInput<T> = T extends string | number | boolean | null | undefined
    ? T
    : T extends readonly (infer U)[]
      ? readonly pulumi.Input<DeepInput<U>>[]
      : T extends object
        ? { readonly [K in keyof T]: pulumi.Input<DeepInput<T[K]>> }
        : T;

/**
 * The program-side args of a zdr resource, derived from the inputs its provider takes (declared
 * once, in contract/; the Judgement's and the Migration's in their provider module): every field,
 * and every part of it, may be an Input.
 */
export type ArgsOf<T> = { readonly [K in keyof T]: pulumi.Input<DeepInput<T[K]>> };
