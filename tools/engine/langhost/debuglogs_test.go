package main

import "testing"

func TestEngineWantsDebugLogs(t *testing.T) {
	cases := []struct {
		name       string
		host       []string
		engine     []string
		known      bool
		wantDebugs bool
	}{
		{"a plain up", []string{"127.0.0.1:1234"}, []string{"up", "--yes", "--stack", "dev"}, true, false},
		{"the Automation API's up", nil, []string{"up", "--yes", "--skip-preview", "--event-log", "/tmp/e", "--stack", "org/dev", "--non-interactive"}, true, false},
		{"--debug", nil, []string{"up", "--debug", "--yes"}, true, true},
		{"--debug=true", nil, []string{"preview", "--debug=true"}, true, true},
		{"--debug=false", nil, []string{"preview", "--debug=false"}, true, false},
		{"-d", nil, []string{"up", "-d"}, true, true},
		{"-d in a group of short flags", nil, []string{"up", "-yd"}, true, true},
		{"-v=9 to the engine", nil, []string{"up", "-v=9", "--logtostderr"}, true, true},
		{"-v 3 to the engine", nil, []string{"up", "-v", "3"}, true, true},
		{"-v9", nil, []string{"up", "-v9"}, true, true},
		{"--verbose=2 is below the engine's debug level", nil, []string{"up", "--verbose=2"}, true, false},
		{"-v=9 flowed to the host (--logflow)", []string{"--logtostderr", "-v=9", "127.0.0.1:1"}, []string{"up"}, true, true},
		{"after --, the program's own arguments", nil, []string{"up", "--", "-d"}, true, false},
		{"the engine's command line unknown", nil, nil, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := engineWantsDebugLogs(c.host, c.engine, c.known); got != c.wantDebugs {
				t.Fatalf("got %v, want %v", got, c.wantDebugs)
			}
		})
	}
}
