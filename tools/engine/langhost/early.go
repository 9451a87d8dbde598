package main

import (
	"context"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"
)

// invokeAtStart sends the engine's resource monitor an invoke of each function token, without
// arguments, while the program's node is still starting: the engine starts a function's provider
// (its default provider, the one the program's resources use too) to answer it, so the provider
// starts beside the program instead of at the program's first resource of that package.
// Pulumi.yaml names them: `runtime.options.invokeAtStart: zdr:index:startProvider` (a function
// that does nothing; a list separated by spaces for several). Answers and errors are ignored:
// when the provider cannot start, the program's first resource of that package fails as it would.
// Returns at once; the invokes end with ctx.
func invokeAtStart(ctx context.Context, monitorAddress string, tokens []string) {
	if monitorAddress == "" || len(tokens) == 0 {
		return
	}
	conn, err := grpc.NewClient(monitorAddress, grpc.WithTransportCredentials(insecure.NewCredentials()), rpcutil.GrpcChannelOptions())
	if err != nil {
		return
	}
	monitor := pulumirpc.NewResourceMonitorClient(conn)
	done := make(chan struct{}, len(tokens))
	for _, tok := range tokens {
		go func() {
			_, _ = monitor.Invoke(ctx, &pulumirpc.ResourceInvokeRequest{Tok: tok, Args: &structpb.Struct{}, AcceptResources: true})
			done <- struct{}{}
		}()
	}
	go func() {
		for range tokens {
			<-done
		}
		_ = conn.Close()
	}()
}
