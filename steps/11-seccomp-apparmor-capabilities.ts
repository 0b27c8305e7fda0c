/**
 * Step 11: confine containers with seccomp, AppArmor or SELinux, and fewer capabilities. On a
 * host: a mandatory access control system in use by dockerd, seccomp on, no-new-privileges as the
 * daemon default, and running containers' capabilities and profiles. In a compose file: cap_drop,
 * no-new-privileges and a read-only root file system per service. In a Dockerfile: an ssh port.
 */
import { defineStep, type CheckResult, type CodeInfo } from '../src/core/step.js';
import { WEAKENING_CODES } from './lib/workload.js';
import { checkHost, proposeHost, type HostState } from './lib/confine-host.js';
import { checkCompose, proposeCompose, type ComposeState } from './lib/confine-compose.js';
import { checkDockerfile, proposeDockerfile, type DockerfileState } from './lib/confine-dockerfile.js';

/** Every finding code this step reports. */
const CODES: Record<string, CodeInfo> = {
  ...WEAKENING_CODES,
  "DH-MAC-APPARMOR-UNUSED": {
    title: "AppArmor is enabled but dockerd does not use it",
    severity: 'medium',
    help: "Install apparmor_parser and restart dockerd so containers get the docker-default profile.",
  },
  "DH-MAC-APPARMOR-PROFILE": {
    title: "The docker-default AppArmor profile is not loaded",
    severity: 'medium',
    help: "dockerd loads it when it starts; restart dockerd and read its log if it is still missing.",
  },
  "DH-MAC-SELINUX-OFF": {
    title: "SELinux is enforcing but dockerd does not label containers",
    severity: 'medium',
    help: "Set \"selinux-enabled\": true so containers get their own SELinux labels.",
  },
  "DH-MAC-SELINUX-PERMISSIVE": {
    title: "SELinux is permissive",
    severity: 'medium',
    help: "It logs what it would deny but confines nothing. Switch it to enforcing once the logs are clean.",
  },
  "DH-MAC-NONE": {
    title: "No mandatory access control",
    severity: 'medium',
    help: "Neither AppArmor nor SELinux is active. Install and enable AppArmor (Debian, Ubuntu) or SELinux.",
  },
  "DH-CAPS-SECCOMP-UNSUPPORTED": {
    title: "dockerd lists no seccomp support",
    severity: 'high',
    help: "Containers run without a system call filter. Use a kernel and Docker build with seccomp.",
  },
  "DH-CAPS-SECCOMP-OFF": {
    title: "seccomp is off for every container",
    severity: 'high',
    help: "Remove seccomp-profile \"unconfined\" so the default profile applies.",
  },
  "DH-NNP-DEFAULT": {
    title: "no-new-privileges is not the daemon default",
    severity: 'low',
    help: "Set \"no-new-privileges\": true so setuid programs in containers cannot raise privileges.",
  },
  "DH-NNP-PENDING": {
    title: "no-new-privileges is set but not in force",
    severity: 'low',
    help: "daemon.json changed after dockerd started; restart dockerd.",
  },
  "DH-CAPS-PRIVILEGED": {
    title: "Runs privileged",
    severity: 'high',
    help: "Capability and profile settings do not apply to a privileged container. Remove privileged and add the one capability or device it needs.",
  },
  "CIS-5.4": {
    title: "Adds capabilities that widen what root can do",
    severity: 'medium',
    help: "Drop the added capabilities it does not need; add back only the ones it uses, after cap_drop: [ALL].",
  },
  "DH-CAPS-DEFAULT": {
    title: "Keeps Docker's default capabilities",
    severity: 'low',
    help: "Drop all capabilities (cap_drop: [ALL] / --cap-drop ALL) and add back only what the service needs.",
  },
  "CIS-5.26": {
    title: "Can acquire additional privileges",
    severity: 'low',
    help: "Set security_opt: [no-new-privileges:true] on the service.",
  },
  "CIS-5.13": {
    title: "The root file system is writable",
    severity: 'low',
    help: "Set read_only: true in compose (docker run --read-only) and give the paths it writes a tmpfs or volume.",
  },
  "DH-SSH-PORT": {
    title: "The image exposes port 22",
    severity: 'medium',
    help: "An ssh server in a container is one more service to attack. Use docker exec for a shell; keep ssh only where it is the service itself (git over ssh, SFTP), with key logins only.",
  },
  "DH-SSH-SERVER": {
    title: "The image installs an ssh server",
    severity: 'medium',
    help: "One more service to attack and patch. Use docker exec for a shell; keep ssh only where it is the service itself (git over ssh, SFTP), with key logins only.",
  },
};

