/** The step registry: every step, in the order of the seed list. Adding a step is adding it here. */
import type { Step, StepId } from '../src/core/step.js';
import useDockerDefaults from './01-use-docker-defaults.js';
import scanHostConfig from './02-scan-host-config.js';
import protectDockerSocket from './03-protect-docker-socket.js';
import nonRootUser from './04-non-root-user.js';
import dependencyScanning from './05-dependency-scanning.js';
import slimBaseImage from './06-slim-base-image.js';
import multiStageBuild from './07-multi-stage-build.js';
import userNamespaces from './08-user-namespaces.js';
import runtimeMonitoring from './09-runtime-monitoring.js';
import contentTrust from './10-content-trust.js';
import seccompApparmorCapabilities from './11-seccomp-apparmor-capabilities.js';
import rootlessDocker from './12-rootless-docker.js';
import securityPlatforms from './13-security-platforms.js';

export const steps: readonly Step[] = [
  useDockerDefaults,
  scanHostConfig,
  protectDockerSocket,
  nonRootUser,
  dependencyScanning,
  slimBaseImage,
  multiStageBuild,
  userNamespaces,
  runtimeMonitoring,
  contentTrust,
  seccompApparmorCapabilities,
  rootlessDocker,
  securityPlatforms,
];

/** The step ids, in order. */
export const STEP_IDS: readonly StepId[] = steps.map((s) => s.meta.id);

export function stepById(id: string): Step | undefined {
  return steps.find((s) => s.meta.id === id);
}
