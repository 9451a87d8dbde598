package main

import (
	"context"
	"net"
	"sort"
	"testing"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
)

// a resource monitor that records the functions invoked on it
type recordingMonitor struct {
	pulumirpc.UnimplementedResourceMonitorServer
	invoked chan string
}

func (m *recordingMonitor) Invoke(_ context.Context, req *pulumirpc.ResourceInvokeRequest) (*pulumirpc.InvokeResponse, error) {
	m.invoked <- req.GetTok()
	return &pulumirpc.InvokeResponse{Return: &structpb.Struct{}}, nil
}

func TestInvokeAtStart(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	monitor := &recordingMonitor{invoked: make(chan string, 4)}
	pulumirpc.RegisterResourceMonitorServer(srv, monitor)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	invokeAtStart(ctx, lis.Addr().String(), []string{"zdr:index:startProvider", "other:index:start"})
	var got []string
	for range 2 {
		select {
		case tok := <-monitor.invoked:
			got = append(got, tok)
		case <-time.After(10 * time.Second):
			t.Fatalf("invoked %v only", got)
		}
	}
	sort.Strings(got)
	if got[0] != "other:index:start" || got[1] != "zdr:index:startProvider" {
		t.Fatalf("invoked %v", got)
	}
}

func TestInvokeAtStartOption(t *testing.T) {
	options, err := structpb.NewStruct(map[string]any{"typescript": false, "invokeAtStart": "zdr:index:startProvider  b:index:c"})
	if err != nil {
		t.Fatal(err)
	}
	opts := parseOptions(&pulumirpc.ProgramInfo{Options: options})
	if len(opts.invokeAtStart) != 2 || opts.invokeAtStart[0] != "zdr:index:startProvider" || opts.invokeAtStart[1] != "b:index:c" || opts.typescript {
		t.Fatalf("parsed %+v", opts)
	}
	if none := parseOptions(&pulumirpc.ProgramInfo{}); len(none.invokeAtStart) != 0 {
		t.Fatalf("without the option: %+v", none)
	}
}