export default defineStep({
  meta: {
    id: 'seccomp-apparmor-capabilities',
    order: 11,
    title: 'Confine containers: seccomp, AppArmor or SELinux, fewer capabilities',
    targets: ['host', 'dockerfile', 'compose'],
    needsDaemon: true,
    summary: 'Profiles active, no-new-privileges by default, and containers that drop the capabilities they do not need.',
    explain: [
      'Three kernel mechanisms limit what a process in a container can do even as root: seccomp filters system calls, AppArmor or SELinux restrict files and operations by profile, and Linux capabilities split root\'s power into pieces that can be dropped. Docker applies a default of each, but it keeps 14 capabilities (CHOWN, DAC_OVERRIDE, SETUID, NET_RAW and others) that most services never use, and it lets setuid programs raise privileges inside a container unless no-new-privileges is set.',
      'On a host this step checks that AppArmor is enabled with the docker-default profile loaded (or SELinux enforcing with dockerd\'s selinux-enabled), that seccomp is active, that no-new-privileges is the daemon default, and which running containers add capabilities, keep all the default ones, or run unconfined. In a compose file it checks each service for cap_drop, no-new-privileges and a read-only root file system. In a Dockerfile it flags port 22: an ssh server in a container is one more thing to attack, and docker exec already gives a shell.',
      'The fixes: "no-new-privileges": true in daemon.json (a restart; setuid programs stop working inside containers), "selinux-enabled": true on an SELinux host, and for compose services cap_drop: [ALL] with only the capabilities the service needs added back (NET_BIND_SERVICE for a port below 1024), no-new-privileges, and read_only: true with a tmpfs for /tmp. A service that fails to start afterwards with "operation not permitted" needs one capability back, or a writable path as a tmpfs or volume; each choice says so before you apply it.',
    ].join('\n\n'),
    codes: CODES,
    references: [
      { title: 'Seccomp security profiles for Docker', url: 'https://docs.docker.com/engine/security/seccomp/' },
      { title: 'AppArmor security profiles for Docker', url: 'https://docs.docker.com/engine/security/apparmor/' },
      { title: 'Runtime privilege and Linux capabilities', url: 'https://docs.docker.com/engine/containers/run/#runtime-privilege-and-linux-capabilities' },
      { title: 'Compose file reference: cap_drop, security_opt, read_only, tmpfs', url: 'https://docs.docker.com/reference/compose-file/services/' },
      { title: 'OWASP Docker Security Cheat Sheet, rules 3 and 4', url: 'https://cheatsheetseries.owasp.org/cheatsheets/Docker_Security_Cheat_Sheet.html' },
    ],
  },

  async check(ctx): Promise<CheckResult<HostState | ComposeState | DockerfileState>> {
    if (ctx.target.kind === 'compose') return checkCompose(ctx);
    if (ctx.target.kind === 'dockerfile') return checkDockerfile(ctx);
    return checkHost(ctx);
  },

  async propose(_ctx, result) {
    const state = result.state;
    if (!state) return [];
    if (state.target === 'compose') return proposeCompose(state);
    if (state.target === 'dockerfile') return proposeDockerfile(state);
    return proposeHost(state);
  },
});
