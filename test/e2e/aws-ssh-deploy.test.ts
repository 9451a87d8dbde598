// The AWS target's deploy on zdr's SSH path, without AWS: moto's EC2 creates the instances in a
// subnet that is the /24 of this file's network-namespace hosts, so each instance's private
// address is a host's; the test plays cloud-init: it reads each instance's user data back from
// moto (DescribeInstanceAttribute userData), takes the host key from its `ssh_keys` and starts
// that host's sshd with it. Then zdr:hosts:Deploy (the provider code the AWS target registers,
// driven directly as the other aws e2e files do: the @pulumi/aws plugin cannot run here) deploys
// over SSH with the key zdr made pinned under the instance's id, and refuses a host presenting
// another key, naming both fingerprints, before anything runs there. The team's hooks run on the
// instance over that same connection from zdr:aws:TargetHealth, around its registration in
// moto's target group.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { CreateSubnetCommand, CreateVpcCommand, DescribeInstanceAttributeCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { CreateTargetGroupCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { targetHealthProvider } from "../../targets/aws/provider/target-health";
import type { TargetHealthInputs, TargetHealthOutputs } from "../../contract/target-health";
import type { MemberHooks } from "../../contract/member";
import { targetState } from "../../targets/aws/api/targets";
import { generateHostKey, hostKeyProvider } from "../../provider/hosts/host-key";
import type { HostKeyOutputs } from "../../contract/host-key";
import { hostsDeployProvider } from "../../targets/hosts/provider/deploy";
import type { HostsDeployInputs } from "../../contract/hosts-deploy";
import { hostKeyOfUserData, hostKeyUserData } from "../../targets/aws/api/user-data";
import { hostCommand } from "../../targets/hosts/config";
import { closeAllSsh } from "../../src/ssh/client";
import { Moto, startMoto } from "../support/moto";
import { createNetnsHosts, NetnsHosts } from "../support/netns-hosts";

const servers = ["web-1", "web-2"];
const appPort = 9101;

