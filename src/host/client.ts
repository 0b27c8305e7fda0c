// PLACEHOLDER: the dockerode-backed HostFacts is built here.
import type { HostFacts } from './facts.js';
import { HostUnavailableError } from './facts.js';
import type { Probe } from '../core/probe.js';

export interface HostOptions {
  dockerHost?: string;
  daemonConfigPath?: string;
  env: Readonly<Record<string, string | undefined>>;
  probe: Probe;
}

export function createHostFacts(_options: HostOptions): HostFacts {
  const no = () => Promise.reject(new HostUnavailableError('not implemented', ''));
  return {
    endpoint: 'unix:///var/run/docker.sock',
    ping: no, info: no, version: no, containers: no, images: no, volumeCount: no,
    daemonConfig: no, daemonProcess: no, serviceUnits: no, rootless: no,
  };
}
