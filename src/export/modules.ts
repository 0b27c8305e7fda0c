/**
 * The two Ansible modules shipped beside the exported playbook (in its `library/` folder, which
 * ansible-playbook loads by itself). They run on each server with nothing but Python 3: one reads,
 * checks, writes and restores daemon.json; the other asks dockerd over its socket whether the
 * decided settings are live. Kept here as text because they are files the export writes, not code
 * this program runs. Over 400 lines because the two modules are whole files, kept together.
 */

export const DAEMON_JSON_MODULE = String.raw`#!/usr/bin/python3
# Written by docker-harden export ansible. Reads daemon.json and dockerd's command line, refuses a
# decided key that dockerd also gets as a flag or a file dockerd would not read, then sets and
# removes exactly the decided keys, keeping every other key, with a backup beside the file.
import copy
import datetime
import errno
import json
import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule

MAX_BYTES = 1024 * 1024


class Duplicate(Exception):
    pass


def no_duplicates(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise Duplicate(key)
        seen[key] = value
    return seen


def no_constants(name):
    raise ValueError('%s is not JSON' % name)


def read_file(module, path):
    """The file's bytes, or None when it does not exist. A symbolic link is never followed."""
    try:
        info = os.lstat(path)
    except OSError as err:
        if err.errno == errno.ENOENT:
            return None, None
        module.fail_json(msg='%s: cannot read it: %s' % (path, err.strerror))
    if stat.S_ISLNK(info.st_mode):
        module.fail_json(msg='%s is a symbolic link; docker-harden does not write through links. Point docker_harden_daemon_json at the real file.' % path)
    if not stat.S_ISREG(info.st_mode):
        module.fail_json(msg='%s is not a regular file' % path)
    if info.st_size > MAX_BYTES:
        module.fail_json(msg='%s is larger than %d bytes; not a daemon.json docker-harden will edit' % (path, MAX_BYTES))
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, 'rb') as handle:
        return handle.read(MAX_BYTES + 1), info


def parse_config(module, path, data):
    if data is None:
        return {}
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError:
        module.fail_json(msg='%s is not UTF-8 text; dockerd would not start with it. Nothing was changed.' % path)
    if text.strip() == '':
        return {}
    try:
        value = json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_constants)
    except Duplicate as dup:
        module.fail_json(msg='%s: the key "%s" appears twice; dockerd would not start with it. Fix the file first; nothing was changed.' % (path, dup.args[0]))
    except ValueError as err:
        where = ''
        if hasattr(err, 'lineno'):
            where = ' (line %d, column %d)' % (err.lineno, err.colno)
        module.fail_json(msg='%s is not valid JSON%s: %s. dockerd would not start with it; fix the file first. Nothing was changed.' % (path, where, getattr(err, 'msg', str(err))))
    if not isinstance(value, dict):
        module.fail_json(msg='%s must hold one JSON object; nothing was changed.' % path)
    return value


def dockerd_argv(module, pidfile):
    try:
        with open(pidfile, 'r') as handle:
            pid = int(handle.read(64).strip())
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            raw = handle.read(MAX_BYTES)
    except (OSError, ValueError) as err:
        module.fail_json(msg='cannot read the running dockerd through its pid file %s (%s); set docker_harden_dockerd_pidfile. Nothing was changed.' % (pidfile, err))
    argv = [part.decode('utf-8', 'replace') for part in raw.split(b'\0')]
    if argv and argv[-1] == '':
        argv.pop()
    if not argv or os.path.basename(argv[0]) != 'dockerd':
        module.fail_json(msg='pid %d from %s is not dockerd; nothing was changed.' % (pid, pidfile))
    return pid, argv[1:]


def parse_flags(args, knowledge):
    """dockerd's flags as (name, value) with canonical long names, like docker-harden's own parser."""
    short = knowledge['short']
    aliases = knowledge['aliases']
    booleans = set(knowledge['boolean'])
    flags = []
    i = 0
    while i < len(args):
        token = args[i]
        if token == '--':
            break
        if token.startswith('--'):
            name, eq, value = token[2:].partition('=')
            name = aliases.get(name, name)
            if name:
                if eq:
                    flags.append((name, value))
                elif name in booleans:
                    flags.append((name, None))
                elif i + 1 < len(args):
                    i += 1
                    flags.append((name, args[i]))
                else:
                    flags.append((name, None))
        elif token.startswith('-') and len(token) > 1:
            j = 1
            while j < len(token):
                name = short.get(token[j], token[j])
                if name in booleans:
                    if token[j + 1:j + 2] == '=':
                        flags.append((name, token[j + 2:]))
                        break
                    flags.append((name, None))
                    j += 1
                    continue
                rest = token[j + 1:]
                if rest.startswith('='):
                    rest = rest[1:]
                if rest:
                    flags.append((name, rest))
                elif i + 1 < len(args):
                    i += 1
                    flags.append((name, args[i]))
                else:
                    flags.append((name, None))
                break
        i += 1
    return flags


def flag_key(name, knowledge):
    if name in knowledge['no_key']:
        return None
    return knowledge['keys'].get(name, name)


def canonical(value):
    return json.dumps(value, sort_keys=True)


def indent_of(text):
    for line in text.splitlines()[1:]:
        stripped = line.lstrip(' \t')
        if stripped and len(stripped) < len(line):
            lead = line[:len(line) - len(stripped)]
            return '\t' if lead.startswith('\t') else len(lead)
    return 2


def write_atomic(module, path, data, like):
    directory = os.path.dirname(path) or '.'
    fd, temp = tempfile.mkstemp(prefix='.docker-harden-', dir=directory)
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            handle.flush()
            if like is not None:
                os.fchmod(handle.fileno(), stat.S_IMODE(like.st_mode))
                os.fchown(handle.fileno(), like.st_uid, like.st_gid)
            else:
                os.fchmod(handle.fileno(), 0o644)
            os.fsync(handle.fileno())
        if like is not None and hasattr(os, 'listxattr'):
            try:
                for name in os.listxattr(path, follow_symlinks=False):
                    os.setxattr(temp, name, os.getxattr(path, name, follow_symlinks=False), follow_symlinks=False)
            except OSError:
                pass
        os.rename(temp, path)
    except Exception as err:
        try:
            os.unlink(temp)
        except OSError:
            pass
        module.fail_json(msg='%s: could not write it (%s); the file was left as it was.' % (path, err))


def restore(module, path, backup, absent):
    if absent:
        data, info = read_file(module, path)
        if data is not None and not module.check_mode:
            os.unlink(path)
        module.exit_json(changed=data is not None, path=path, restored='absent')
    data, info = read_file(module, backup)
    if data is None:
        module.fail_json(msg='the backup %s is missing; %s was left as it is' % (backup, path))
    current, like = read_file(module, path)
    if current == data:
        module.exit_json(changed=False, path=path, restored=backup)
    if not module.check_mode:
        write_atomic(module, path, data, like or info)
    module.exit_json(changed=True, path=path, restored=backup)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type='str', required=True),
            pidfile=dict(type='str', default='/var/run/docker.pid'),
            set=dict(type='dict', default={}),
            merge=dict(type='dict', default={}),
            remove=dict(type='list', elements='str', default=[]),
            knowledge=dict(type='dict', default={}),
            reloadable=dict(type='list', elements='str', default=[]),
            restore_from=dict(type='str'),
            restore_absent=dict(type='bool', default=False),
        ),
        supports_check_mode=True,
    )
    p = module.params
    path = p['path']
    if p['restore_from'] or p['restore_absent']:
        restore(module, path, p['restore_from'], p['restore_absent'])

    data, info = read_file(module, path)
    config = parse_config(module, path, data)
    pid, args = dockerd_argv(module, p['pidfile'])
    flags = parse_flags(args, p['knowledge'])

    for name, value in flags:
        if name == 'config-file' and value and os.path.realpath(value) != os.path.realpath(path):
            module.fail_json(msg='dockerd (pid %d) reads %s (--config-file), not %s; set docker_harden_daemon_json to the file it reads. Nothing was changed.' % (pid, value, path))

    decided = dict(p['set'])
    decided.update(dict.fromkeys(p['merge']))
    as_flags = {}
    for name, value in flags:
        key = flag_key(name, p['knowledge'])
        if key in decided and key != 'runtimes':
            as_flags.setdefault(key, []).append('--%s' % name if value is None else '--%s=%s' % (name, value))
    if as_flags:
        listed = '; '.join('"%s" by %s' % (key, ', '.join(shown)) for key, shown in sorted(as_flags.items()))
        module.fail_json(
            msg='dockerd (pid %d) already gets %s on its command line: writing the same key%s to %s would stop dockerd from starting. '
                'Move the setting into one place (the service unit or the file) and run again. Nothing was changed.'
                % (pid, listed, '' if len(as_flags) == 1 else 's', path),
            conflicts=sorted(as_flags),
        )

    after = copy.deepcopy(config)
    changed_keys = []
    for key, value in p['set'].items():
        if key not in config or canonical(config[key]) != canonical(value):
            changed_keys.append(key)
        after[key] = value
    # An object key gets the decided entries; the server's other entries stay.
    for key, entries in p['merge'].items():
        current = after.get(key)
        merged = dict(current) if isinstance(current, dict) else {}
        merged.update((entries or {}).get('set') or {})
        for name in (entries or {}).get('remove') or []:
            merged.pop(name, None)
        if key not in config or canonical(config[key]) != canonical(merged):
            changed_keys.append(key)
        after[key] = merged
    for key in p['remove']:
        if key in after:
            changed_keys.append(key)
            del after[key]

    before_text = data.decode('utf-8') if data is not None else ''
    if not changed_keys:
        module.exit_json(changed=False, path=path, pid=pid, changed_keys=[], action='none')
    after_text = json.dumps(after, indent=indent_of(before_text), ensure_ascii=False) + '\n'
    reloadable = set(p['reloadable'])
    action = 'reload' if all(key in reloadable for key in changed_keys) else 'restart'
    result = dict(
        changed=True,
        path=path,
        pid=pid,
        changed_keys=changed_keys,
        action=action,
        created=data is None,
        diff=dict(before=before_text, after=after_text, before_header=path, after_header=path),
    )
    if module.check_mode:
        module.exit_json(**result)

    if data is not None:
        stamp = datetime.datetime.now(datetime.timezone.utc).strftime('%Y%m%dT%H%M%S%fZ')
        backup = '%s.docker-harden-%s.bak' % (path, stamp)
        fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
            os.fsync(handle.fileno())
        result['backup'] = backup
    write_atomic(module, path, after_text.encode('utf-8'), info)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
`;