describe("the AWS target's deploy over zdr's SSH, on moto's instances played by namespace hosts", function () {
    this.timeout(180_000);
    let fleet: NetnsHosts;
    let moto: Moto;
    let elb: ElasticLoadBalancingV2Client;
    let targetGroupArn: string;
    const instances: Record<string, { id: string; privateIp: string; hostKey: HostKeyOutputs }> = {};

    /** The deploy's inputs as AwsTarget.deploy makes them for an instance zdr created. */
    const deployInputs = (server: string, version: string): HostsDeployInputs => {
        const i = instances[server];
        const run = path.join(fleet.dir, "run");
        return {
            ssh: {
                host: i.privateIp,
                user: "root",
                privateKey: fleet.privateKey,
                knownHosts: [`${i.id} ${i.hostKey.publicKey.split(" ").slice(0, 2).join(" ")}`],
                hostKeyAlias: i.id,
                label: server,
                connectTimeoutMs: 3000,
            },
            server,
            version,
            deployCommand: hostCommand(`${run}/deploy.sh start {server} {version}`, server, version),
            stopCommand: hostCommand(`${run}/deploy.sh stop {server} {version}`, server, version),
            commandTimeoutMs: 20_000,
            health: { address: "127.0.0.1", port: appPort, path: "/health", timeoutMs: 10_000, intervalMs: 100 },
            triggers: [version, "epoch", i.id],
        };
    };
    /** What the app on the host answers at / (its version), asked from inside its namespace. */
    const served = (server: string): string =>
        fleet.exec(server, [process.execPath, "-e", `fetch("http://127.0.0.1:${appPort}/").then((r) => r.text()).then((t) => process.stdout.write(t), () => process.stdout.write("no answer"))`]).trim();
    const deploysOn = (server: string): string[] => {
        const f = path.join(fleet.dir, "run", server, "deploys");
        return fs.existsSync(f) ? fs.readFileSync(f, "utf8").trim().split("\n") : [];
    };

    before(async () => {
        // moto gives a subnet's instances .4, .5, ... in launch order: the hosts take those addresses
        fleet = await createNetnsHosts(servers, { firstHost: 4 });
        moto = await startMoto();
        const ec2 = new EC2Client(moto.clientConfig);
        const vpc = await ec2.send(new CreateVpcCommand({ CidrBlock: fleet.subnet }));
        elb = new ElasticLoadBalancingV2Client(moto.clientConfig);
        const tg = await elb.send(new CreateTargetGroupCommand({ Name: "webshop", Protocol: "HTTP", Port: appPort, VpcId: vpc.Vpc?.VpcId, HealthCheckPath: "/health" }));
        targetGroupArn = tg.TargetGroups?.[0].TargetGroupArn as string;
        const subnet = await ec2.send(new CreateSubnetCommand({ VpcId: vpc.Vpc?.VpcId, CidrBlock: fleet.subnet }));
        for (const server of servers) {
            // what the program registers per instance: zdr:hosts:HostKey, then the instance with its user data
            const key = await hostKeyProvider.create(`urn:pulumi:awsssh::zdr::zdr:hosts:HostKey::aws-${server}-host-key`, { server });
            const hostKey = key.outs as HostKeyOutputs;
            const run = await ec2.send(new RunInstancesCommand({
                ImageId: "ami-12c6146b",
                InstanceType: "t3.micro",
                MinCount: 1,
                MaxCount: 1,
                SubnetId: subnet.Subnet?.SubnetId,
                UserData: Buffer.from(hostKeyUserData(hostKey)).toString("base64"),
            }));
            const instance = run.Instances?.[0];
            instances[server] = { id: instance?.InstanceId as string, privateIp: instance?.PrivateIpAddress as string, hostKey };
        }
        assert.deepEqual(servers.map((s) => instances[s].privateIp), servers.map((s) => fleet.host(s).address), "moto's instances have the hosts' addresses");

        // cloud-init's part: each instance's sshd gets the host key its user data names
        for (const server of servers) {
            const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: instances[server].id, Attribute: "userData" }));
            const userData = Buffer.from(attr.UserData?.Value ?? "", "base64").toString("utf8");
            const key = hostKeyOfUserData(userData);
            assert.ok(key, `${server}'s user data names a host key`);
            await fleet.installHostKey(server, key.privateKey);
            assert.equal(fleet.host(server).fingerprint, instances[server].hostKey.fingerprint, `${server}'s sshd presents the key zdr made`);
        }

        // the team's deploy and stop commands: a small app on 127.0.0.1 of the host
        const run = path.join(fleet.dir, "run");
        fs.mkdirSync(run, { recursive: true });
        fs.writeFileSync(path.join(run, "app.js"), [
            "const [port, version] = process.argv.slice(2);",
            "require('node:http').createServer((q, r) => { r.writeHead(q.url === '/' || q.url === '/health' ? 200 : 404); r.end(version + '\\n'); }).listen(Number(port), '127.0.0.1');",
            "",
        ].join("\n"));
        fs.writeFileSync(path.join(run, "deploy.sh"), [
            "#!/bin/sh",
            "set -eu",
            `dir=${run}/$2`,
            "mkdir -p \"$dir\"",
            "stop() { if [ -f \"$dir/pid\" ]; then kill \"$(cat \"$dir/pid\")\" 2>/dev/null || true; rm -f \"$dir/pid\"; sleep 0.2; fi; }",
            "case $1 in",
            `  start) stop; echo "$3" >> "$dir/deploys"; setsid nohup ${process.execPath} ${run}/app.js ${appPort} "$3" > "$dir/log" 2>&1 < /dev/null & echo $! > "$dir/pid" ;;`,
            "  stop) stop ;;",
            "esac",
            "",
        ].join("\n"), { mode: 0o755 });
    });

    after(async () => {
        await closeAllSsh();
        await moto?.stop();
        await fleet?.close();
    });

    it("deploys on each instance over SSH, the host key zdr made pinned under the instance's id", async () => {
        for (const server of servers) {
            const created = await hostsDeployProvider.create("urn:pulumi:awsssh::zdr::zdr:hosts:Deploy::webshop-deploy", deployInputs(server, "v1"));
            assert.match(created.id, new RegExp(`^${server}@${instances[server].privateIp.replace(/\./g, "\\.")}#\\d+$`));
            assert.equal(served(server), "v1");
            assert.deepEqual(deploysOn(server), ["v1"]);
        }
    });

    it("a new key or known hosts for the deploy update it in place: no redeploy", async () => {
        const olds = deployInputs("web-1", "v1");
        const news = { ...olds, ssh: { ...olds.ssh, knownHosts: [...olds.ssh.knownHosts, `${instances["web-1"].id} ${generateHostKey("web-1").publicKey}`], privateKey: `${fleet.privateKey}\n` } };
        assert.deepEqual(await hostsDeployProvider.diff("web-1", "urn", olds, news), { changes: true, replaces: [], deleteBeforeReplace: true });
        await hostsDeployProvider.update("web-1", "urn", olds, news);
        assert.deepEqual(deploysOn("web-1"), ["v1"], "nothing ran on the host");
    });

    it("refuses an instance that presents another host key, naming both fingerprints, before anything runs there (recorded as the deploy's failure)", async () => {
        const other = generateHostKey("impostor");
        await fleet.installHostKey("web-2", other.privateKey);
        const pinned = instances["web-2"].hostKey.fingerprint;
        const created = await hostsDeployProvider.create("urn:pulumi:awsssh::zdr::zdr:hosts:Deploy::webshop-deploy", deployInputs("web-2", "v2"));
        const message = (created.outs as { failure?: string }).failure ?? "";
        assert.match(message, new RegExp(`host key of web-2 \\(${fleet.host("web-2").address.replace(/\./g, "\\.")}:22\\) does not match zdr:knownHosts`));
        assert.ok(message.includes(`it presented ssh-ed25519 ${other.fingerprint}`), message);
        assert.ok(message.includes(`lists ssh-ed25519 ${pinned} for ${instances["web-2"].id}`), message);
        assert.ok(!message.includes(fleet.privateKey.split("\n")[1]), "no line of the deploy key in the message");
        assert.deepEqual(deploysOn("web-2"), ["v1"], "the deploy command did not run");
        assert.equal(served("web-2"), "v1", "the version running is untouched");
    });

    /** The membership's wait as AwsTarget.membership makes it, with hooks run over the deploy's connection. */
    const membership = (server: string, hooks: Pick<MemberHooks, "beforeAllowTraffic" | "afterAllowTraffic">): TargetHealthInputs => ({
        targetGroupArn,
        targetId: instances[server].id,
        port: appPort,
        region: moto.clientConfig.region,
        endpoint: moto.endpoint,
        healthTimeoutSeconds: 5,
        drainTimeoutSeconds: 5,
        server,
        hooks: {
            ...hooks,
            timeoutMs: 10_000,
            cwd: "",
            env: { ZDR_SERVER: server, ZDR_VERSION: "v1", ZDR_PORT: String(appPort) },
            ssh: deployInputs(server, "v1").ssh,
            mask: ["unit-db-password-9f1", fleet.privateKey],
        },
    });
    const healthUrn = "urn:pulumi:awsssh::zdr::zdr:aws:TargetHealth::webshop-member-health";
    const sh = (script: string) => ["sh", "-c", script];

    it("a failing beforeAllowTraffic on the instance keeps it out of the target group, its output (secrets masked) in the recorded failure", async () => {
        const hooks = { beforeAllowTraffic: sh("echo smoke on $(ip -4 -o addr show dev eth0 | awk '{print $4}'): /items answered 500, db password unit-db-password-9f1; exit 1") };
        // recorded, not thrown: the membership is kept in the state, out, with the hook's result; the batch's check fails the up
        const created = await targetHealthProvider.create(healthUrn, membership("web-1", hooks));
        const outs = created.outs as TargetHealthOutputs;
        assert.equal(created.id, `${targetGroupArn}/${instances["web-1"].id}`);
        assert.deepEqual([outs.inLoadBalancer, outs.hookResults?.map((h) => [h.hook, h.exitCode])], [false, [["beforeAllowTraffic", 1]]]);
        // (the hooks' own inputs hold it as their mask: a secret output of the resource)
        assert.ok(!JSON.stringify([outs.hookResults, outs.failure]).includes("unit-db-password-9f1"), "masked in the state too");
        assert.match(outs.failure ?? "", new RegExp(`^beforeAllowTraffic of web-1 \\(.*\\) exited with 1; its output:\nsmoke on ${fleet.host("web-1").address.replace(/\./g, "\\.")}/24: /items answered 500, db password \\[secret\\]\nweb-1 stays out of the load balancer$`));
        assert.equal(await targetState(elb, { targetGroupArn, targetId: instances["web-1"].id, port: appPort }), "unused (Target.NotRegistered)", "never registered");
    });

    it("runs both hooks on the instance around the registration and records their results", async () => {
        const hooks = { beforeAllowTraffic: sh("echo before on $ZDR_SERVER $(ip -4 -o addr show dev eth0 | awk '{print $4}')"), afterAllowTraffic: sh("echo after on $ZDR_SERVER") };
        const created = await targetHealthProvider.create(healthUrn, membership("web-1", hooks));
        const outs = created.outs as TargetHealthOutputs;
        assert.deepEqual(outs.hookResults?.map((h) => [h.hook, h.exitCode, h.outputTail]), [
            ["beforeAllowTraffic", 0, `before on web-1 ${fleet.host("web-1").address}/24\n`],
            ["afterAllowTraffic", 0, "after on web-1\n"],
        ]);
        assert.equal(await targetState(elb, { targetGroupArn, targetId: instances["web-1"].id, port: appPort }), "healthy");
        await targetHealthProvider.delete(created.id, healthUrn, outs);
        assert.equal(await targetState(elb, { targetGroupArn, targetId: instances["web-1"].id, port: appPort }), "unused (Target.NotRegistered)");
    });

    it("a failing afterAllowTraffic drains the instance out of the target group again", async () => {
        const hooks = { afterAllowTraffic: sh("echo orders page empty >&2; exit 2") };
        const created = await targetHealthProvider.create(healthUrn, membership("web-1", hooks));
        assert.equal(created.outs.inLoadBalancer, false);
        assert.match(created.outs.failure ?? "", /^afterAllowTraffic of web-1 .* exited with 2; its output:\norders page empty\nweb-1 was drained out of the load balancer again$/);
        assert.equal(await targetState(elb, { targetGroupArn, targetId: instances["web-1"].id, port: appPort }), "unused (Target.NotRegistered)");
    });

    it("stops the app on delete", async () => {
        await hostsDeployProvider.delete("web-1", "urn:pulumi:awsssh::zdr::zdr:hosts:Deploy::webshop-deploy", deployInputs("web-1", "v1"));
        assert.equal(served("web-1"), "no answer");
    });
});
