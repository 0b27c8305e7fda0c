/**
 * What docker-harden knows about a Docker host. Every fact is loaded lazily and cached for the
 * run; a test or the learn sandbox supplies another implementation (see recorded.ts).
 */
import type Docker from 'dockerode';

export type DockerInfo = Record<string, unknown> & {
  ServerVersion?: string;
  SecurityOptions?: string[];
  LiveRestoreEnabled?: boolean;
  Driver?: string;
  Swarm?: { LocalNodeState?: string };
  DockerRootDir?: string;
  Images?: number;
  Containers?: number;
};

export type DockerVersion = Record<string, unknown> & { Version?: string; ApiVersion?: string };

export type ContainerDetails = Docker.ContainerInspectInfo;

export interface ImageDetails {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Size: number;
}

/** daemon.json as found: where, its text, and its value when it parses as dockerd would. */
export interface DaemonConfigFile {
  path: string;
  /** Why this path: `--daemon-config`, the daemon's `--config-file`, rootless, or the default. */
  source: 'option' | 'flag' | 'rootless' | 'default';
  /** null when the file does not exist (dockerd then runs on defaults). */
  text: string | null;
  /** The parsed object ({} when absent). Only set when the file is valid. */
  value: Record<string, unknown>;
  /** Last modification (ms since the epoch): later than the daemon's start means not yet live. */
  modifiedMs?: number;
}

/** A dockerd command-line flag: `--icc=false` -> { name: 'icc', value: 'false' }. */
export interface DaemonFlag {
  name: string;
  value: string | null;
}

export interface DaemonProcess {
  pid: number;
  argv: string[];
  flags: DaemonFlag[];
  /** When the process started (ms since the epoch), when /proc tells. */
  startedMs?: number;
  /** The user it runs as (not 0 for a rootless daemon). */
  uid?: number;
}

export interface ServiceUnits {
  manager: 'systemd' | 'openrc' | 'sysv' | 'none';
  /** docker.service ExecStart (after drop-ins) split into argv, with its flags. */
  execStart: string[] | null;
  execStartFlags: DaemonFlag[];
  /** The file (unit or drop-in) whose ExecStart is in force. */
  execStartFile?: string;
  /** Files that define the service: the unit and its drop-ins, in order. */
  unitFiles: string[];
  /** docker.socket ListenStream values. */
  socketListen: string[];
  socketUnitFile: string | null;
}

export interface HostFacts {
  /** How the daemon is reached (unix:///var/run/docker.sock, tcp://..., ssh://...). */
  readonly endpoint: string;
  /** Resolves when the daemon answers; rejects with HostUnavailableError saying why and what to do. */
  ping(): Promise<void>;
  info(): Promise<DockerInfo>;
  version(): Promise<DockerVersion>;
  /** Running containers, each inspected. */
  containers(): Promise<ContainerDetails[]>;
  images(): Promise<ImageDetails[]>;
  volumeCount(): Promise<number>;
  /** daemon.json located and validated as strictly as dockerd does; rejects with UserError (line, column) when invalid. */
  daemonConfig(): Promise<DaemonConfigFile>;
  /** The running dockerd's command line, or null when it cannot be seen (remote daemon, no permission). */
  daemonProcess(): Promise<DaemonProcess | null>;
  serviceUnits(): Promise<ServiceUnits>;
  /** True when the daemon runs rootless (`name=rootless` in SecurityOptions). */
  rootless(): Promise<boolean>;
  /**
   * Forget cached facts (after dockerd was restarted or daemon.json written): the next call reads
   * them again. DaemonControl calls it after a restart, so a re-check sees the new daemon.
   */
  refresh?(): void;
  /**
   * Start the reads a whole host check makes, together, without waiting: the daemon answers them
   * while the dockerd process is found in /proc. Each answer (or error) waits for the step that asks.
   */
  warmUp?(): void;
}

export class HostUnavailableError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'HostUnavailableError';
  }
}
