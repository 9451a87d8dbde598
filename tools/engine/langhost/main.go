// Command pulumi-language-nodejs is zdr's own Node.js language host for the Pulumi engine.
//
// Why it exists: Pulumi's language host lives in its own Go module
// (github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3), which the Go module
// proxy reachable from our machines does not serve, and get.pulumi.com is unreachable. The
// engine itself (pkg/v3) and the SDK (sdk/v3) are served. So this small host speaks the
// engine's LanguageRuntime protocol and hands the real work to the scripts that ship inside
// the @pulumi/pulumi npm package, exactly as Pulumi's host does:
//   - Run:       node @pulumi/pulumi/cmd/run --monitor ... <entry point>
//   - RunPlugin: node @pulumi/pulumi/cmd/run-policy-pack ... <policy dir> (CrossGuard packs,
//     through the SDK's PolicyProxy) or @pulumi/pulumi/cmd/run-plugin (plugins in Node.js).
//
// What it leaves out: debugger attachment, the synchronous invoke pipes (the SDK falls back
// to asynchronous invokes), bun, program generation and `pulumi convert`. A user with an
// ordinary Pulumi install uses Pulumi's own host instead; see docs/engine.md.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	sdk "github.com/pulumi/pulumi/sdk/v3"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/config"
	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	"github.com/pulumi/pulumi/sdk/v3/go/common/version"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/emptypb"
)

// exitAfterActionableMessage is the exit code @pulumi/pulumi/cmd/run uses when it has already
// printed an error the user can act on; the engine then shows nothing more.
const exitAfterActionableMessage = 32

func main() {
	// The engine passes flags (-tracing=..., -root=...) and, last, its own gRPC address.
	var engineAddress string
	for _, arg := range os.Args[1:] {
		if !strings.HasPrefix(arg, "-") {
			engineAddress = arg
		}
	}

	cancelCtx, cancel := context.WithCancel(context.Background())
	engineArgs, engineArgsKnown := parentArgs()
	debugLogs := engineWantsDebugLogs(os.Args[1:], engineArgs, engineArgsKnown)
	host := &nodeHost{engineAddress: engineAddress, cancelCtx: cancelCtx, cancel: cancel, debugLogs: debugLogs}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, host)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (zdr): could not serve: %v\n", err)
		os.Exit(1)
	}
	// The engine reads the port from our first line of output.
	fmt.Printf("%d\n", handle.Port)
	// An engine killed outright (SIGKILL) never tells its plugins; without this check the host
	// would wait forever. Once the engine stops answering, interrupt the program and exit.
	if engineAddress != "" {
		lostCtx, lost := context.WithCancel(context.Background())
		if err := rpcutil.Healthcheck(lostCtx, engineAddress, 2*time.Second, lost); err == nil {
			go func() {
				<-lostCtx.Done()
				cancel()
				time.Sleep(3 * time.Second)
				os.Exit(0)
			}()
		}
	}
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-language-nodejs (zdr): stopped serving: %v\n", err)
		os.Exit(1)
	}
}

type nodeHost struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	mu            sync.Mutex
	engineAddress string
	cancelCtx     context.Context
	cancel        context.CancelFunc
	// debugLogs: whether the engine shows or logs debug-level messages (debuglogs.go)
	debugLogs bool
}

// runtimeOptions are the `runtime.options` of Pulumi.yaml that matter to a Node.js program.
type runtimeOptions struct {
	typescript bool
	tsconfig   string
	nodeargs   []string
}

func parseOptions(info *pulumirpc.ProgramInfo) runtimeOptions {
	opts := runtimeOptions{typescript: true}
	if info == nil || info.GetOptions() == nil {
		return opts
	}
	m := info.GetOptions().AsMap()
	if v, ok := m["typescript"].(bool); ok {
		opts.typescript = v
	}
	if v, ok := m["tsconfig"].(string); ok {
		opts.tsconfig = v
	}
	if v, ok := m["nodeargs"].(string); ok && strings.TrimSpace(v) != "" {
		opts.nodeargs = strings.Fields(v)
	}
	return opts
}

