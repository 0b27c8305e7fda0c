/**
 * docker-harden as a Docker CLI plugin: the metadata the docker client asks for, and
 * `plugin install`, which links this executable into the client's plugin directory
 * (`$DOCKER_CONFIG/cli-plugins`, default `~/.docker/cli-plugins`) as `docker-harden`, so that
 * `docker harden ...` runs it. The client passes the plugin name first (`docker-harden harden
 * check`); bin/docker-harden.js drops it.
 */
import { promises as fs, constants as fsc } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Args } from '../args.js';
import type { Io } from './batch.js';
import { UserError } from '../core/errors.js';
import { describeFsError } from '../core/change.js';
import { packageRoot } from '../core/paths.js';
import { safeLine } from '../core/sanitize.js';

export const PLUGIN_NAME = 'docker-harden';

/** What `docker-harden docker-cli-plugin-metadata` answers (the docker CLI's plugin metadata, schema 0.1.0). */
export function pluginMetadata(version: string): Record<string, string> {
  return {
    SchemaVersion: '0.1.0',
    Vendor: 'docker-harden',
    Version: version,
    ShortDescription: 'Harden a Docker host and Dockerfiles, one explained step at a time',
    URL: 'https://github.com/docker-harden/docker-harden',
  };
}

/** The docker client's plugin directory for this environment. */
export function pluginDir(env: Readonly<Record<string, string | undefined>>): string {
  const config = env.DOCKER_CONFIG || path.join(env.HOME || os.homedir(), '.docker');
  return path.join(config, 'cli-plugins');
}

/** The executable to link: this package's bin/docker-harden.js, with links resolved. */
export async function pluginExecutable(): Promise<string> {
  return fs.realpath(path.join(packageRoot(), 'bin', 'docker-harden.js'));
}

/** A link we made (to a docker-harden bin/docker-harden.js), which install may replace. */
async function isOurs(file: string): Promise<boolean> {
  try {
    const target = await fs.readlink(file);
    return /(^|\/)bin\/docker-harden\.js$/.test(target);
  } catch {
    return false;
  }
}

export async function pluginCommand(args: Args, io: Io): Promise<number> {
  const action = args.positional[0];
  const out = (line: string) => io.stdout.write(line + '\n');
  if (action !== 'install' && action !== 'uninstall') {
    throw new UserError(
      action ? `unknown plugin action "${action}"` : 'plugin needs an action',
      'Run `docker-harden plugin install` to make `docker harden` work, or `docker-harden plugin uninstall` to remove it.',
    );
  }
  const dir = pluginDir(io.env);
  const link = path.join(dir, PLUGIN_NAME);
  const existing = await fs.lstat(link).catch(() => null);

  if (action === 'uninstall') {
    if (!existing) {
      out(`Nothing to remove: ${safeLine(link)} does not exist.`);
      return 0;
    }
    if (!(await isOurs(link)) && !args.force) {
      throw new UserError('is not a link docker-harden made; it was left alone', 'Remove it yourself, or pass --force.', link);
    }
    await fs.unlink(link).catch((err) => {
      throw describeFsError(err, link, 'remove');
    });
    out(`Removed ${safeLine(link)}; \`docker harden\` is gone.`);
    return 0;
  }

  const executable = await pluginExecutable();
  // The docker client runs the plugin file directly: the script must be executable.
  try {
    await fs.access(executable, fsc.X_OK);
  } catch {
    const mode = (await fs.stat(executable)).mode;
    await fs.chmod(executable, mode | 0o111).catch((err) => {
      throw describeFsError(err, executable, 'make executable');
    });
  }
  if (existing) {
    const current = existing.isSymbolicLink() ? await fs.readlink(link) : null;
    if (current === executable) {
      out(`Already installed: ${safeLine(link)} -> ${safeLine(executable)}`);
      return 0;
    }
    if (!(await isOurs(link)) && !args.force) {
      throw new UserError(
        'already exists and is not a link docker-harden made; it was left alone',
        'Look at what it is, then pass --force to replace it.',
        link,
      );
    }
    if (existing.isDirectory()) throw new UserError('is a directory; it was left alone', 'Move it away and run `docker-harden plugin install` again.', link);
  }
  await fs.mkdir(dir, { recursive: true, mode: 0o755 }).catch((err) => {
    throw describeFsError(err, dir, 'create');
  });
  // Made beside the final name and renamed over it, so a failed install leaves what was there.
  const temp = path.join(dir, `.${PLUGIN_NAME}.${process.pid}.tmp`);
  await fs.unlink(temp).catch(() => undefined);
  try {
    await fs.symlink(executable, temp);
    await fs.rename(temp, link);
  } catch (err) {
    await fs.unlink(temp).catch(() => undefined);
    throw describeFsError(err, link, 'create the link');
  }
  out(`Installed: ${safeLine(link)} -> ${safeLine(executable)}`);
  out('Try it: docker harden --help');
  return 0;
}
