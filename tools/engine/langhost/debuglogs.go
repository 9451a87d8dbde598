package main

import (
	"os"
	"strconv"
	"strings"
)

// The program's SDK sends a debug-level log message to the engine for every resource it
// registers, one round trip after the other; the engine shows them only with `--debug`, and
// writes them to its own log from verbosity 3 up (pkg/engine/eventsink.go: logging.V(3)), else
// drops them. debugLogsVar tells the program (src/sdk-debug-log.js) whether to send them.
const debugLogsVar = "ZDR_SDK_DEBUG_LOGS"

// engineWantsDebugLogs decides from the command line of the engine that started this host (the
// pulumi CLI: `pulumi up --debug`, `-d`, `-v=9`) and from this host's own flags (the engine passes
// `-v=N` to its plugins with --logflow). It errs on the side of sending: a command line it cannot
// read, or any short-flag group with a d in it, keeps the messages.
func engineWantsDebugLogs(hostArgs []string, engineArgs []string, engineArgsKnown bool) bool {
	if verbosity(hostArgs) >= 3 {
		return true
	}
	if !engineArgsKnown {
		return true
	}
	if verbosity(engineArgs) >= 3 {
		return true
	}
	for _, a := range engineArgs {
		if a == "--" {
			break
		}
		switch {
		case a == "--debug", strings.HasPrefix(a, "--debug="):
			if v, err := strconv.ParseBool(strings.TrimPrefix(a, "--debug=")); a == "--debug" || err != nil || v {
				return true
			}
		case len(a) > 1 && a[0] == '-' && a[1] != '-' && !strings.Contains(a, "="):
			// a group of short flags, e.g. -d or -yd
			if strings.ContainsRune(a[1:], 'd') {
				return true
			}
		}
	}
	return false
}

// verbosity is the largest -v / --verbose level among args (-v=9, -v 9, -v9, --verbose=9, --verbose 9).
func verbosity(args []string) int {
	level := 0
	for i, a := range args {
		var value string
		switch {
		case a == "-v" || a == "--verbose" || a == "-verbose":
			if i+1 < len(args) {
				value = args[i+1]
			}
		case strings.HasPrefix(a, "-v="), strings.HasPrefix(a, "--verbose="), strings.HasPrefix(a, "-verbose="):
			value = a[strings.Index(a, "=")+1:]
		case strings.HasPrefix(a, "-v") && len(a) > 2 && a[2] >= '0' && a[2] <= '9':
			value = a[2:]
		default:
			continue
		}
		if n, err := strconv.Atoi(value); err == nil && n > level {
			level = n
		}
	}
	return level
}

// parentArgs is the command line of this process's parent (Linux /proc); false when unreadable.
func parentArgs() ([]string, bool) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(os.Getppid()) + "/cmdline")
	if err != nil || len(raw) == 0 {
		return nil, false
	}
	args := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
	return args[1:], true
}
