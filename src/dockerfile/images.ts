/**
 * What we know about common base images, kept as data: the distribution family (which decides how
 * a user is created), the user an image ships or runs as, and the smaller variant with the rule
 * that makes its tag. A rule only maps a tag shape the image really publishes; any other tag gets
 * no suggestion rather than an invented one.
 *
 * Over 400 lines: mostly the tables themselves, one row per image family and variant rule.
 */
import { safeLine } from '../core/sanitize.js';

export type ImageFamily = 'debian' | 'ubuntu' | 'alpine' | 'busybox' | 'rhel' | 'wolfi' | 'distroless' | 'scratch' | 'windows' | 'unknown';

export interface ImageRef {
  /** The reference as resolved (ARG defaults substituted). */
  reference: string;
  /** Registry host, or null for Docker Hub. */
  registry: string | null;
  /** Repository path without the registry; Docker Hub's `library/` prefix removed. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

export interface ImageUser {
  name: string;
  uid: number;
  gid: number;
  /**
   * A USER line for it is written `uid:gid`: Kubernetes' runAsNonRoot can verify only a number, and
   * the images built for it (distroless, Chainguard) are run there with it.
   */
  numeric?: boolean;
}

/** A smaller image for the same job, and what it gives up. */
export interface SmallerImage {
  /** The full replacement reference, e.g. `node:20-slim`. */
  reference: string;
  /** What the smaller image lacks, in plain words. */
  lacks: string;
}

/** Why an image must start as root, and the documented way to run it unprivileged instead. */
export interface RootStart {
  why: string;
  instead: string;
  source: string;
  /**
   * The entrypoint hands the whole server to this user when the command is one of `servers` (or
   * only flags for it): the container starts as root, the server does not run as root.
   */
  dropsTo?: { user: string; servers: string[] };
  /** The root start is the image's CMD (it has no ENTRYPOINT): a Dockerfile's own CMD or ENTRYPOINT replaces it. */
  viaCmd?: boolean;
  /** Why a read-only root file system stops that start, where it is known to. */
  readOnly?: string;
}

export type Toolchain = 'go' | 'rust' | 'jdk' | 'maven' | 'gradle' | 'build-deps';

interface ImageRule {
  /** Canonical names this rule covers (Docker Hub official images without `library/`). */
  names?: string[];
  /** Or a prefix of the canonical name (a registry path). */
  prefix?: string;
  family: ImageFamily | ((tag: string) => ImageFamily);
  /** A user that exists in the image and that the app can run as (per tag, when variants differ). */
  ships?: ImageUser | ((tag: string) => ImageUser | undefined);
  /** The user the image runs as when the Dockerfile sets none (only when it is not root). */
  runsAs?: (tag: string) => ImageUser | null;
  /** Why `USER <shipped user>` alone is not the right fix (the image drops privileges itself, or needs more). */
  userNote?: string;
  /** Every user name in the image's /etc/passwd, where the table knows all of them (scratch has none). */
  users?: string[];
  /** Why the image's family tools for creating a user are missing here (UBI minimal: no useradd), per tag when variants differ. */
  noUserTools?: string | ((tag: string) => string | undefined);
  /** Propose `USER` automatically for this image. False when the image needs more than that. */
  autoUser?: boolean;
  /** The WORKDIR the image sets, where the Dockerfile's relative paths start. */
  workdir?: string;
  /** The image defines a HEALTHCHECK, which a Dockerfile built on it inherits. */
  healthcheck?: boolean;
  /** ENV the image sets (a user id the Dockerfile may name as `$APP_UID`), per tag when variants differ. */
  env?: Record<string, string> | ((tag: string) => Record<string, string>);
  /** The image starts as root and drops privileges itself: a USER line breaks it. */
  startsAsRoot?: RootStart;
  /** The same, for some tags only (php's -apache variants). */
  startsAsRootFor?: (tag: string) => RootStart | null;
  /** The smaller variant of a full tag; null when the tag is already small or its shape is unknown. */
  smaller?: (tag: string) => SmallerImage | null;
  /** The image carries a build toolchain. */
  toolchain?: Toolchain;
  /** The Java major version the image carries, for JDK -> JRE. */
  javaMajor?: (tag: string) => number | null;
}

const DEBIAN_SUITES = ['trixie', 'bookworm', 'bullseye', 'buster', 'stretch', 'forky', 'sid'];
const UBUNTU_SUITES = ['noble', 'jammy', 'focal', 'bionic', 'oracular', 'plucky'];
/** Java versions for which Eclipse Temurin publishes JRE images. */
const TEMURIN_JRE_MAJORS = [8, 11, 17, 21, 25];

const NODE_LACKS = 'python3, make and a C compiler (native npm modules must be built in a build stage), and most shell tools such as curl and git';
const PYTHON_LACKS = 'gcc and the -dev headers, so packages without a prebuilt wheel must be built in a build stage, and tools such as curl and git';
const UBI_MINIMAL_NO_USERADD = 'it ships without shadow-utils, so there is no useradd';
const DEBIAN_SLIM_LACKS = 'man pages, documentation and some locales; the package manager is still there';

/** `<version>` or `<version>-<suite>` -> the slim tag by `make`; null for any other tag shape. */
function suiteSlim(tag: string, make: (version: string, suite: string | null) => string, latest: string | null): string | null {
  if (tag === 'latest') return latest;
  if (/(^|-)(slim|alpine)/.test(tag) || /windowsservercore|nanoserver/.test(tag)) return null;
  const m = /^([0-9][^-]*|lts|current|[a-z]+)(?:-([a-z]+))?$/.exec(tag);
  if (!m) return null;
  const [, version, suite] = m;
  if (suite && !DEBIAN_SUITES.includes(suite)) return null;
  if (!suite && DEBIAN_SUITES.includes(version!)) return make(version!, null);
  return make(version!, suite ?? null);
}

function familyFromTag(tag: string, otherwise: ImageFamily): ImageFamily {
  if (/alpine/.test(tag)) return 'alpine';
  if (/windowsservercore|nanoserver|ltsc20/.test(tag)) return 'windows';
  if (UBUNTU_SUITES.some((s) => tag.includes(s)) || /ubuntu/.test(tag)) return 'ubuntu';
  if (DEBIAN_SUITES.some((s) => tag.includes(s)) || /(^|-)slim/.test(tag)) return 'debian';
  if (/ubi\d|amazoncorretto|oraclelinux|\bal2/.test(tag)) return 'rhel';
  return otherwise;
}

function temurinJre(major: number | null, variantSuffix: string, lacks = 'the compiler (javac), jlink and the other JDK tools; the app runs the same'): SmallerImage | null {
  if (major === null || !TEMURIN_JRE_MAJORS.includes(major)) return null;
  return { reference: `eclipse-temurin:${major}-jre${variantSuffix}`, lacks };
}

/** openjdk tags of Java 12 and later without a Debian, Alpine or Windows variant: Oracle Linux 8 slim. */
function openjdkOnOracleLinux(tag: string): boolean {
  const major = leadingNumber(tag);
  return major !== null && major >= 12 && !/slim|buster|bullseye|bookworm|alpine|windowsservercore|nanoserver/.test(tag);
}

/** `-alpine`, `-jammy`, `-noble`... kept when moving to a JRE image that publishes that variant. */
function javaVariantSuffix(tag: string): string {
  if (/alpine/.test(tag)) return '-alpine';
  for (const s of ['noble', 'jammy', 'focal']) if (tag.includes(s)) return `-${s}`;
  return '';
}

function phpApacheStart(what: string): RootStart {
  return {
    why: `${what} starts Apache as root to bind port 80, then serves as www-data`,
    instead: 'set `Listen 8080` in /etc/apache2/ports.conf (and the VirtualHost), then `USER www-data`; or use the -fpm variant behind a web server',
    source: 'https://hub.docker.com/_/php (Running as an arbitrary user)',
  };
}

const MY_INIT_START: RootStart = {
  why: "phusion's /sbin/my_init runs as root: it reads /etc/container_environment (mode 0700), runs the /etc/my_init.d scripts and starts each runit service (nginx, cron, sshd) as its own user",
  instead: 'keep the container starting as root and run the app as the app user from its runit service (`exec /sbin/setuser app ...` in /etc/service/<name>/run)',
  source: 'https://github.com/phusion/baseimage-docker/issues/264',
};

const JUPYTER_ENV = { NB_USER: 'jovyan', NB_UID: '1000', NB_GID: '100' };
const WINDOWS_USER: ImageUser = { name: 'ContainerUser', uid: -1, gid: -1 };
const NONROOT_65532: ImageUser = { name: 'nonroot', uid: 65532, gid: 65532, numeric: true };
const S2I_USER: ImageUser = { name: '1001', uid: 1001, gid: 0 };
const IIS_START: RootStart = {
  why: 'the image\'s entrypoint, ServiceMonitor.exe, runs the IIS service (W3SVC) and needs ContainerAdministrator',
  instead: 'keep ContainerAdministrator for IIS and give the site\'s application pool its own identity (IIS runs the app as ApplicationPoolIdentity, not as the container user)',
  source: 'https://github.com/microsoft/IIS.ServiceMonitor',
};

