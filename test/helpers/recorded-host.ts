/**
 * A recorded Docker host: HostFacts that replay `docker info`, `docker version` and
 * `docker inspect` output, for what the real test dockerd (Debian's 20.10) cannot be: a newer
 * Engine, a rootless daemon, a host with AppArmor or SELinux, published ports below 1024.
 * The shapes follow the Engine API's own JSON; fields a step does not read may be left out.
 */
import type { ContainerDetails, DaemonConfigFile, DaemonProcess, DockerInfo, DockerVersion, HostFacts, ImageDetails, ServiceUnits } from '../../src/host/facts.js';
import { UserError } from '../../src/core/errors.js';

export interface RecordedHost {
  endpoint?: string;
  info: DockerInfo;
  version?: DockerVersion;
  /** Partial inspect output; HostConfig, Mounts and Config default to empty. */
  containers?: Partial<Omit<ContainerDetails, 'HostConfig' | 'Config'>> & { Name: string; HostConfig?: Record<string, unknown>; Config?: Record<string, unknown> }[];
  images?: number;
  volumes?: number;
  /** daemon.json; `text` is parsed when `value` is not given. An `invalid` error replays a rejected file. */
  config?: { path?: string; text: string | null; source?: DaemonConfigFile['source']; invalid?: UserError };
  process?: DaemonProcess | null;
  units?: ServiceUnits;
}

export function recordedHost(r: RecordedHost): HostFacts {
  const containers = (r.containers ?? []).map(
    (c, i) =>
      ({
        Id: `${String(i).padStart(2, '0')}${'0'.repeat(62)}`,
        Mounts: [],
        AppArmorProfile: '',
        ...c,
        HostConfig: { ...(c.HostConfig ?? {}) },
        Config: { Labels: {}, ...(c.Config ?? {}) },
      }) as unknown as ContainerDetails,
  );
  const config = r.config ?? { text: null };
  return {
    endpoint: r.endpoint ?? 'unix:///var/run/docker.sock',
    ping: async () => undefined,
    info: async () => r.info,
    version: async () => r.version ?? { Version: r.info.ServerVersion },
    containers: async () => containers,
    images: async () => Array.from({ length: r.images ?? 0 }, (_, i): ImageDetails => ({ Id: `sha256:${i}`, RepoTags: [], RepoDigests: [], Size: 0 })),
    volumeCount: async () => r.volumes ?? 0,
    daemonConfig: async () => {
      if (config.invalid) throw config.invalid;
      return {
        path: config.path ?? '/etc/docker/daemon.json',
        source: config.source ?? 'default',
        text: config.text,
        value: config.text ? (JSON.parse(config.text) as Record<string, unknown>) : {},
      };
    },
    daemonProcess: async () => r.process ?? null,
    serviceUnits: async () => r.units ?? { manager: 'none', execStart: null, execStartFlags: [], unitFiles: [], socketListen: [], socketUnitFile: null },
    rootless: async () => (r.info.SecurityOptions ?? []).includes('name=rootless'),
  };
}

/** `docker info` of a fresh Docker Engine 29 on Ubuntu 24.04 (containerd image store, AppArmor). */
export const ENGINE_29_INFO: DockerInfo = {
  ServerVersion: '29.2.0',
  Driver: 'overlayfs',
  DriverStatus: [['driver-type', 'io.containerd.snapshotter.v1']],
  SecurityOptions: ['name=apparmor', 'name=seccomp,profile=builtin', 'name=cgroupns'],
  DockerRootDir: '/var/lib/docker',
  Containers: 0,
  Images: 0,
  Swarm: { LocalNodeState: 'inactive' },
};