func (o runtimeOptions) env() []string {
	var env []string
	if o.typescript {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT=true")
	}
	if o.tsconfig != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+o.tsconfig)
	}
	return env
}

func (h *nodeHost) Handshake(
	ctx context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if req.GetEngineAddress() != "" {
		h.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

// GetRequiredPlugins and GetRequiredPackages return nothing: on our machines every provider
// is an ambient plugin on PATH, loaded when a resource first needs it.
func (h *nodeHost) GetRequiredPlugins(
	context.Context, *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	return &pulumirpc.GetRequiredPluginsResponse{}, nil
}

func (h *nodeHost) GetRequiredPackages(
	context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *nodeHost) GetProgramDependencies(
	context.Context, *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	return &pulumirpc.GetProgramDependenciesResponse{}, nil
}

func (h *nodeHost) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: version.Version}, nil
}

func (h *nodeHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("could not run node: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: "node",
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
		Metadata:   map[string]string{"languageHost": "zdr"},
	}, nil
}

func (h *nodeHost) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	h.cancel()
	return &emptypb.Empty{}, nil
}

// InstallDependencies runs `npm ci` (or `npm install` without a lock file) in the program's folder.
func (h *nodeHost) InstallDependencies(
	req *pulumirpc.InstallDependenciesRequest, server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeInstallDependenciesStreams(server, req.GetIsTerminal())
	if err != nil {
		return err
	}
	defer closer.Close()
	dir := req.GetInfo().GetProgramDirectory()
	verb := "install"
	if _, err := os.Stat(dir + "/package-lock.json"); err == nil {
		verb = "ci"
	}
	fmt.Fprintf(stdout, "$ npm %s\n", verb)
	cmd := exec.CommandContext(server.Context(), "npm", verb, "--no-audit", "--no-fund")
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm %s in %s: %w", verb, dir, err)
	}
	return closer.Close()
}

// Run executes the program through @pulumi/pulumi/cmd/run, which connects back to the engine.
func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	info := req.GetInfo()
	if info == nil {
		return &pulumirpc.RunResponse{Error: "this language host needs an engine that sends ProgramInfo (Pulumi >= 3.100)"}, nil
	}
	runPath, err := resolveModule(ctx, info.GetProgramDirectory(), "@pulumi/pulumi/cmd/run")
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}

	cfg := make(map[string]string, len(req.GetConfig()))
	for k, v := range req.GetConfig() {
		key, err := config.ParseKey(k)
		if err != nil {
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("config key %q: %v", k, err)}, nil
		}
		// The SDK reads both forms; this is the one Pulumi's own host writes.
		cfg[key.Namespace()+":config:"+key.Name()] = v
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	secretKeys := req.GetConfigSecretKeys()
	if secretKeys == nil {
		secretKeys = []string{}
	}
	secretJSON, err := json.Marshal(secretKeys)
	if err != nil {
		return nil, err
	}

	opts := parseOptions(info)
	h.mu.Lock()
	engineAddress := h.engineAddress
	h.mu.Unlock()

	args := append([]string{}, opts.nodeargs...)
	args = append(args, runPath)
	flag := func(name, value string) {
		if value != "" {
			args = append(args, "--"+name, value)
		}
	}
	flag("monitor", req.GetMonitorAddress())
	flag("engine", engineAddress)
	flag("organization", req.GetOrganization())
	flag("project", req.GetProject())
	flag("root-directory", info.GetRootDirectory())
	flag("stack", req.GetStack())
	flag("pwd", info.GetProgramDirectory())
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	flag("parallel", strconv.Itoa(int(req.GetParallel())))
	entry := info.GetEntryPoint()
	if entry == "" {
		entry = "."
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	env := append(os.Environ(), "PULUMI_CONFIG="+string(cfgJSON), "PULUMI_CONFIG_SECRET_KEYS="+string(secretJSON))
	env = append(env, opts.env()...)
	if _, set := os.LookupEnv(debugLogsVar); !set {
		state := "off"
		if h.debugLogs {
			state = "on"
		}
		env = append(env, debugLogsVar+"="+state)
	}

	cmdCtx, cmdCancel := context.WithCancel(h.cancelCtx)
	defer cmdCancel()
	context.AfterFunc(ctx, cmdCancel)
	cmd := exec.CommandContext(cmdCtx, "node", args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Dir = info.GetProgramDirectory()
	cmd.Env = env
	// Node may switch its stdio to non-blocking mode; never hand it our own file descriptors.
	cmd.Stdout = struct{ io.Writer }{os.Stdout}
	cmd.Stderr = struct{ io.Writer }{os.Stderr}

	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if exitErr.ExitCode() == exitAfterActionableMessage {
				return &pulumirpc.RunResponse{Bail: true}, nil
			}
			return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exitErr.ExitCode())}, nil
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("could not run node: %v", err)}, nil
	}
	return &pulumirpc.RunResponse{}, nil
}

