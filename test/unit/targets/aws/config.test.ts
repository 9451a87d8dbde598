import { strict as assert } from "node:assert";
import { parseAwsConfig } from "../../../../targets/aws/config";
import { ConfigError, parseReleaseConfig, RawConfig } from "../../../../src/release/config";

const release = parseReleaseConfig({ servers: '["web-1","web-2"]' });
const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nunit\n-----END OPENSSH PRIVATE KEY-----";
const commands: RawConfig = { sshPrivateKey: key, deployCommand: "sudo /opt/app/deploy {version}", stopCommand: "sudo systemctl stop app" };
const created: RawConfig = {
    ...commands,
    awsRegion: "eu-central-1",
    vpcId: "vpc-0a1b2c3d4e5f60718",
    subnetIds: '["subnet-0a1b2c3d4e5f60001","subnet-0a1b2c3d4e5f60002"]',
    amiId: "ami-0a1b2c3d4e5f60719",
    dbHost: "db.internal",
};
const arn = "arn:aws:elasticloadbalancing:eu-central-1:123456789012:targetgroup/web/0123456789abcdef";
const hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIM1alutYnxslhR5WXHGl4vFc+ztaMTjG4cLMxI/qp33R";
const knownHosts = JSON.stringify([`i-0123456789abcdef0 ${hostKey}`, `i-0fedcba9876543210 ${hostKey}`]);

