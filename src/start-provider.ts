// The engine starts a resource provider only when it first needs it: for zdr's provider, at the
// first zdr resource, which the program registers only after it has read its last up, built its
// components and loaded the SQL parser; the provider's node then started and loaded while
// nothing else happened (0.5 s a stage, seconds on a 1,000-server stack under load:
// docs/release-graph.md). startProvider asks the engine for zdr's default provider at once, with
// an invoke of the provider's no-op function (provider/main.ts), so that it starts while the
// program still builds. It is the same default provider the resources register with (same
// package, no version): no URN and nothing in the state changes.
//
// Call it only after the StackReference "last-up" is read: the engine handles one registration
// at a time, and loading the provider holds up the read behind it (measured: 0.13 -> 1.16 s).
// And only after the program's last check of the config: the default provider gets every zdr:*
// key as its config (docs/engine.md), so registering it records the new config in the state,
// and a refused config must change nothing (test/e2e/bad-config.test.ts). For that reason the
// provider is not started any earlier, e.g. by the language host as the program's node starts:
// tried (the provider then started beside the program, within 10 ms of it), and that e2e test
// failed on exactly that.
import * as pulumi from "@pulumi/pulumi";
import { startProviderFunction } from "../contract/tokens";
import { mark } from "./profile";

/** Sends the invoke without waiting; true once the provider answered, false if it failed (the
 * first zdr resource then fails with the provider's own message, as without this). */
export function startProvider(): Promise<boolean> {
    mark("program", "provider asked for");
    return pulumi.runtime.invoke(startProviderFunction, {}).then(
        () => true,
        () => false,
    );
}