// RunPlugin runs a plugin written in Node.js; policy packs (kind "analyzer") go through the
// SDK's PolicyProxy, which hands the pack the stack's configuration before it starts.
func (h *nodeHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	ctx := server.Context()
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()

	info := req.GetInfo()
	dir := info.GetProgramDirectory()
	isPolicyPack := req.GetKind() == string(apitype.AnalyzerPlugin)
	module := "@pulumi/pulumi/cmd/run-plugin"
	if isPolicyPack {
		module = "@pulumi/pulumi/cmd/run-policy-pack"
	}
	runPath, err := resolveModule(ctx, dir, module)
	if err != nil {
		return err
	}
	opts := parseOptions(info)
	env := append(append([]string{}, req.GetEnv()...), opts.env()...)
	args := append(append([]string{}, opts.nodeargs...), runPath)
	if isPolicyPack {
		args = append(append(args, req.GetArgs()...), dir)
	} else {
		args = append(append(args, dir), req.GetArgs()...)
	}

	var proxy *sdk.PolicyProxy
	if isPolicyPack {
		proxy, stdout, err = sdk.NewPolicyProxy(ctx, stdout)
		if err != nil {
			return fmt.Errorf("could not start policy pack proxy: %w", err)
		}
		stack, err := proxy.AwaitConfiguration(ctx)
		if err != nil {
			return fmt.Errorf("could not get stack configuration: %w", err)
		}
		if stack != nil {
			add := func(k, v string) {
				if v != "" {
					env = append(env, k+"="+v)
				}
			}
			add("PULUMI_NODEJS_ORGANIZATION", stack.GetOrganization())
			add("PULUMI_NODEJS_PROJECT", stack.GetProject())
			add("PULUMI_NODEJS_STACK", stack.GetStack())
			add("PULUMI_NODEJS_DRY_RUN", strconv.FormatBool(stack.GetDryRun()))
			if stack.GetConfig() != nil {
				cfgJSON, err := json.Marshal(stack.GetConfig())
				if err != nil {
					return err
				}
				add("PULUMI_CONFIG", string(cfgJSON))
			}
		}
	}

	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = dir
	if !isPolicyPack && req.GetPwd() != "" {
		cmd.Dir = req.GetPwd()
	}
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("could not start node for plugin %s: %w", dir, err)
	}
	if proxy != nil {
		if err := proxy.Attach(ctx, cmd); err != nil {
			return fmt.Errorf("could not attach to policy pack %s: %w", dir, err)
		}
	} else if err := cmd.Wait(); err != nil {
		return fmt.Errorf("plugin %s: %w", dir, err)
	}
	return closer.Close()
}