describe("parseAwsConfig", () => {
    it("creates the ALB and instances with vpcId, with defaults for the rest", () => {
        const c = parseAwsConfig({ ...created, instanceIds: "[]" }, release);
        assert.deepEqual(c.create, { vpcId: "vpc-0a1b2c3d4e5f60718", subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"], amiId: "ami-0a1b2c3d4e5f60719", instanceType: "t3.small", sshCidr: "10.0.0.0/8" });
        assert.equal(c.existing, undefined, "an empty instanceIds (the schema default) is not the existing mode");
        assert.deepEqual([c.appPort, c.deregistrationDelaySeconds, c.sshUser], [8080, 30, "ubuntu"]);
        assert.deepEqual([c.deployCommand, c.stopCommand], ["sudo /opt/app/deploy {version}", "sudo systemctl stop app"]);
        assert.deepEqual(c.db, { host: "db.internal", port: 5432 });
    });

    it("names an existing target group and instances instead", () => {
        const c = parseAwsConfig({ awsRegion: "us-east-1", targetGroupArn: arn, instanceIds: '["web-1=i-0123456789abcdef0","web-2=i-0fedcba9876543210"]', knownHosts, dbHost: "db", ...commands }, release);
        assert.equal(c.create, undefined);
        assert.deepEqual(c.existing, {
            targetGroupArn: arn,
            instanceIds: { "web-1": "i-0123456789abcdef0", "web-2": "i-0fedcba9876543210" },
            knownHosts: [`i-0123456789abcdef0 ${hostKey}`, `i-0fedcba9876543210 ${hostKey}`],
        });
        assert.deepEqual([c.sshTimeoutSeconds, c.commandTimeoutSeconds, c.healthPollIntervalMs], [10, 300, 500]);
    });

    const bad: [string, RawConfig, string, RawConfig?][] = [
        ["no SSH key", { ...created, sshPrivateKey: undefined }, 'zdr:sshPrivateKey: the AWS target needs the deploy user\'s SSH private key (PEM or OpenSSH, "-----BEGIN ... PRIVATE KEY-----"), as a secret: pulumi config set --secret sshPrivateKey < KEYFILE'],
        ["a placeholder for the SSH key", { ...created, sshPrivateKey: "unused" }, 'zdr:sshPrivateKey: the AWS target needs the deploy user\'s SSH private key (PEM or OpenSSH, "-----BEGIN ... PRIVATE KEY-----"), as a secret: pulumi config set --secret sshPrivateKey < KEYFILE'],
        ["no deploy command", { ...created, deployCommand: undefined }, "zdr:deployCommand: required for the AWS target: a shell command that installs and starts {version} on the host (and stops the version it replaces), e.g. sudo /opt/shop/deploy {version}"],
        ["no stop command", { ...created, stopCommand: "" }, "zdr:stopCommand: required for the AWS target: a shell command that stops the app gracefully on the host, e.g. sudo systemctl stop shop"],
        ["a bake shorter than the ALB's log delivery", created, 'zdr:bakeSeconds: must be 0 or at least 300 on the AWS target (the ALB delivers the access logs the judge reads every 5 minutes); got "60"', { bakeSeconds: "60" }],
        ["a bake with an existing target group", { awsRegion: "eu-central-1", targetGroupArn: arn, instanceIds: '["web-1=i-0123456789abcdef0","web-2=i-0fedcba9876543210"]', dbHost: "db", ...commands }, "zdr:bakeSeconds: must be 0 with targetGroupArn: the judge reads the access logs of an ALB zdr creates", { bakeSeconds: "300" }],
        ["no region", { ...created, awsRegion: undefined }, "zdr:awsRegion: required for the AWS target: an AWS region such as eu-central-1"],
        ["a region that is not one", { ...created, awsRegion: "eu-central" }, 'zdr:awsRegion: must be an AWS region such as eu-central-1; got "eu-central"'],
        ["neither a VPC nor a target group", { awsRegion: "eu-central-1", dbHost: "db", ...commands }, "zdr:vpcId: required for the AWS target: a VPC id (vpc-...), or name an existing target group with targetGroupArn and instanceIds"],
        ["one subnet", { ...created, subnetIds: '["subnet-0a1b2c3d4e5f60001"]' }, 'zdr:subnetIds: must be a list of at least two subnet ids (subnet-...) in different zones; got ["subnet-0a1b2c3d4e5f60001"]'],
        ["an AMI that is not one", { ...created, amiId: "ubuntu-24.04" }, 'zdr:amiId: must be an AMI id (ami-...) with the app\'s runtime installed; got "ubuntu-24.04"'],
        ["an instance type that is not one", { ...created, instanceType: "large" }, 'zdr:instanceType: must be an EC2 instance type such as t3.small; got "large"'],
        ["an SSH CIDR that is not one", { ...created, sshCidr: "office" }, 'zdr:sshCidr: must be an IPv4 CIDR such as 10.0.0.0/8; got "office"'],
        ["a target group ARN that is not one", { awsRegion: "eu-central-1", targetGroupArn: "web", instanceIds: '["web-1=i-0123456789abcdef0"]', dbHost: "db", ...commands }, 'zdr:targetGroupArn: must be the ARN of an existing ALB target group; got "web"'],
        ["an instance for an unknown server", { awsRegion: "eu-central-1", targetGroupArn: arn, instanceIds: '["web-9=i-0123456789abcdef0"]', dbHost: "db", ...commands }, "zdr:instanceIds: web-9 is not one of the servers (web-1, web-2)"],
        ["a server without an instance", { awsRegion: "eu-central-1", targetGroupArn: arn, instanceIds: '["web-1=i-0123456789abcdef0"]', dbHost: "db", ...commands }, "zdr:instanceIds: no instance for web-2; every server needs one"],
        ["an instance id that is not one", { awsRegion: "eu-central-1", targetGroupArn: arn, instanceIds: '["web-1=web1"]', dbHost: "db", ...commands }, 'zdr:instanceIds: "web-1=web1" is not "server=i-<hex>"'],
        ["a deploy command without the version", { ...created, deployCommand: "sudo deploy latest" }, 'zdr:deployCommand: must be a shell command that installs and starts {version} on the host (and stops the version it replaces), e.g. sudo /opt/shop/deploy {version}; got "sudo deploy latest"'],
        ["a negative deregistration delay", { ...created, deregistrationDelaySeconds: "-1" }, 'zdr:deregistrationDelaySeconds: must be an integer from 0 to 3600; got "-1"'],
        [
            "an existing instance whose host key is not known",
            { awsRegion: "eu-central-1", targetGroupArn: arn, instanceIds: '["web-1=i-0123456789abcdef0","web-2=i-0fedcba9876543210"]', knownHosts: JSON.stringify([`i-0123456789abcdef0 ${hostKey}`, `10.0.1.12 ${hostKey}`]), dbHost: "db", ...commands },
            `zdr:knownHosts: no host key for web-2's instance i-0fedcba9876543210; zdr never trusts a host on first use: add "i-0fedcba9876543210 <its key>", the key from the instance's console output or /etc/ssh/ssh_host_ed25519_key.pub, after checking its fingerprint`,
        ],
        [
            "known hosts that are not known_hosts lines",
            { awsRegion: "eu-central-1", targetGroupArn: arn, instanceIds: '["web-1=i-0123456789abcdef0","web-2=i-0fedcba9876543210"]', knownHosts: '["i-0123456789abcdef0 AAAA"]', dbHost: "db", ...commands },
            'zdr:knownHosts: known hosts line 1 is not "host[,host...] key-type base64-key" (as ssh-keyscan prints it): "i-0123456789abcdef0 AAAA"',
        ],
        ["a command time-out beyond an hour", { ...created, commandTimeoutSeconds: "3601" }, 'zdr:commandTimeoutSeconds: must be an integer from 1 to 3600; got "3601"'],
        ["no database host for migrations", { ...created, dbHost: undefined, migrationsDir: "db/migrations" }, "zdr:dbHost: required for the AWS target: the PostgreSQL host the migrations run against (reachable from where `pulumi up` runs)"],
    ];
    for (const [name, raw, message, releaseRaw] of bad) {
        it(`refuses ${name}`, () => {
            const r = releaseRaw ? parseReleaseConfig({ servers: '["web-1","web-2"]', ...releaseRaw }) : release;
            assert.throws(() => parseAwsConfig(raw, r), (e: unknown) => {
                assert.ok(e instanceof ConfigError);
                assert.ok(e.problems.includes(message), `${JSON.stringify(e.problems)} has no ${message}`);
                return true;
            });
        });
    }
});
