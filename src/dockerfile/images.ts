/**
 * What we know about common base images, kept as data: the distribution family (which decides how
 * a user is created), the user an image ships or runs as, and the smaller variant with the rule
 * that makes its tag. A rule only maps a tag shape the image really publishes; any other tag gets
 * no suggestion rather than an invented one.
 */

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
}

/** A smaller image for the same job, and what it gives up. */
export interface SmallerImage {
  /** The full replacement reference, e.g. `node:20-slim`. */
  reference: string;
  /** What the smaller image lacks, in plain words. */
  lacks: string;
}

export type Toolchain = 'go' | 'rust' | 'jdk' | 'maven' | 'gradle' | 'build-deps';

interface ImageRule {
  /** Canonical names this rule covers (Docker Hub official images without `library/`). */
  names?: string[];
  /** Or a prefix of the canonical name (a registry path). */
  prefix?: string;
  family: ImageFamily | ((tag: string) => ImageFamily);
  /** A user that exists in the image and that the app can run as. */
  ships?: ImageUser;
  /** The user the image runs as when the Dockerfile sets none (only when it is not root). */
  runsAs?: (tag: string) => ImageUser | null;
  /** Why `USER <shipped user>` alone is not the right fix (the image drops privileges itself, or needs more). */
  userNote?: string;
  /** Propose `USER` automatically for this image. False when the image needs more than that. */
  autoUser?: boolean;
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

function temurinJre(major: number | null, variantSuffix: string): SmallerImage | null {
  if (major === null || !TEMURIN_JRE_MAJORS.includes(major)) return null;
  return { reference: `eclipse-temurin:${major}-jre${variantSuffix}`, lacks: 'the compiler (javac), jlink and the other JDK tools; the app runs the same' };
}

/** `-alpine`, `-jammy`, `-noble`... kept when moving to a JRE image that publishes that variant. */
function javaVariantSuffix(tag: string): string {
  if (/alpine/.test(tag)) return '-alpine';
  for (const s of ['noble', 'jammy', 'focal']) if (tag.includes(s)) return `-${s}`;
  return '';
}

const RULES: ImageRule[] = [
  { names: ['scratch'], family: 'scratch' },
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
  { names: ['fedora', 'centos', 'rockylinux', 'almalinux', 'amazonlinux', 'oraclelinux', 'redhat/ubi8', 'redhat/ubi9'], family: 'rhel' },
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
    names: ['openjdk'],
    family: (tag) => familyFromTag(tag, 'debian'),
    javaMajor: (tag) => leadingNumber(tag),
    smaller(tag) {
      if (/jre/.test(tag)) return null;
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
    ships: { name: 'nonroot', uid: 65532, gid: 65532 },
    runsAs: (tag) => (/nonroot/.test(tag) ? { name: 'nonroot', uid: 65532, gid: 65532 } : null),
  },
  {
    prefix: 'cgr.dev/chainguard/',
    family: 'wolfi',
    ships: { name: 'nonroot', uid: 65532, gid: 65532 },
    runsAs: (tag) => (/(^|-)dev$/.test(tag) ? null : { name: 'nonroot', uid: 65532, gid: 65532 }),
  },
  { names: ['nginxinc/nginx-unprivileged'], family: (tag) => familyFromTag(tag, 'debian'), ships: { name: 'nginx', uid: 101, gid: 101 }, runsAs: () => ({ name: 'nginx', uid: 101, gid: 101 }) },
  { prefix: 'bitnami/', family: 'debian', runsAs: () => ({ name: '1001', uid: 1001, gid: 0 }) },
  { names: ['jenkins/jenkins'], family: (tag) => familyFromTag(tag, 'debian'), ships: { name: 'jenkins', uid: 1000, gid: 1000 }, runsAs: () => ({ name: 'jenkins', uid: 1000, gid: 1000 }) },
  { names: ['grafana/grafana'], family: 'alpine', ships: { name: 'grafana', uid: 472, gid: 0 }, runsAs: () => ({ name: 'grafana', uid: 472, gid: 0 }) },
  {
    names: ['nginx'],
    family: (tag) => familyFromTag(tag, 'debian'),
    ships: { name: 'nginx', uid: 101, gid: 101 },
    autoUser: false,
    userNote:
      'nginx as a non-root user needs a listen port of 1024 or more and writable cache and pid paths; the image nginxinc/nginx-unprivileged (same tags) is built for that and listens on 8080',
  },
  {
    names: ['httpd'],
    family: (tag) => familyFromTag(tag, 'debian'),
    autoUser: false,
    userNote: 'httpd starts as root and serves as www-data; to run it non-root, make it listen on a port of 1024 or more and give www-data its log and pid paths',
  },
  ...(['postgres', 'redis', 'mongo', 'mysql', 'mariadb', 'rabbitmq'] as const).map(
    (name): ImageRule => ({
      names: [name],
      family: (tag) => familyFromTag(tag, name === 'mongo' ? 'ubuntu' : 'debian'),
      ships: { name: name === 'mongo' ? 'mongodb' : name === 'mariadb' ? 'mysql' : name, uid: 999, gid: 999 },
      userNote: `the ${name} image starts as root only to fix the data directory's owner, then drops to its own user; USER works when the data volume already belongs to that user`,
    }),
  ),
  {
    prefix: 'mcr.microsoft.com/windows',
    family: 'windows',
    ships: { name: 'ContainerUser', uid: -1, gid: -1 },
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

/** `node`, `bitnami/redis`, `gcr.io/distroless/static-debian12`. */
export function canonicalName(ref: ImageRef): string {
  return ref.registry ? `${ref.registry}/${ref.repository}` : ref.repository;
}

function ruleFor(ref: ImageRef): ImageRule | undefined {
  const name = canonicalName(ref).toLowerCase();
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
  toolchain?: Toolchain;
  javaMajor?: number;
  /** A smaller variant of this exact tag, when one is published. */
  smaller?: SmallerImage;
}

export function describeImage(ref: ImageRef): ImageKnowledge {
  const rule = ruleFor(ref);
  const tag = effectiveTag(ref);
  if (!rule) {
    const name = canonicalName(ref).toLowerCase();
    // A few families are plain from the name alone, whoever publishes the image.
    const family: ImageFamily = /alpine/.test(name) || /alpine/.test(tag) ? 'alpine' : /distroless/.test(name) ? 'distroless' : 'unknown';
    return { known: false, family, autoUser: true };
  }
  const family = typeof rule.family === 'function' ? rule.family(tag) : rule.family;
  const runsAs = rule.runsAs?.(tag) ?? undefined;
  const smaller = rule.smaller?.(tag) ?? undefined;
  const javaMajor = rule.javaMajor?.(tag) ?? undefined;
  return {
    known: true,
    family,
    ...(rule.ships ? { ships: rule.ships } : {}),
    ...(runsAs ? { runsAs } : {}),
    autoUser: rule.autoUser ?? true,
    ...(rule.userNote ? { userNote: rule.userNote } : {}),
    ...(rule.toolchain ? { toolchain: rule.toolchain } : {}),
    ...(javaMajor !== undefined ? { javaMajor } : {}),
    ...(smaller ? { smaller } : {}),
  };
}

/** A tag that follows whatever is newest: none at all, or `latest`. */
export function isFloatingTag(ref: ImageRef): boolean {
  return ref.digest === null && (ref.tag === null || ref.tag === 'latest');
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
export function createUserCommand(family: ImageFamily): string | null {
  switch (family) {
    case 'debian':
    case 'ubuntu':
    case 'rhel':
      return `groupadd --system --gid ${APP_UID} app && useradd --system --uid ${APP_UID} --gid app --no-create-home --shell /usr/sbin/nologin app`;
    case 'alpine':
    case 'busybox':
      return `addgroup -S -g ${APP_UID} app && adduser -S -D -H -u ${APP_UID} -G app app`;
    default:
      return null;
  }
}
