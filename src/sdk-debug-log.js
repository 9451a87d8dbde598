// @ts-check
// Loaded first by program.js. The SDK sends a debug-level log message to the engine for every
// resource it registers (`log.debug` in @pulumi/pulumi/runtime/resource.js: "Registering
// resource", "RegisterResource RPC prepared", "... finished"), one gRPC round trip after the other
// (log/index.js chains them so they arrive in order). The engine shows them only when asked
// (`pulumi up --debug`, or its own log at `-v=3` and above); otherwise it drops them, and on a
// 1,000-server stack the chain of 9,000 round trips drains for seconds after the last
// registration (docs/release-graph.md, the preview profile).
//
// zdr's language host (tools/engine/langhost) tells the program whether the engine asked for
// them: ZDR_SDK_DEBUG_LOGS=off when it did not. Only then does this module keep the SDK's debug
// messages in the program (as the SDK does when it has no engine). Any other value, or none
// (Pulumi's own language host), leaves the SDK as it is.
const sdkLog = require("@pulumi/pulumi/log");

/** Whether the SDK's debug messages stay in the program, from the language host's variable. */
function debugLogsOff(env = process.env) {
    return env.ZDR_SDK_DEBUG_LOGS === "off";
}

if (debugLogsOff()) {
    // the SDK's modules call it as `log.debug(...)` on this same module object
    sdkLog.debug = () => Promise.resolve();
}

module.exports = { debugLogsOff };