const RULES: ImageRule[] = [
  { names: ['scratch'], family: 'scratch', users: [] },
  { names: ['busybox'], family: 'busybox' },
  { names: ['alpine'], family: 'alpine' },
  {
    names: ['debian'],
    family: 'debian',
    smaller(tag) {
      if (tag === 'latest') return { reference: 'debian:stable-slim', lacks: DEBIAN_SLIM_LACKS };
      if (/-slim$/.test(tag) || /backports/.test(tag)) return null;
      const ok = /^([a-z]+|\d+(\.\d+)?)(-\d{8})?$/.test(tag) && (/^\d/.test(tag) || /^(stable|oldstable|oldoldstable|testing|unstable)/.test(tag) || DEBIAN_SUITES.some((s) => tag.startsWith(s)));
      return ok ? { reference: `debian:${tag}-slim`, lacks: DEBIAN_SLIM_LACKS } : null;
    },
  },
  { names: ['ubuntu'], family: 'ubuntu' },
  { names: ['fedora', 'centos', 'rockylinux', 'almalinux', 'redhat/ubi8', 'redhat/ubi9'], family: 'rhel' },
  // The slim Oracle Linux images and Amazon Linux 2023 leave shadow-utils out, as UBI minimal does
  // (the mysql and openjdk images install it before they add a user).
  { names: ['oraclelinux'], family: 'rhel', noUserTools: (tag) => (/slim/.test(tag) ? 'the slim Oracle Linux images ship without shadow-utils, so there is no useradd' : undefined) },
  { names: ['amazonlinux'], family: 'rhel', noUserTools: (tag) => (/^(2023|latest)/.test(tag) ? 'Amazon Linux 2023 ships without shadow-utils, so there is no useradd' : undefined) },
  // UBI minimal and micro have no shadow-utils (no useradd): a user is given by number there.
  // https://catalog.redhat.com/software/base-images (ubi-minimal: microdnf only; ubi-micro: no package manager)
  {
    names: [8, 9, 10].flatMap((v) => ['minimal', 'micro'].flatMap((kind) => [`registry.access.redhat.com/ubi${v}/ubi-${kind}`, `registry.access.redhat.com/ubi${v}-${kind}`, `redhat/ubi${v}-${kind}`])),
    family: 'rhel',
    noUserTools: UBI_MINIMAL_NO_USERADD,
  },
  // Red Hat's language and web server images (s2i: nodejs, python, ruby, php, perl, go-toolset,
  // nginx, httpd) end with USER 1001, who owns /opt/app-root with group 0; the OpenJDK ones run as 185.
  // https://github.com/sclorg/s2i-base-container, https://github.com/jboss-container-images/openjdk
  ...['registry.access.redhat.com/', 'registry.redhat.io/'].flatMap((registry) =>
    [7, 8, 9, 10].flatMap((v): ImageRule[] => [
      ...['nodejs-', 'python-', 'ruby-', 'php-', 'perl-', 'go-toolset', 'nginx-', 'httpd-', 's2i-base', 's2i-core'].map((kind): ImageRule => ({ prefix: `${registry}ubi${v}/${kind}`, family: 'rhel', ships: S2I_USER, runsAs: () => S2I_USER })),
      { prefix: `${registry}ubi${v}/openjdk-`, family: 'rhel', ships: { name: '185', uid: 185, gid: 0 }, runsAs: () => ({ name: '185', uid: 185, gid: 0 }), noUserTools: UBI_MINIMAL_NO_USERADD },
    ]),
  ),
  { prefix: 'registry.access.redhat.com/ubi', family: 'rhel' },
  {
    names: ['node'],
    family: (tag) => familyFromTag(tag, 'debian'),
    ships: { name: 'node', uid: 1000, gid: 1000 },
    smaller(tag) {
      const t = suiteSlim(tag, (v, s) => (s ? `${v}-${s}-slim` : `${v}-slim`), 'slim');
      return t ? { reference: `node:${t}`, lacks: NODE_LACKS } : null;
    },
  },
  {
    names: ['python'],
    family: (tag) => familyFromTag(tag, 'debian'),
    smaller(tag) {
      const t = suiteSlim(tag, (v, s) => (s ? `${v}-slim-${s}` : `${v}-slim`), 'slim');
      return t ? { reference: `python:${t}`, lacks: PYTHON_LACKS } : null;
    },
  },
  {
    names: ['ruby', 'perl'],
    family: (tag) => familyFromTag(tag, 'debian'),
  },
  {
    names: ['golang'],
    workdir: '/go',
    family: (tag) => familyFromTag(tag, 'debian'),
    toolchain: 'go',
  },
  {
    names: ['rust'],
    family: (tag) => familyFromTag(tag, 'debian'),
    toolchain: 'rust',
  },
  {
    names: ['eclipse-temurin'],
    family: (tag) => familyFromTag(tag, 'ubuntu'),
    noUserTools: (tag) => (/ubi\d+-minimal/.test(tag) ? UBI_MINIMAL_NO_USERADD : undefined),
    javaMajor: (tag) => leadingNumber(tag),
    smaller(tag) {
      if (/(^|-)jre/.test(tag) || tag === 'latest') return null;
      const m = /^(\d[^-]*)(?:-jdk)?(?:-(alpine|noble|jammy|focal|ubi9-minimal))?$/.exec(tag);
      if (!m) return null;
      const major = leadingNumber(m[1]!);
      if (major === null || !TEMURIN_JRE_MAJORS.includes(major)) return null;
      return { reference: `eclipse-temurin:${m[1]}-jre${m[2] ? `-${m[2]}` : ''}`, lacks: 'the compiler (javac), jlink and the other JDK tools; the app runs the same' };
    },
  },
  {
    // From Java 12 on, a tag without a variant (openjdk:17, 17-jdk) is the Oracle Linux 8 slim
    // build; 8 and 11 are Debian (docker-library/openjdk, generate-stackbrew-library.sh).
    names: ['openjdk'],
    family: (tag) => (openjdkOnOracleLinux(tag) ? 'rhel' : familyFromTag(tag, 'debian')),
    noUserTools: (tag) => (openjdkOnOracleLinux(tag) ? 'it is built on oraclelinux:8-slim, which ships without shadow-utils, so there is no useradd' : undefined),
    javaMajor: (tag) => leadingNumber(tag),
    smaller(tag) {
      if (/jre/.test(tag)) return null;
      // The same package manager (microdnf) on a Red Hat base: the Dockerfile's installs still run.
      if (openjdkOnOracleLinux(tag)) return temurinJre(leadingNumber(tag), '-ubi9-minimal', 'the compiler (javac), jlink and the other JDK tools, and it is Red Hat UBI 9 minimal rather than Oracle Linux 8 slim: microdnf installs from UBI\'s repositories, which carry fewer packages');
      return temurinJre(leadingNumber(tag), javaVariantSuffix(tag));
    },
  },
  {
    names: ['amazoncorretto'],
    family: (tag) => familyFromTag(tag, 'rhel'),
    javaMajor: (tag) => leadingNumber(tag),
  },
  {
    names: ['maven'],
    family: (tag) => familyFromTag(tag, 'ubuntu'),
    toolchain: 'maven',
    javaMajor: (tag) => numberAfter(tag, /eclipse-temurin-(\d+)/),
    smaller(tag) {
      return temurinJre(numberAfter(tag, /eclipse-temurin-(\d+)/), javaVariantSuffix(tag));
    },
  },
  {
    names: ['gradle'],
    family: (tag) => familyFromTag(tag, 'ubuntu'),
    toolchain: 'gradle',
    javaMajor: (tag) => numberAfter(tag, /jdk(\d+)/),
    smaller(tag) {
      return temurinJre(numberAfter(tag, /jdk(\d+)/), javaVariantSuffix(tag));
    },
  },
  {
    names: ['buildpack-deps'],
    family: (tag) => familyFromTag(tag, 'debian'),
    toolchain: 'build-deps',
    smaller(tag) {
      const suite = /^([a-z]+)(-(curl|scm))?$/.exec(tag)?.[1];
      if (suite && DEBIAN_SUITES.includes(suite)) return { reference: `debian:${suite}-slim`, lacks: 'the compilers and -dev packages that buildpack-deps carries' };
      if (suite && UBUNTU_SUITES.includes(suite)) return { reference: `ubuntu:${suite}`, lacks: 'the compilers and -dev packages that buildpack-deps carries' };
      return null;
    },
  },
  {
    prefix: 'gcr.io/distroless/',
    family: 'distroless',
    ships: NONROOT_65532,
    users: ['root', 'nonroot', 'nobody'],
    runsAs: (tag) => (/nonroot/.test(tag) ? NONROOT_65532 : null),
  },
  // Chainguard's images run as 65532 (the -dev tags too), except the bases meant to build on and
  // go, whose apko configurations say run-as 0; those have BusyBox's adduser.
  // https://github.com/chainguard-images/images (images/*/config/main.tf, configs/*.apko.yaml)
  { names: ['cgr.dev/chainguard/wolfi-base', 'cgr.dev/chainguard/chainguard-base', 'cgr.dev/chainguard/go'], family: 'wolfi' },
  { names: ['cgr.dev/chainguard/node'], family: 'wolfi', ships: { ...NONROOT_65532, name: 'node' }, runsAs: () => ({ ...NONROOT_65532, name: 'node' }) },
  { prefix: 'cgr.dev/chainguard/', family: 'wolfi', ships: NONROOT_65532, runsAs: () => NONROOT_65532 },
  { names: ['nginxinc/nginx-unprivileged'], family: (tag) => familyFromTag(tag, 'debian'), ships: { name: 'nginx', uid: 101, gid: 101 }, runsAs: () => ({ name: 'nginx', uid: 101, gid: 101 }) },
  // Loki's image (distroless static:debug with BusyBox) ends with USER 10001 since 2.0.
  { names: ['grafana/loki'], family: 'busybox', ships: { name: 'loki', uid: 10001, gid: 10001 }, runsAs: (tag) => (/^v?1\./.test(tag) ? null : { name: 'loki', uid: 10001, gid: 10001 }) },
  // minideb is Bitnami's Debian base: it runs as root, unlike the application images built on it.
  { names: ['bitnami/minideb'], family: 'debian' },
  { prefix: 'bitnami/', family: 'debian', runsAs: () => ({ name: '1001', uid: 1001, gid: 0 }) },
  // The controller and the agent images end with USER jenkins (uid 1000), who owns /var/jenkins_home and /home/jenkins/agent.
  { names: ['jenkins/jenkins', 'jenkins/agent', 'jenkins/inbound-agent'], family: (tag) => familyFromTag(tag, 'debian'), ships: { name: 'jenkins', uid: 1000, gid: 1000 }, runsAs: () => ({ name: 'jenkins', uid: 1000, gid: 1000 }) },
  // Keycloak's image (ubi-micro, no useradd) ends with USER 1000 in group 0, which owns /opt/keycloak (https://github.com/keycloak/keycloak/blob/main/quarkus/container/Dockerfile).
  { names: ['quay.io/keycloak/keycloak', 'keycloak/keycloak'], family: 'unknown', ships: { name: '1000', uid: 1000, gid: 0 }, runsAs: () => ({ name: '1000', uid: 1000, gid: 0 }) },
  // The JBoss images (WildFly, the legacy Keycloak) run as jboss, uid 1000 in group 0, which owns
  // $JBOSS_HOME with group write (https://github.com/jboss-dockerfiles/wildfly, https://github.com/jboss-dockerfiles/keycloak).
  ...[{ names: ['jboss/wildfly', 'jboss/keycloak'] }, { prefix: 'quay.io/wildfly/' }].map(
    (match): ImageRule => ({ ...match, family: 'rhel', ships: { name: 'jboss', uid: 1000, gid: 0 }, runsAs: () => ({ name: 'jboss', uid: 1000, gid: 0 }) }),
  ),
  // Images whose own ENTRYPOINT is a program that needs root (ROOT_PROGRAMS has why; read at
  // look-up, as that table is defined below this one).
  ...(
    [
      ['certbot/certbot', 'certbot'],
      ['gitlab/gitlab-runner', 'gitlab-runner'],
    ] as const
  ).map(([name, program]): ImageRule => ({ names: [name], family: (tag) => familyFromTag(tag, name === 'certbot/certbot' ? 'alpine' : 'ubuntu'), autoUser: false, startsAsRootFor: () => programStart(program) })),
  // docker:dind (and the bare version tags, which are the dind variant) starts dockerd as root;
  // dind-rootless runs it as rootless (uid 1000); the -cli tags are the client alone.
  // https://github.com/docker-library/docker (dockerd-entrypoint.sh)
  {
    names: ['docker'],
    family: (tag) => (/windowsservercore|nanoserver/.test(tag) ? 'windows' : 'alpine'),
    ships: (tag) => (/rootless/.test(tag) ? { name: 'rootless', uid: 1000, gid: 1000 } : undefined),
    runsAs: (tag) => (/rootless/.test(tag) ? { name: 'rootless', uid: 1000, gid: 1000 } : null),
    startsAsRootFor: (tag) =>
      /rootless|cli|windowsservercore|nanoserver/.test(tag)
        ? null
        : {
            why: 'its entrypoint, dockerd-entrypoint.sh, starts dockerd, which needs root (and --privileged); started as another user it switches to rootless mode and stops ("attempting to run rootless dockerd but missing \'rootlesskit\'")',
            instead: 'keep it root, or build on docker:dind-rootless, which runs dockerd as the user rootless (uid 1000) (the -cli tags carry the client alone)',
            source: 'https://github.com/docker-library/docker (dockerd-entrypoint.sh)',
          },
  },
  // Images whose entrypoint starts as root to give the data to their user, then switches to it.
  {
    names: ['neo4j'],
    family: (tag) => familyFromTag(tag, 'debian'),
    ships: { name: 'neo4j', uid: 7474, gid: 7474 },
    autoUser: false,
    startsAsRoot: {
      why: 'the neo4j entrypoint starts as root to give $NEO4J_HOME and the data to neo4j (chown -R), writes the NEO4J_* settings into conf/neo4j.conf, then runs the server as neo4j with su-exec (gosu in older tags)',
      instead: 'keep the image\'s own switch to neo4j, or run it as neo4j (`user: "7474:7474"`) with data and conf folders that belong to that user',
      source: 'https://github.com/neo4j/docker-neo4j (docker-image-src/5/coredb/docker-entrypoint.sh)',
      readOnly: 'the neo4j entrypoint writes the NEO4J_* settings into $NEO4J_HOME/conf/neo4j.conf (and apoc.conf) at every start, and that folder is not a volume: it stops (bash -eu). Keep the root file system writable for it',
    },
  },
  {
    names: ['itzg/minecraft-server'],
    family: (tag) => familyFromTag(tag, 'ubuntu'),
    autoUser: false,
    startsAsRoot: {
      why: 'its start script, as root, gives /data to UID:GID (1000 by default), writes /etc/nsswitch.conf, then runs the server as that user with gosu or su-exec',
      instead: 'set UID and GID to the user it should run as and let the script switch, or run it with `user:` set to a uid that owns /data',
      source: 'https://github.com/itzg/docker-minecraft-server (scripts/start)',
      readOnly: 'its start script writes /etc/nsswitch.conf at every start, outside /data: it stops on a read-only root file system. Keep the root file system writable for it',
    },
  },
  {
    names: ['teamspeak'],
    family: 'alpine',
    ships: { name: 'ts3server', uid: 9987, gid: 9987 },
    autoUser: false,
    startsAsRoot: {
      why: 'the teamspeak entrypoint, as root, gives /var/ts3server to ts3server, then starts itself again as ts3server with su-exec',
      instead: 'keep the image\'s own switch to ts3server, or run it as ts3server (`user: "9987:9987"`) with /var/ts3server owned by that user',
      source: 'https://github.com/TeamSpeak-Systems/teamspeak-linux-docker-images (alpine/entrypoint.sh)',
    },
  },
  {
    names: ['telegraf'],
    family: (tag) => familyFromTag(tag, 'debian'),
    ships: { name: 'telegraf', uid: -1, gid: -1 },
    autoUser: false,
    startsAsRoot: {
      why: 'the telegraf entrypoint, as root, gives /usr/bin/telegraf the capabilities NET_RAW and NET_BIND_SERVICE with setcap, then runs telegraf as telegraf with setpriv',
      instead: 'keep the image\'s own switch, or run it as telegraf (`user:`) with cap_add for what its inputs need (ping takes NET_RAW)',
      source: 'https://github.com/influxdata/influxdata-docker (telegraf/*/entrypoint.sh)',
    },
  },
  // FrankenPHP works in /app and keeps Caddy's certificates and autosaved configuration in
  // /data/caddy and /config/caddy, which belong to root (https://frankenphp.dev/docs/docker/#running-as-a-non-root-user).
  {
    names: ['dunglas/frankenphp'],
    family: (tag) => familyFromTag(tag, 'debian'),
    workdir: '/app',
    userNote: 'FrankenPHP (Caddy) writes its certificates and autosaved configuration to /data/caddy and /config/caddy, which belong to root in the image: as another user it stops ("open /data/caddy/...: permission denied") unless they are given to it (`RUN chown -R <user> /data/caddy /config/caddy`, as its docs show)',
  },
  // webdevops' PHP images start supervisord as root (--user root), which starts nginx or Apache and PHP-FPM.
  {
    prefix: 'webdevops/',
    family: (tag) => familyFromTag(tag, 'ubuntu'),
    ships: { name: 'application', uid: 1000, gid: 1000 },
    autoUser: false,
    startsAsRoot: {
      why: 'its entrypoint starts supervisord as root (supervisor.sh: supervisord --user root), which starts the web server and PHP-FPM; their workers run as application',
      instead: 'keep the image starting as root: the app already runs as application (uid 1000) in the workers',
      source: 'https://github.com/webdevops/Dockerfile (docker/base, conf/bin/service.d/supervisor.sh)',
    },
  },
  // Gitea starts as root and runs the server as git with su-exec (s6); the -rootless tags run as git.
  {
    names: ['gitea/gitea', 'codeberg.org/forgejo/forgejo', 'code.forgejo.org/forgejo/forgejo'],
    family: 'alpine',
    ships: { name: 'git', uid: 1000, gid: 1000 },
    runsAs: (tag) => (/rootless/.test(tag) ? { name: 'git', uid: 1000, gid: 1000 } : null),
    startsAsRootFor: (tag) =>
      /rootless/.test(tag)
        ? null
        : {
            why: 'its s6 services start as root: one writes /etc/ssh/sshd_config from the environment, and the server runs as git with su-exec (USER_UID and USER_GID choose its uid)',
            instead: 'keep the image\'s own switch to git, or use the -rootless tag, which runs as git from the start',
            source: 'https://github.com/go-gitea/gitea (docker/root/etc/s6)',
            readOnly: 'its s6 setup writes /etc/ssh/sshd_config and the host keys\' links at every start, outside /data: it stops on a read-only root file system. Keep the root file system writable for it (or use the -rootless tag)',
          },
  },
  { names: ['sonarqube'], family: (tag) => familyFromTag(tag, 'ubuntu'), ships: { name: 'sonarqube', uid: 1000, gid: 0 }, runsAs: () => ({ name: 'sonarqube', uid: 1000, gid: 0 }) },
  { names: ['sonatype/nexus3'], family: 'rhel', ships: { name: 'nexus', uid: 200, gid: 200 }, runsAs: () => ({ name: 'nexus', uid: 200, gid: 200 }) },
  // Images that end with a USER of their own.
  { names: ['nodered/node-red'], family: (tag) => familyFromTag(tag, 'alpine'), ships: { name: 'node-red', uid: 1000, gid: 1000 }, runsAs: () => ({ name: 'node-red', uid: 1000, gid: 1000 }) },
  { names: ['adminer'], family: (tag) => familyFromTag(tag, 'alpine'), ships: { name: 'adminer', uid: -1, gid: -1 }, runsAs: () => ({ name: 'adminer', uid: -1, gid: -1 }) },
  { names: ['dpage/pgadmin4'], family: 'alpine', ships: { name: '5050', uid: 5050, gid: 0 }, runsAs: () => ({ name: '5050', uid: 5050, gid: 0 }) },
  // Dev container images create vscode (node in the Node images), uid 1000, and run as root: the
  // editor's user comes from devcontainer.json (remoteUser). https://github.com/devcontainers/images
  ...['mcr.microsoft.com/devcontainers/', 'mcr.microsoft.com/vscode/devcontainers/'].flatMap((prefix): ImageRule[] =>
    (['node', 'vscode'] as const).map((user) => ({
      ...(user === 'node' ? { names: [`${prefix}javascript-node`, `${prefix}typescript-node`] } : { prefix }),
      family: (tag: string) => familyFromTag(tag, 'debian'),
      ships: { name: user, uid: 1000, gid: 1000 },
      userNote: `a dev container usually keeps root in the image and names the editor's user in devcontainer.json ("remoteUser": "${user}"); a USER line makes ${user} the container's user too, and the Dev Containers CLI then starts the entrypoints of features (docker-in-docker, sshd) as ${user}, which fails for those that need root`,
    })),
  ),
  // The official jetty images end with USER jetty, who owns $JETTY_BASE and /tmp/jetty (https://github.com/eclipse/jetty.docker).
  { names: ['jetty'], family: (tag) => familyFromTag(tag, 'debian'), workdir: '/var/lib/jetty', ships: { name: 'jetty', uid: -1, gid: -1 }, runsAs: () => ({ name: 'jetty', uid: -1, gid: -1 }) },
  {
    // Tomcat runs as root; only logs/, temp/ and work/ are writable by others, and a WAR in webapps/
    // is unpacked there at start (https://github.com/docker-library/tomcat/issues/337).
    names: ['tomcat'],
    family: (tag) => familyFromTag(tag, 'ubuntu'),
    workdir: '/usr/local/tomcat',
    userNote:
      'Tomcat unpacks each WAR in webapps/ at start, a folder that belongs to root in the tomcat image (only logs, temp and work are writable by others): give webapps/ to the new user (`RUN chown -R <user> /usr/local/tomcat/webapps` before USER) or set unpackWARs="false", or the app is not deployed (https://github.com/docker-library/tomcat/issues/337)',
  },
  // oven/bun creates bun (uid 1000) and runs as root (https://github.com/oven-sh/bun/blob/main/dockerhub/debian/Dockerfile).
  // Entrypoints that start as root to give their data to the service's user, then switch to it.
  ...(
    [
      [['consul', 'hashicorp/consul'], 'consul', 'su-exec', 'https://github.com/hashicorp/docker-consul/blob/master/0.X/docker-entrypoint.sh'],
      [['vault', 'hashicorp/vault'], 'vault', 'su-exec', 'https://github.com/hashicorp/docker-vault/blob/master/0.X/docker-entrypoint.sh'],
      [['ghost'], 'node', 'gosu', 'https://github.com/docker-library/ghost/blob/master/docker-entrypoint.sh'],
    ] as const
  ).map(
    ([names, user, tool, source]): ImageRule => ({
      names: [...names],
      family: (tag) => familyFromTag(tag, names[0] === 'ghost' ? 'debian' : 'alpine'),
      autoUser: false,
      startsAsRoot: {
        why: `the entrypoint starts as root to give the data folders to ${user}, then runs the service as ${user} with ${tool}`,
        instead: `keep the image's own switch to ${user}; to start it as ${user} instead, give the data volume to that user first`,
        source,
      },
    }),
  ),
  // Elasticsearch runs as uid 1000 with group 0, which owns its folders; an arbitrary uid works only with gid 0.
  // https://www.elastic.co/guide/en/elasticsearch/reference/current/docker.html
  ...['elasticsearch', 'docker.elastic.co/elasticsearch/elasticsearch'].map(
    (name): ImageRule => ({ names: [name], family: 'ubuntu', workdir: '/usr/share/elasticsearch', ships: { name: 'elasticsearch', uid: 1000, gid: 0 }, runsAs: () => ({ name: 'elasticsearch', uid: 1000, gid: 0 }) }),
  ),
  // Confluent Platform images run as appuser. https://docs.confluent.io/platform/current/installation/docker/image-reference.html
  { prefix: 'confluentinc/cp-', family: 'rhel', ships: { name: 'appuser', uid: 1000, gid: 1000 }, runsAs: () => ({ name: 'appuser', uid: 1000, gid: 1000 }) },
  // Playwright's image has pwuser for running browsers unprivileged (it starts as root). https://playwright.dev/docs/docker
  { prefix: 'mcr.microsoft.com/playwright', family: 'ubuntu', ships: { name: 'pwuser', uid: -1, gid: -1 } },
  // Selenium's images run as seluser (SEL_UID 1200, SEL_GID 1201). https://github.com/SeleniumHQ/docker-selenium
  { prefix: 'selenium/', family: 'ubuntu', ships: { name: 'seluser', uid: 1200, gid: 1201 }, runsAs: () => ({ name: 'seluser', uid: 1200, gid: 1201 }) },
  // The Prometheus project's images run as nobody. https://github.com/prometheus/prometheus/blob/main/Dockerfile
  { prefix: 'prom/', family: 'busybox', ships: { name: 'nobody', uid: 65534, gid: 65534 }, runsAs: () => ({ name: 'nobody', uid: 65534, gid: 65534 }) },
  {
    // Mosquitto started as root switches to its own user (the `user` option, mosquitto by default).
    names: ['eclipse-mosquitto'],
    family: (tag) => familyFromTag(tag, 'alpine'),
    autoUser: false,
    startsAsRoot: {
      why: 'mosquitto started as root switches to the user its configuration names (`user`, mosquitto by default) once it has opened its ports and files',
      instead: 'keep it starting as root, or run it as mosquitto (uid 1883) with /mosquitto/data and /mosquitto/log belonging to that user',
      source: 'https://mosquitto.org/man/mosquitto-conf-5.html',
    },
  },
  // Puppeteer's image runs as pptruser, who owns the Chrome it downloads (/home/pptruser/.cache/puppeteer);
  // its uid (PPTRUSER_UID) differs between releases, so the user is named, not numbered.
  // https://github.com/puppeteer/puppeteer/blob/main/docker/Dockerfile
  { names: ['ghcr.io/puppeteer/puppeteer'], family: 'debian', ships: { name: 'pptruser', uid: -1, gid: -1 }, runsAs: () => ({ name: 'pptruser', uid: -1, gid: -1 }) },
  // code-server runs as coder (uid 1000), who may use sudo. https://github.com/coder/code-server/blob/main/ci/release-image/Dockerfile
  { names: ['codercom/code-server'], family: 'debian', ships: { name: 'coder', uid: 1000, gid: 1000 }, runsAs: () => ({ name: 'coder', uid: 1000, gid: 1000 }) },
  { names: ['oven/bun'], family: (tag) => (/distroless/.test(tag) ? 'distroless' : familyFromTag(tag, 'debian')), ships: { name: 'bun', uid: 1000, gid: 1000 }, workdir: '/home/bun/app' },
  {
    // Caddy runs as root and keeps certificates in /data and autosaved config in /config (VOLUMEs owned by root).
    names: ['caddy'],
    family: (tag) => familyFromTag(tag, 'alpine'),
    userNote:
      'caddy keeps its certificates in /data and its autosaved configuration in /config, volumes that belong to root: give them to the new user (a RUN that chowns them before USER, or volumes that user owns), or certificates cannot be stored and HTTPS sites fail (https://caddyserver.com/docs/conventions#data-directory)',
  },
  {
    // WordPress is php:*-apache (or -fpm) with the site in /var/www/html, a VOLUME owned by www-data (https://github.com/docker-library/wordpress).
    names: ['wordpress'],
    workdir: '/var/www/html',
    // The cli tags are php:*-alpine.
    family: (tag) => (/^cli/.test(tag) ? 'alpine' : familyFromTag(tag, 'debian')),
    ships: (tag) => (/alpine/.test(tag) || /^cli/.test(tag) ? { name: 'www-data', uid: 82, gid: 82 } : { name: 'www-data', uid: 33, gid: 33 }),
    runsAs: (tag) => (/^cli/.test(tag) ? { name: 'www-data', uid: 82, gid: 82 } : null),
    startsAsRootFor: (tag) =>
      /fpm|^cli/.test(tag)
        ? null
        : {
            why: 'wordpress (the Apache variant) starts Apache as root to bind port 80, then serves as www-data; its entrypoint copies WordPress into /var/www/html as that user',
            instead: 'use wordpress:*-fpm behind a web server, which can run as www-data; or set `Listen 8080` in /etc/apache2/ports.conf (and the VirtualHost), then `USER www-data`',
            source: 'https://hub.docker.com/_/wordpress',
          },
  },
  { names: ['grafana/grafana'], family: 'alpine', ships: { name: 'grafana', uid: 472, gid: 0 }, runsAs: () => ({ name: 'grafana', uid: 472, gid: 0 }) },
  {
    names: ['nginx'],
    family: (tag) => familyFromTag(tag, 'debian'),
    ships: { name: 'nginx', uid: 101, gid: 101 },
    autoUser: false,
    userNote:
      'nginx as a non-root user needs a listen port of 1024 or more and writable cache and pid paths; the image nginxinc/nginx-unprivileged (same tags) is built for that and listens on 8080',
    startsAsRoot: {
      why: 'the nginx master process starts as root to bind port 80 and write /var/run/nginx.pid and /var/cache/nginx, then runs its workers as nginx',
      instead: 'use nginxinc/nginx-unprivileged with the same tag: it runs as nginx (uid 101) and listens on 8080; publish 8080 instead of 80',
      source: 'https://github.com/nginx/docker-nginx-unprivileged',
    },
  },
  {
    names: ['httpd'],
    workdir: '/usr/local/apache2',
    family: (tag) => familyFromTag(tag, 'debian'),
    autoUser: false,
    userNote: 'httpd starts as root and serves as www-data; to run it non-root, make it listen on a port of 1024 or more and give www-data its log and pid paths',
    startsAsRoot: {
      why: 'httpd starts as root to bind port 80, then serves as www-data (User/Group in httpd.conf)',
      instead: 'change `Listen 80` to `Listen 8080` in httpd.conf, make the log and pid paths writable by www-data, then add `USER www-data`; or use bitnami/apache, which runs as uid 1001 on 8080',
      source: 'https://hub.docker.com/_/httpd',
    },
  },
  {
    names: ['php'],
    workdir: '/var/www/html',
    family: (tag) => familyFromTag(tag, 'debian'),
    // www-data: uid 33 in the Debian variants, 82 in the Alpine ones (https://github.com/docker-library/php).
    ships: (tag) => (/alpine/.test(tag) ? { name: 'www-data', uid: 82, gid: 82 } : { name: 'www-data', uid: 33, gid: 33 }),
    startsAsRootFor: (tag) => (/apache/.test(tag) ? phpApacheStart('php:*-apache') : null),
  },
  // Official images built FROM php:*-apache, whose default tags (latest, 10, 1.42) are the Apache
  // variant; -fpm tags run PHP-FPM, which can run as www-data.
  ...(['drupal', 'mediawiki', 'joomla'] as const).map(
    (name): ImageRule => ({
      names: [name],
      family: (tag) => familyFromTag(tag, 'debian'),
      ships: (tag) => (/alpine/.test(tag) ? { name: 'www-data', uid: 82, gid: 82 } : { name: 'www-data', uid: 33, gid: 33 }),
      workdir: name === 'drupal' ? '/opt/drupal' : '/var/www/html',
      startsAsRootFor: (tag) => (/fpm/.test(tag) ? null : phpApacheStart(`${name} (the Apache variant, built on php:*-apache)`)),
    }),
  ),
  ...(
    [
      // The server commands each entrypoint drops privileges for (docker-entrypoint.sh: `if [ "$1" = 'postgres' ]`).
      ['postgres', 'postgres', 'bitnami/postgresql', 'https://hub.docker.com/_/postgres (Arbitrary --user Notes)', ['postgres']],
      ['redis', 'redis', 'bitnami/redis', 'https://hub.docker.com/_/redis', ['redis-server', 'redis-sentinel']],
      ['valkey/valkey', 'valkey', 'bitnami/valkey', 'https://hub.docker.com/r/valkey/valkey', ['valkey-server', 'valkey-sentinel']],
      ['mongo', 'mongodb', 'bitnami/mongodb', 'https://hub.docker.com/_/mongo', ['mongod', 'mongos']],
      ['mysql', 'mysql', 'bitnami/mysql', 'https://hub.docker.com/_/mysql (Running as an arbitrary user)', ['mysqld']],
      ['mariadb', 'mysql', 'bitnami/mariadb', 'https://hub.docker.com/_/mariadb', ['mariadbd', 'mysqld']],
      ['rabbitmq', 'rabbitmq', 'bitnami/rabbitmq', 'https://hub.docker.com/_/rabbitmq', ['rabbitmq-server']],
    ] as const
  ).map(
    ([name, user, bitnami, source, servers]): ImageRule => ({
      names: [name],
      family: (tag) => familyFromTag(tag, name === 'mongo' ? 'ubuntu' : 'debian'),
      ships: { name: user, uid: 999, gid: 999 },
      autoUser: false,
      userNote: `the ${name} image starts as root only to fix the data directory's owner, then drops to its own user; USER works when the data volume already belongs to that user`,
      startsAsRoot: {
        why: `the ${name} image's entrypoint starts as root to give the data directory to ${user}, then drops to ${user} with gosu`,
        instead: `keep the image's own privilege drop, or run it as ${user} (\`user: "999:999"\` in compose) with a data volume that already belongs to uid 999; or use ${bitnami}, which runs as uid 1001`,
        source,
        dropsTo: { user, servers: [...servers] },
      },
    }),
  ),
  // s6-overlay's /init runs as root and starts the app as abc (PUID/PGID). linuxserver.io publishes
  // the same images on lscr.io, ghcr.io and Docker Hub (https://docs.linuxserver.io/faq/); its base
  // images were published as lsiobase/ before they moved to ghcr.io/linuxserver/baseimage-*.
  ...['lscr.io/linuxserver/', 'ghcr.io/linuxserver/', 'linuxserver/', 'lsiobase/'].map(
    (prefix): ImageRule => ({
      prefix,
      family: (tag) => familyFromTag(tag, 'alpine'),
      autoUser: false,
      startsAsRoot: {
        why: 'linuxserver.io images start s6-overlay (/init) as root, which sets up the abc user from PUID/PGID and drops to it',
        instead: 'set PUID and PGID to an unprivileged user; for a fully non-root container, the images support `--user` with read-only mode only where their docs say so',
        source: 'https://docs.linuxserver.io/misc/non-root/',
        readOnly: 'at every start s6-overlay, as root, rewrites abc in /etc/passwd and /etc/group from PUID/PGID (usermod, groupmod) and runs its services from /run, which must allow exec: on a read-only root file system it stops. linuxserver.io supports read-only mode only for the images whose docs say so, with `--user` and a /run tmpfs',
      },
    }),
  ),
  // Phusion's base images run /sbin/my_init (CMD), which must be root: it reads
  // /etc/container_environment (mode 0700), runs /etc/my_init.d and starts runit services.
  ...[{ names: ['phusion/baseimage'] }, { prefix: 'phusion/passenger-' }].map(
    (match): ImageRule => ({
      ...match,
      family: 'ubuntu',
      autoUser: false,
      ships: match.prefix ? { name: 'app', uid: 9999, gid: 9999 } : undefined,
      startsAsRoot: MY_INIT_START,
    }),
  ),
  // rocker's RStudio images (rstudio and those built on it) start with CMD /init, s6-overlay, which
  // must be root; RStudio Server runs each R session as its user. An own CMD (Rscript) runs as any user.
  // https://github.com/rocker-org/rocker-versioned2 (dockerfiles/rstudio_*.Dockerfile), issue 682
  {
    names: ['rocker/rstudio', 'rocker/tidyverse', 'rocker/verse', 'rocker/geospatial', 'rocker/ml', 'rocker/ml-verse'],
    family: 'ubuntu',
    ships: { name: 'rstudio', uid: -1, gid: -1 },
    startsAsRoot: {
      why: "its CMD is s6-overlay's /init, which runs as root to set up and start RStudio Server (\"s6-chown: fatal: unable to chown ... Operation not permitted\" as another user); RStudio Server runs each R session as its user, rstudio",
      instead: 'keep the image starting as root: R sessions already run as rstudio. A container that runs only R (its own CMD, such as Rscript) can add USER rstudio',
      source: 'https://github.com/rocker-org/rocker-versioned2/issues/682',
      viaCmd: true,
    },
  },
  // Images whose Dockerfile ends with a USER of their own: a Dockerfile built on them runs as that
  // user unless it switches. haproxy from 2.4 (uid 99), varnish from 7.1, micromamba (mambauser),
  // Ray (ray, uid 1000). https://github.com/docker-library/haproxy, https://github.com/varnish/docker-varnish,
  // https://github.com/mamba-org/micromamba-docker, https://github.com/ray-project/ray (docker/base-deps)
  {
    names: ['haproxy'],
    family: (tag) => familyFromTag(tag, 'debian'),
    ships: { name: 'haproxy', uid: 99, gid: 99 },
    runsAs: (tag) => (/^(1\.|2\.[0-3](\.|-|$))/.test(tag) ? null : { name: 'haproxy', uid: 99, gid: 99 }),
  },
  {
    names: ['varnish'],
    family: (tag) => familyFromTag(tag, 'debian'),
    ships: { name: 'varnish', uid: -1, gid: -1 },
    runsAs: (tag) => (/^(6|7\.0)(\.|-|$)/.test(tag) ? null : { name: 'varnish', uid: -1, gid: -1 }),
  },
  {
    names: ['mambaorg/micromamba', 'ghcr.io/mamba-org/micromamba'],
    family: (tag) => familyFromTag(tag, 'debian'),
    workdir: '/tmp',
    env: { MAMBA_USER: 'mambauser', MAMBA_USER_ID: '57439', MAMBA_USER_GID: '57439', MAMBA_ROOT_PREFIX: '/opt/conda' },
    ships: { name: 'mambauser', uid: 57439, gid: 57439 },
    runsAs: () => ({ name: 'mambauser', uid: 57439, gid: 57439 }),
  },
  {
    names: ['rayproject/ray', 'rayproject/ray-ml'],
    family: 'ubuntu',
    workdir: '/home/ray',
    ships: { name: 'ray', uid: 1000, gid: 100 },
    runsAs: () => ({ name: 'ray', uid: 1000, gid: 100 }),
  },
  // OpenResty is nginx: its CMD starts the master as root to bind port 80 and write its pid and temp
  // files (/usr/local/openresty/nginx/logs, /var/run/openresty). https://github.com/openresty/docker-openresty/issues/120
  {
    names: ['openresty/openresty'],
    family: (tag) => familyFromTag(tag, /centos|rocky|fedora|amzn/.test(tag) ? 'rhel' : 'ubuntu'),
    autoUser: false,
    startsAsRoot: {
      why: 'the OpenResty (nginx) master process starts as root to bind port 80 and write its pid file and temp folders (/usr/local/openresty/nginx/logs, /var/run/openresty), then runs its workers as nobody',
      instead: 'keep it starting as root, or listen on 1024 or more and give the user the pid and temp paths (pid and *_temp_path in nginx.conf) before adding USER',
      source: 'https://github.com/openresty/docker-openresty/issues/120',
      viaCmd: true,
    },
  },
  // Model servers keep their models under the home folder: a new user needs a home it owns.
  // https://github.com/ollama/ollama/issues/10332, https://github.com/vllm-project/vllm/issues/20127
  {
    names: ['ollama/ollama'],
    family: 'ubuntu',
    userNote: 'ollama serve keeps its models and keys under ~/.ollama (OLLAMA_MODELS): as another user it stops at start ("could not create directory mkdir /.ollama: permission denied") unless HOME or OLLAMA_MODELS is a folder that user owns, and models pulled at build time as root stay in /root/.ollama, out of its reach',
  },
  {
    names: ['vllm/vllm-openai'],
    family: 'ubuntu',
    userNote: 'vLLM downloads models into ~/.cache/huggingface at start: as another user it fails ("PermissionError: ... \'/.cache\'") unless HOME or HF_HOME is a folder that user owns (a volume, so models are not downloaded again at every start)',
  },
  // Deno's images make the user deno (uid 1993) and leave USER to the Dockerfile. https://github.com/denoland/deno_docker
  { names: ['denoland/deno'], family: (tag) => familyFromTag(tag, 'debian'), ships: { name: 'deno', uid: 1993, gid: 1993 } },
  // rocker/shiny ships the shiny user its shiny-server.conf names in `run_as shiny`: shiny-server
  // started as another user than root cannot run apps as shiny. https://github.com/rocker-org/rocker-versioned2
  { names: ['rocker/shiny', 'rocker/shiny-verse'], family: 'ubuntu', ships: { name: 'shiny', uid: -1, gid: -1 } },
  // The IIS images and .NET Framework's ASP.NET image (built on them) start ServiceMonitor.exe,
  // which runs IIS (W3SVC) and needs ContainerAdministrator.
  // https://github.com/microsoft/iis-docker, https://github.com/microsoft/dotnet-framework-docker (aspnet Dockerfile)
  ...[{ prefix: 'mcr.microsoft.com/windows/servercore/iis' }, { names: ['microsoft/iis'] }, { prefix: 'mcr.microsoft.com/dotnet/framework/aspnet' }].map(
    (match): ImageRule => ({ ...match, family: 'windows', autoUser: false, ships: WINDOWS_USER, startsAsRoot: IIS_START }),
  ),
  {
    // .NET Framework images are Windows Server Core only: never the Linux .NET images' app user.
    prefix: 'mcr.microsoft.com/dotnet/framework/',
    family: 'windows',
    ships: WINDOWS_USER,
  },
  {
    prefix: 'mcr.microsoft.com/dotnet/',
    family: (tag) => (/chiseled|distroless/.test(tag) ? 'distroless' : familyFromTag(tag, 'debian')),
    // .NET 8+ images create the user app with uid 1654 and publish it as APP_UID; earlier ones have
    // no user but root (https://learn.microsoft.com/en-us/dotnet/core/compatibility/containers/8.0/app-user).
    // ASP.NET Core images listen on 8080 from .NET 8 (ASPNETCORE_HTTP_PORTS), on 80 before
    // (ASPNETCORE_URLS=http://+:80): https://learn.microsoft.com/en-us/dotnet/core/compatibility/containers/8.0/aspnet-port
    env: (tag): Record<string, string> => ((leadingNumber(tag) ?? 8) >= 8 ? { APP_UID: '1654', ASPNETCORE_HTTP_PORTS: '8080' } : { ASPNETCORE_URLS: 'http://+:80' }),
    ships: (tag) => ((leadingNumber(tag) ?? 8) >= 8 ? { name: 'app', uid: 1654, gid: 1654 } : undefined),
    runsAs: (tag) => (/nanoserver/.test(tag) ? { name: 'ContainerUser', uid: -1, gid: -1 } : /chiseled|distroless/.test(tag) ? { name: 'app', uid: 1654, gid: 1654 } : null),
  },
  {
    // Jupyter Docker Stacks run as jovyan (NB_UID 1000, NB_GID 100), with a HEALTHCHECK in base-notebook;
    // https://jupyter-docker-stacks.readthedocs.io/en/latest/using/common.html
    prefix: 'jupyter/',
    workdir: '/home/jovyan',
    healthcheck: true,
    family: 'ubuntu',
    env: JUPYTER_ENV,
    ships: { name: 'jovyan', uid: 1000, gid: 100 },
    runsAs: () => ({ name: 'jovyan', uid: 1000, gid: 100 }),
  },
  {
    prefix: 'quay.io/jupyter/',
    workdir: '/home/jovyan',
    healthcheck: true,
    family: 'ubuntu',
    env: JUPYTER_ENV,
    ships: { name: 'jovyan', uid: 1000, gid: 100 },
    runsAs: () => ({ name: 'jovyan', uid: 1000, gid: 100 }),
  },
  {
    // Windows images have ContainerAdministrator and ContainerUser; Nano Server runs as ContainerUser.
    // https://learn.microsoft.com/en-us/virtualization/windowscontainers/manage-containers/container-base-images
    prefix: 'mcr.microsoft.com/windows',
    family: 'windows',
    ships: WINDOWS_USER,
    runsAs: (tag) => (/nanoserver/.test(tag) ? WINDOWS_USER : null),
  },
];

