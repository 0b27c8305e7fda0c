/**
 * Finding codes that belong to no one step: what the engine reports when a step fails, and what
 * every host step reports when the daemon cannot be asked. Steps declare their own codes in
 * `meta.codes`; `explain CODE`, SARIF rules and ignores look in both.
 */
import type { CodeInfo } from './step.js';

export const SHARED_CODES: Record<string, CodeInfo> = {
  'DH-CHECK-ERROR': {
    title: 'The check could not run',
    severity: 'high',
    help: 'The step stopped with an error (a file that does not parse, a command that failed). The message names the file and line; fix it and check again.',
  },
  'DH-FIX-ERROR': {
    title: 'No fix could be computed',
    severity: 'info',
    help: 'The check ran, but working out the change failed. The finding stands; the message says why the fix could not be computed.',
  },
  'DH-DAEMON-UNREACHABLE': {
    title: 'The Docker daemon does not answer',
    severity: 'high',
    help: 'Host checks ask dockerd through its socket. Start dockerd, or point docker-harden at it (--host, DOCKER_HOST or a context), and run again as a user who may use the socket.',
  },
  'DH-DAEMON-JSON-INVALID': {
    title: 'daemon.json cannot be read as dockerd reads it',
    severity: 'high',
    help: 'dockerd refuses to start with an invalid /etc/docker/daemon.json. Fix the place the message names (JSON syntax, unknown key, wrong type); docker-harden changes nothing in it until then.',
  },
};