export const LIVE_MODULE = String.raw`#!/usr/bin/python3
# Written by docker-harden export ansible. Waits (bounded) until dockerd answers on its socket and,
# after a restart, runs as a new process; then compares the decided settings with docker info.
import http.client
import json
import socket
import time

from ansible.module_utils.basic import AnsibleModule


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout):
        http.client.HTTPConnection.__init__(self, 'localhost', timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


def connection(docker_host, timeout):
    if docker_host.startswith('unix://'):
        return UnixConnection(docker_host[len('unix://'):], timeout)
    if docker_host.startswith('tcp://'):
        hostport = docker_host[len('tcp://'):].rstrip('/')
        return http.client.HTTPConnection(hostport, timeout=timeout)
    raise ValueError('docker_harden_docker_host must be unix:///path or tcp://host:port, not %s' % docker_host)


def docker_info(docker_host):
    conn = connection(docker_host, 5)
    try:
        conn.request('GET', '/info')
        response = conn.getresponse()
        body = response.read(4 * 1024 * 1024)
        if response.status != 200:
            raise OSError('GET /info answered %d' % response.status)
        return json.loads(body.decode('utf-8'))
    finally:
        conn.close()


def version_tuple(text):
    parts = []
    for piece in str(text).split('.')[:2]:
        digits = ''
        for ch in piece:
            if not ch.isdigit():
                break
            digits += ch
        parts.append(int(digits or 0))
    return tuple(parts)


def read_live(info, spec):
    """The live value, or None when this engine does not show it (too old to list it)."""
    since = spec.get('since')
    if since and version_tuple(info.get('ServerVersion', '0')) < version_tuple(since):
        return None
    if spec['kind'] == 'field':
        return info.get(spec['field'])
    options = info.get('SecurityOptions') or []
    return any(('name=%s' % spec['option']) in option.split(',') for option in options)


def current_pid(pidfile):
    try:
        with open(pidfile, 'r') as handle:
            return int(handle.read(64).strip())
    except (OSError, ValueError):
        return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            docker_host=dict(type='str', default='unix:///var/run/docker.sock'),
            expect=dict(type='dict', default={}),
            pidfile=dict(type='str', default='/var/run/docker.pid'),
            previous_pid=dict(type='int'),
            timeout=dict(type='int', default=60),
        ),
        supports_check_mode=True,
    )
    p = module.params
    deadline = time.monotonic() + max(1, p['timeout'])
    last = 'no answer yet'
    while True:
        try:
            pid = current_pid(p['pidfile'])
            if p['previous_pid'] is not None and pid == p['previous_pid']:
                raise OSError('dockerd still runs as pid %d: it was not restarted' % pid)
            info = docker_info(p['docker_host'])
            wrong = []
            unseen = []
            for key, spec in p['expect'].items():
                live = read_live(info, spec)
                if live is None:
                    unseen.append(key)
                elif live != spec['value']:
                    wrong.append('%s is %s live, decided %s' % (key, json.dumps(live), json.dumps(spec['value'])))
            if not wrong:
                module.exit_json(changed=False, pid=pid, verified=sorted(set(p['expect']) - set(unseen)), not_shown_by_this_engine=sorted(unseen), server_version=info.get('ServerVersion'))
            last = '; '.join(wrong)
        except ValueError as err:
            module.fail_json(msg=str(err))
        except (OSError, http.client.HTTPException) as err:
            last = str(err) or err.__class__.__name__
        if time.monotonic() >= deadline:
            module.fail_json(msg='dockerd at %s is not healthy after %d s: %s' % (p['docker_host'], p['timeout'], last))
        time.sleep(0.5)


if __name__ == '__main__':
    main()
`;