function leadingNumber(text: string): number | null {
  const m = /^(\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}

function numberAfter(text: string, pattern: RegExp): number | null {
  const m = pattern.exec(text);
  return m ? Number(m[1]) : null;
}

/** Split `registry/path:tag@digest`. A first component with a dot, a colon or `localhost` is a registry. */
export function parseImageRef(reference: string): ImageRef {
  let rest = reference.trim();
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let registry: string | null = null;
  const slash = rest.indexOf('/');
  if (slash > 0) {
    const first = rest.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') {
      registry = first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  if (registry === 'docker.io' || registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = null;
  let repository = rest;
  if (registry === null && repository.startsWith('library/')) repository = repository.slice('library/'.length);
  return { reference, registry, repository, tag, digest };
}

// Docker's reference grammar (github.com/distribution/reference), to which FROM and --from are held:
// `[host[:port]/]path[:tag][@digest]`, path components lowercase.
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
// The digests Docker can verify: sha256, sha384 and sha512, in lowercase hex of their length.
const DIGEST = 'sha256:[a-f0-9]{64}|sha384:[a-f0-9]{96}|sha512:[a-f0-9]{128}';
const REFERENCE = new RegExp(`^((?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*)(?::[\\w][\\w.-]{0,127})?(?:@(?:${DIGEST}))?$`);
/** A name of 255 characters, a 128-character tag and a sha512 digest, with their separators. */
const MAX_REFERENCE_LENGTH = 255 + 1 + 128 + 1 + 'sha512:'.length + 128;

/** Whether Docker accepts `reference` as an image reference (it stops with "invalid reference format" if not). */
export function isImageReference(reference: string): boolean {
  if (reference.length > MAX_REFERENCE_LENGTH) return false;
  const m = REFERENCE.exec(reference);
  // Docker also refuses a name over 255 characters, and 64 hex digits alone (an image ID).
  return m !== null && m[1]!.length <= 255 && !/^[a-f0-9]{64}$/.test(reference);
}

/**
 * Why no fix may write a reference made from `reference`, the image named at `line` (a FROM or a
 * COPY --from): Docker refuses it, and what a fix keeps of it would be refused too. Null when it is
 * a valid reference.
 */
export function invalidReferenceReason(reference: string, line: number): string | null {
  if (isImageReference(reference)) return null;
  const shown = reference.length > 80 ? `${reference.slice(0, 77)}...` : reference;
  return `the image at line ${line}, "${safeLine(shown)}", is not a valid image reference, so Docker cannot build this file; correct it first (a lowercase name, then an optional tag of letters, digits, _ . and -, then an optional @sha256: digest)`;
}

/** `node`, `bitnami/redis`, `gcr.io/distroless/static-debian12`. */
export function canonicalName(ref: ImageRef): string {
  return ref.registry ? `${ref.registry}/${ref.repository}` : ref.repository;
}

/**
 * Registries that serve Docker Hub's official images under a path of their own, each image the same
 * as on Docker Hub: Amazon ECR Public's copies and Google's Docker Hub mirror.
 */
const OFFICIAL_MIRRORS = ['public.ecr.aws/docker/library/', 'mirror.gcr.io/library/'];
const MIRROR_REGISTRIES = new Set(OFFICIAL_MIRRORS.map((m) => m.split('/')[0]));

/** The mirror path of an official image (`public.ecr.aws/docker/library/`), or null. */
export function officialMirror(ref: ImageRef): string | null {
  if (!MIRROR_REGISTRIES.has(ref.registry?.toLowerCase() ?? '')) return null;
  const name = canonicalName(ref).toLowerCase();
  const prefix = OFFICIAL_MIRRORS.find((m) => name.startsWith(m));
  return prefix && !name.slice(prefix.length).includes('/') ? prefix : null;
}

function ruleFor(ref: ImageRef): ImageRule | undefined {
  const mirror = officialMirror(ref);
  const name = mirror ? canonicalName(ref).toLowerCase().slice(mirror.length) : canonicalName(ref).toLowerCase();
  return RULES.find((r) => r.names?.includes(name) || (r.prefix !== undefined && name.startsWith(r.prefix)));
}

/** The tag as Docker reads it: none means `latest`. */
export function effectiveTag(ref: ImageRef): string {
  return ref.tag ?? 'latest';
}

export interface ImageKnowledge {
  known: boolean;
  family: ImageFamily;
  ships?: ImageUser;
  /** The non-root user the image runs as without a USER line; undefined means root (or unknown). */
  runsAs?: ImageUser;
  autoUser: boolean;
  userNote?: string;
  /** Every user name in the image's /etc/passwd, where known. */
  users?: string[];
  noUserTools?: string;
  toolchain?: Toolchain;
  javaMajor?: number;
  /** A smaller variant of this exact tag, when one is published. */
  smaller?: SmallerImage;
  env?: Record<string, string>;
  /** The WORKDIR the image sets; unset means `/`. */
  workdir?: string;
  startsAsRoot?: RootStart;
  healthcheck?: boolean;
}

/** What the table says depends on the name and tag alone; each step asks again for the same FROM. */
const described = new Map<string, Readonly<ImageKnowledge>>();

export function describeImage(ref: ImageRef): Readonly<ImageKnowledge> {
  // The tag as looked up: no tag is `latest`, and an empty one (`node:` from an empty ARG) is not.
  const key = `${canonicalName(ref)}\0${effectiveTag(ref)}`;
  let known = described.get(key);
  if (!known) {
    known = Object.freeze(lookUpImage(ref));
    described.set(key, known);
  }
  return known;
}

function lookUpImage(ref: ImageRef): ImageKnowledge {
  const rule = ruleFor(ref);
  const tag = effectiveTag(ref);
  if (!rule) {
    const name = canonicalName(ref).toLowerCase();
    // A few families are plain from the name alone, whoever publishes the image.
    const family: ImageFamily = /alpine/.test(name) || /alpine/.test(tag) ? 'alpine' : /distroless/.test(name) ? 'distroless' : /nanoserver|windowsservercore|servercore/.test(`${name}:${tag}`) ? 'windows' : 'unknown';
    if (family === 'windows') {
      return { known: false, family, autoUser: true, ships: WINDOWS_USER, ...(/nanoserver/.test(`${name}:${tag}`) ? { runsAs: WINDOWS_USER } : {}) };
    }
    return { known: false, family, autoUser: true };
  }
  const family = typeof rule.family === 'function' ? rule.family(tag) : rule.family;
  const runsAs = rule.runsAs?.(tag) ?? undefined;
  const mirror = officialMirror(ref);
  // From a mirror, a smaller official image is taken from the same mirror (never another registry).
  const smallerHere = rule.smaller?.(tag) ?? undefined;
  const smaller = smallerHere && mirror ? (smallerHere.reference.includes('/') ? undefined : { ...smallerHere, reference: `${mirror}${smallerHere.reference}` }) : smallerHere;
  const javaMajor = rule.javaMajor?.(tag) ?? undefined;
  const startsAsRoot = rule.startsAsRoot ?? rule.startsAsRootFor?.(tag) ?? undefined;
  const ships = typeof rule.ships === 'function' ? rule.ships(tag) : rule.ships;
  const noUserTools = typeof rule.noUserTools === 'function' ? rule.noUserTools(tag) : rule.noUserTools;
  return {
    known: true,
    family,
    ...(ships ? { ships } : {}),
    ...(runsAs ? { runsAs } : {}),
    autoUser: rule.autoUser ?? true,
    ...(rule.userNote ? { userNote: rule.userNote } : {}),
    ...(rule.users ? { users: rule.users } : {}),
    ...(noUserTools ? { noUserTools } : {}),
    ...(rule.toolchain ? { toolchain: rule.toolchain } : {}),
    ...(javaMajor !== undefined ? { javaMajor } : {}),
    ...(smaller ? { smaller } : {}),
    ...(rule.env ? { env: typeof rule.env === 'function' ? rule.env(tag) : rule.env } : {}),
    ...(rule.workdir ? { workdir: rule.workdir } : {}),
    ...(startsAsRoot ? { startsAsRoot } : {}),
    ...(rule.healthcheck ? { healthcheck: true } : {}),
  };
}

/** A tag that follows whatever is newest: none at all, or `latest`. */
export function isFloatingTag(ref: ImageRef): boolean {
  return floatingTag(ref) === 'latest';
}

// Distributions whose release is their codename: debian:bookworm stays Debian 12.
const RELEASE_CODENAMES = new Set(['buster', 'bullseye', 'bookworm', 'trixie', 'forky', 'bionic', 'focal', 'jammy', 'noble', 'oracular', 'plucky', 'questing']);
const CODENAME_RELEASED = new Set(['debian', 'ubuntu', 'buildpack-deps']);

/**
 * How a tag moves: `latest` (or no tag), `versionless` for a tag that names no version
 * (`node:alpine`, `python:slim`, `node:lts`: the next major version too), null for a versioned one
 * or a digest.
 */
export function floatingTag(ref: ImageRef): 'latest' | 'versionless' | null {
  if (ref.digest) return null;
  if (ref.tag === null || ref.tag === 'latest') return 'latest';
  if (/\d|\$/.test(ref.tag)) return null;
  const name = ref.repository.split('/').pop()!;
  return CODENAME_RELEASED.has(name) && RELEASE_CODENAMES.has(ref.tag.split('-')[0]!) ? null : 'versionless';
}

/** Images that are already minimal: no smaller variant to suggest. */
export function isMinimalFamily(family: ImageFamily): boolean {
  return family === 'scratch' || family === 'distroless' || family === 'busybox' || family === 'alpine' || family === 'wolfi';
}

/** The final image for a Go or Rust binary built in an earlier stage. */
export const GO_RUNTIME_IMAGE = 'gcr.io/distroless/static-debian12:nonroot';
export const RUST_RUNTIME_IMAGE = 'gcr.io/distroless/cc-debian12:nonroot';

/** The JRE image for a Java major version, when Temurin publishes one. */
export function jreImageFor(major: number | undefined, variantOf = ''): string | null {
  const jre = temurinJre(major ?? null, javaVariantSuffix(variantOf));
  return jre?.reference ?? null;
}

/** The uid and gid docker-harden gives the user it creates. */
export const APP_UID = 10001;

/** The RUN line that creates the app user, per family; null where there is no shell to run it. */
export function createUserCommand(family: ImageFamily, withHome = false): string | null {
  switch (family) {
    case 'debian':
    case 'ubuntu':
    case 'rhel':
      return `groupadd --system --gid ${APP_UID} app && useradd --system --uid ${APP_UID} --gid app ${withHome ? '--create-home --home-dir /home/app' : '--no-create-home'} --shell /usr/sbin/nologin app`;
    // Wolfi images that run as root (wolfi-base, chainguard-base, go) carry BusyBox's adduser.
    case 'wolfi':
    case 'alpine':
    case 'busybox':
      return `addgroup -S -g ${APP_UID} app && adduser -S -D ${withHome ? '-h /home/app' : '-H'} -u ${APP_UID} -G app app`;
    default:
      return null;
  }
}

/**
 * Programs in an ENTRYPOINT or CMD (or installed for one) that need the container to start as root:
 * they drop privileges themselves, or run jobs as other users. With a USER line they fail.
 */
export interface RootProgram {
  /** Matches the program's base name. */
  names: string[];
  /** Or its path as written, for a name too common to match alone (`init`). */
  paths?: string[];
  kind: 'drops-privileges' | 'init' | 'scheduler';
  why: string;
  instead: string;
  source: string;
}

export const ROOT_PROGRAMS: RootProgram[] = [
  {
    names: ['gosu'],
    kind: 'drops-privileges',
    why: 'gosu switches from root to another user, so the entrypoint must start as root',
    instead: 'keep the entrypoint starting as root: it already runs the app unprivileged. To drop gosu, give the data paths to the app user at build time and add USER in the image',
    source: 'https://github.com/tianon/gosu',
  },
  {
    names: ['su-exec'],
    kind: 'drops-privileges',
    why: 'su-exec switches from root to another user, so the entrypoint must start as root',
    instead: 'keep the entrypoint starting as root: it already runs the app unprivileged. To drop su-exec, give the data paths to the app user at build time and add USER in the image',
    source: 'https://github.com/ncopa/su-exec',
  },
  {
    names: ['setpriv', 'runuser', 'chroot', 'su'],
    kind: 'drops-privileges',
    why: 'the entrypoint changes user itself (setpriv, runuser, su, chroot --userspec), which only root can do',
    instead: 'keep it starting as root, or remove the switch from the entrypoint and add USER in the image',
    source: 'https://man7.org/linux/man-pages/man1/setpriv.1.html',
  },
  {
    names: ['s6-svscan', 's6-overlay-suexec'],
    paths: ['/init'],
    kind: 'init',
    why: 's6-overlay (/init) runs as root to prepare the container and start each service as its own user (linuxserver.io images: abc from PUID/PGID)',
    instead: 'set PUID/PGID to an unprivileged user; s6-overlay 3 can run as a non-root USER only when the image is built for it (S6_READ_ONLY_ROOT, no chown at start)',
    source: 'https://github.com/just-containers/s6-overlay#running-as-a-non-root-user',
  },
  {
    names: ['my_init'],
    kind: 'init',
    why: MY_INIT_START.why,
    instead: MY_INIT_START.instead,
    source: MY_INIT_START.source,
  },
  {
    names: ['systemd', 'runsvdir', 'runit'],
    paths: ['/sbin/init', '/usr/sbin/init'],
    kind: 'init',
    why: 'an init system (systemd, runit, sysvinit, or an s6 script at /sbin/init) runs as root to start and supervise services, each as its own user',
    instead: 'run the app itself as the container\'s command, one process per container, with USER; or keep the init starting as root',
    source: 'https://docs.docker.com/engine/containers/multi-service_container/',
  },
  {
    // A distribution's web server (apt-get install nginx / apache2, dnf install httpd): its own
    // configuration writes the pid file, logs and temp files where only root may.
    names: ['nginx', 'openresty', 'httpd', 'apache2', 'apachectl', 'apache2ctl'],
    kind: 'drops-privileges',
    why: 'the web server\'s master process starts as root to bind its port and write its pid file, logs and temp files (/run, /var/log, /var/lib), then runs its workers as www-data, nginx or apache',
    instead: 'keep it starting as root, or configure it to run unprivileged (a port of 1024 or more, pid file, logs and temp paths it may write) and add USER; for nginx the image nginxinc/nginx-unprivileged is built that way',
    source: 'https://github.com/nginx/docker-nginx-unprivileged',
  },
  {
    names: ['sshd'],
    kind: 'drops-privileges',
    why: 'sshd runs as root to switch to each user who logs in',
    instead: 'keep it starting as root (and keep the container to key logins), or leave sshd out and use docker exec for a shell',
    source: 'https://man.openbsd.org/sshd.8',
  },
  {
    names: ['supervisord'],
    kind: 'init',
    why: 'supervisord starts its programs as the users named with `user=` in its configuration, which only works when it runs as root',
    instead: 'remove `user=` from the program sections and add USER for supervisord itself, or run one process per container with its own USER',
    source: 'http://supervisord.org/configuration.html#program-x-section-values',
  },
  {
    names: ['postfix'],
    kind: 'drops-privileges',
    why: 'the postfix command is reserved for the superuser ("postfix: fatal: the postfix command is reserved for the superuser"); its master process binds port 25 and runs each daemon as the postfix user, some in a chroot',
    instead: 'keep it starting as root: Postfix already runs its daemons unprivileged',
    source: 'https://www.postfix.org/postfix.1.html',
  },
  {
    names: ['smbd', 'nmbd', 'samba'],
    kind: 'drops-privileges',
    why: 'Samba\'s smbd runs as root so that each connection\'s process can become the user who logged in',
    instead: 'keep it starting as root: each client session already runs as its own user',
    source: 'https://www.samba.org/samba/docs/current/man-html/smbd.8.html',
  },
  {
    names: ['servicemonitor.exe'],
    kind: 'init',
    why: 'ServiceMonitor.exe starts and watches a Windows service (IIS\'s W3SVC), and starting a service needs ContainerAdministrator',
    instead: IIS_START.instead,
    source: IIS_START.source,
  },
  {
    names: ['certbot'],
    kind: 'drops-privileges',
    why: 'certbot keeps its accounts, certificates and logs in /etc/letsencrypt, /var/lib/letsencrypt and /var/log/letsencrypt, which only root may write ("Either run as root, or set --config-dir, --work-dir, and --logs-dir to writeable paths")',
    instead: 'keep it root, or pass --config-dir, --work-dir and --logs-dir on folders (volumes) the new user owns, then add USER',
    source: 'https://eff-certbot.readthedocs.io/en/stable/using.html#running-with-docker',
  },
  {
    names: ['wg-quick', 'tailscaled'],
    kind: 'init',
    why: 'it creates network interfaces, routes and firewall rules (wg-quick refuses to run as anyone but root), which needs root with NET_ADMIN',
    instead: 'keep the container starting as root with only the capabilities it needs (cap_add NET_ADMIN, cap_drop the rest), or run tailscaled in userspace networking (--tun=userspace-networking) with its state in a folder the user owns',
    source: 'https://man7.org/linux/man-pages/man8/wg-quick.8.html',
  },
  {
    names: ['sysctl', 'iptables', 'ip6tables', 'iptables-restore', 'ip6tables-restore', 'nft', 'ipsec', 'charon', 'modprobe'],
    kind: 'init',
    why: 'it changes kernel settings, firewall rules or IPsec state (sysctl -w, iptables, ipsec start), which needs root with NET_ADMIN (sysctl: permission denied, iptables: Permission denied (you must be root))',
    instead: 'keep the container starting as root with only the capabilities it needs (cap_add NET_ADMIN, cap_drop the rest), and set kernel parameters with the run\'s --sysctl (compose sysctls:) instead of sysctl -w',
    source: 'https://docs.docker.com/reference/cli/docker/container/run/#sysctl',
  },
  {
    names: ['gitlab-runner'],
    kind: 'drops-privileges',
    why: 'gitlab-runner runs as root to read /etc/gitlab-runner/config.toml and to start jobs as the user given with --user',
    instead: 'keep it starting as root (jobs already run as --user), or use the gitlab/gitlab-runner image\'s own non-root setup with a config folder the user owns',
    source: 'https://docs.gitlab.com/runner/install/docker/',
  },
  {
    names: ['cron', 'crond', 'anacron'],
    kind: 'scheduler',
    why: 'cron runs as root: it reads the system crontabs and switches to each job\'s user',
    instead: 'use a scheduler that runs as an ordinary user, such as supercronic (https://github.com/aptible/supercronic), with the crontab of the app user, and add USER',
    source: 'https://github.com/aptible/supercronic',
  },
];

/** `httpd -p [IP:]PORT` (or `-pPORT`): `-p` is BusyBox's httpd, Apache's has no such option. */
function busyboxHttpd(args: string[]): boolean {
  return args.some((a) => /^-p/.test(a));
}

/** A RootProgram's reasons as an image's own start (its ENTRYPOINT is that program). */
function programStart(name: string): RootStart {
  const program = ROOT_PROGRAMS.find((p) => p.names.includes(name))!;
  return { why: `its entrypoint, ${name}: ${program.why}`, instead: program.instead, source: program.source };
}

/**
 * The root-only program a command line starts, by base name (`/usr/sbin/cron` -> cron), with that
 * name; with `firstWordOnly`, only its first word is the program (the rest are its arguments).
 */
export function rootProgramIn(words: string[], options: { firstWordOnly?: boolean } = {}): { program: RootProgram; name: string } | null {
  for (const [i, word] of words.entries()) {
    if (options.firstWordOnly && i > 0) break;
    // Windows paths (C:\\ServiceMonitor.exe) and names are read without case.
    const base = word.replace(/^.*[/\\]/, '');
    const name = /\.exe$/i.test(base) ? base.toLowerCase() : base;
    // BusyBox's httpd is one process that needs root only for a port below 1024, which Docker lets
    // any user bind in a container (-u drops to a user after binding); Apache's must start as root.
    if (name === 'httpd' && ((i > 0 && words[i - 1]!.replace(/^.*\//, '') === 'busybox') || busyboxHttpd(words.slice(i + 1)))) continue;
    const program = ROOT_PROGRAMS.find((p) => p.names.includes(name) || p.paths?.includes(word));
    if (program) return { program, name: base };
  }
  return null;
}
