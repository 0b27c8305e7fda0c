import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import step from '../../steps/14-healthcheck.js';
import { dockerfileName, runStepTable, type StepCase } from './step-table.js';
import { contextFor, dockerfileTarget, memoryProbe } from '../helpers/world.js';

const NODE_PROBE = (port: number) => `require('http').get('http://127.0.0.1:${port}/', () => process.exit(0)).on('error', () => process.exit(1)).setTimeout(4000, () => process.exit(1))`;
const PYTHON_PROBE = (port: number) => `import http.client as h; c = h.HTTPConnection('127.0.0.1', ${port}, timeout=4); c.request('GET', '/'); c.getresponse()`;

const CURL_SERVER = 'FROM debian:bookworm-slim AS app\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nEXPOSE 8080\nCMD ["/app/server"]\n';

/** A compose file beside the case's Dockerfile whose service web builds it, with `settings` (YAML lines of the service). */
function composeBuilding(caseName: string, settings: string): Record<string, string> {
  return { 'compose.yaml': `services:\n  web:\n    build:\n      context: .\n      dockerfile: ${dockerfileName(caseName)}\n${settings}` };
}

const COMPOSE_TEST = 'a compose service that builds the image and runs its own healthcheck test passes, saying that the image alone has none';
const COMPOSE_OFF = 'a compose service that turns health checks off keeps the finding, and the fix says its HEALTHCHECK does not run there';
const COMPOSE_TIMING = 'a compose healthcheck that sets only the timing runs the image\'s test: the image still needs one';
const COMPOSE_OVERRIDE = 'the healthcheck test of compose.override.yaml counts, named at its line there, as docker compose reads the override with the file';
const COMPOSE_OTHER_STAGE = "a compose service that builds an earlier stage (target:) runs another image: its healthcheck does not count";

const cases: StepCase[] = [
  {
    name: COMPOSE_TEST,
    given: CURL_SERVER,
    context: composeBuilding(COMPOSE_TEST, '    healthcheck:\n      test: ["CMD", "curl", "-fsS", "http://localhost:8080/health"]\n      interval: 10s\n'),
    expect: { status: 'pass', codes: [], notes: ['but service web of compose.yaml, which builds it, runs its own healthcheck test (compose.yaml line 6)', 'run without compose (docker run, another orchestrator), the image has none'], afterFix: null },
  },
  {
    name: COMPOSE_OFF,
    given: CURL_SERVER,
    context: composeBuilding(COMPOSE_OFF, '    healthcheck:\n      disable: true\n'),
    expect: {
      status: 'warn', codes: ['CIS-4.6'], lines: [4], risks: { 'add-healthcheck': 'review' },
      afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -sS -o /dev/null http://localhost:8080/ || exit 1'], warnings: ['service web of compose.yaml, which builds this image, turns health checks off (its healthcheck: at compose.yaml line 6)', 'this HEALTHCHECK does not run'] },
    },
  },
  {
    name: COMPOSE_TIMING,
    given: CURL_SERVER,
    context: composeBuilding(COMPOSE_TIMING, '    healthcheck:\n      interval: 10s\n'),
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'review' }, afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -sS -o /dev/null http://localhost:8080/ || exit 1'], noWarnings: ['turns health checks off'] } },
  },
  {
    name: COMPOSE_OVERRIDE,
    given: CURL_SERVER,
    context: { ...composeBuilding(COMPOSE_OVERRIDE, ''), 'compose.override.yaml': 'services:\n  web:\n    environment:\n      A: b\n    healthcheck:\n      test: ["CMD-SHELL", "curl -f http://localhost:8080/ || exit 1"]\n' },
    expect: { status: 'pass', codes: [], notes: ['runs its own healthcheck test (compose.override.yaml line 5)'] },
  },
  {
    name: COMPOSE_OTHER_STAGE,
    given: `FROM debian:bookworm-slim AS test\nRUN true\n${CURL_SERVER}`,
    context: composeBuilding(COMPOSE_OTHER_STAGE, '      target: test\n    healthcheck:\n      test: ["CMD", "true"]\n'),
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'review' } },
  },
  {
    name: 'a server that installs curl gets a curl probe before its CMD',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nEXPOSE 8080\nCMD ["/app/server"]\n',
    expect: {
      status: 'warn', codes: ['CIS-4.6'], lines: [4], risks: { 'add-healthcheck': 'review' },
      afterFix: {
        removed: [],
        added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -sS -o /dev/null http://localhost:8080/ || exit 1'],
        // How it may break, and how to check.
        warnings: ['answers plain HTTP on port 8080 inside the container', "docker inspect --format '{{json .State.Health}}' CONTAINER"],
      },
    },
  },
  {
    name: 'curl installed in a RUN heredoc, its package list on continuation lines: the curl probe',
    given: 'FROM debian:bookworm-slim\nRUN <<EOF\nset -eux\napt-get update\napt-get install -y --no-install-recommends \\\n    ca-certificates \\\n    curl\nrm -rf /var/lib/apt/lists/*\nEOF\nEXPOSE 8080\nCMD ["/app/server"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], lines: [11], risks: { 'add-healthcheck': 'review' }, afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -sS -o /dev/null http://localhost:8080/ || exit 1'] } },
  },
  {
    name: 'the same heredoc with CRLF line endings: its continuation lines still join',
    given: 'FROM debian:bookworm-slim\r\nRUN <<EOF\r\napt-get install -y \\\r\n    curl\r\nEOF\r\nEXPOSE 8080\r\nCMD ["/app/server"]\r\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'review' } },
  },
  {
    name: 'wget (no curl) installed in a RUN heredoc: a wget probe of 127.0.0.1, which fails on an HTTP error answer',
    given: 'FROM alpine:3.20\nRUN <<EOF\napk add --no-cache \\\n  wget\nEOF\nEXPOSE 8000\nCMD ["/app/server"]\n',
    expect: {
      status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'review' },
      afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:8000/ || exit 1'] },
    },
  },
  {
    name: 'a node server whose port is ENV PORT=3000 and EXPOSE ${PORT}: the probe asks 3000 and warns that a run may set PORT otherwise',
    given: 'FROM node:20-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nENV PORT=3000\nEXPOSE ${PORT}\nCMD ["node", "server.js"]\n',
    expect: {
      status: 'warn', findings: ['the image exposes ${PORT} (3000), but'], codes: ['CIS-4.6'], lines: [5], risks: { 'add-healthcheck': 'review' },
      afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -sS -o /dev/null http://localhost:3000/ || exit 1'], warnings: ['docker run -e PORT=...'] },
    },
  },
  {
    name: 'a node server with ENV PORT=3000 and no EXPOSE is a service; without curl the node image asks port 3000 with node itself',
    given: 'FROM node:20-alpine\nWORKDIR /app\nENV NODE_ENV=production PORT=3000\nCOPY . .\nCMD ["node", "server.js"]\n',
    expect: {
      status: 'warn', findings: ['the image sets PORT=3000'], codes: ['CIS-4.6'], lines: [5], risks: { 'add-healthcheck': 'review' },
      afterFix: { removed: [], added: [`HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["node", "-e", "${NODE_PROBE(3000)}"]`], warnings: ['on 127.0.0.1', 'docker run -e PORT=...'] },
    },
  },
  {
    name: 'gunicorn on the python image, no curl: python3 asks port 8000 (exec form: no shell needed)',
    given: 'FROM python:3.11\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nEXPOSE 8000\nCMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]\n',
    expect: {
      status: 'warn', codes: ['CIS-4.6'], lines: [6], risks: { 'add-healthcheck': 'review' },
      afterFix: { removed: [], added: [`HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD ["python3", "-c", "${PYTHON_PROBE(8000)}"]`], warnings: ['answers plain HTTP on port 8000'] },
    },
  },
  {
    name: 'a python 2 image has no python3 (nor http.client): advice',
    given: 'FROM python:2.7-slim\nCOPY . /app\nEXPOSE 8000\nCMD ["python", "/app/server.py"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, advice: ['docker-harden does not know a probe this image carries'], afterFix: null },
  },
  {
    name: 'an image built on a python image through an earlier stage: python3 asks too',
    given: 'FROM python:3.12-slim AS base\nRUN pip install flask\nFROM base\nCOPY app.py /app.py\nEXPOSE 5000\nCMD ["flask", "--app", "/app.py", "run", "--host", "0.0.0.0"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'review' }, afterFix: { contains: ['CMD ["python3", "-c"', "HTTPConnection('127.0.0.1', 5000"] } },
  },
  {
    name: 'ARG PORT is not in the container\'s environment: no EXPOSE and no server program, so not a service',
    given: 'FROM node:20-alpine\nARG PORT=3000\nCOPY . .\nCMD ["node", "migrate.js"]\n',
    expect: { status: 'not-applicable', codes: [] },
  },
  {
    name: 'a Minecraft server on 25565 with curl installed gets advice, not an HTTP probe',
    given: 'FROM eclipse-temurin:21-jre\nRUN apt-get update && apt-get install -y curl\nEXPOSE 25565\nCMD ["java", "-jar", "server.jar", "nogui"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, advice: ['Port 25565 is the Minecraft protocol, not plain HTTP', 'mc-monitor status --port 25565'], afterFix: null },
  },
  {
    name: 'a Source game server on 27015/udp: a UDP port gets advice even with curl installed',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl lib32gcc-s1\nEXPOSE 27015/udp\nCMD ["./srcds_run", "-game", "csgo"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, advice: ['Port 27015 is UDP'], afterFix: null },
  },
  {
    name: 'DNS on 53/udp and 53/tcp: the TCP port is named, with dig, not curl',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache bind bind-tools curl\nEXPOSE 53/udp 53/tcp\nCMD ["named", "-g"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, advice: ['Port 53 is DNS, not plain HTTP', 'dig +short -p 53 @127.0.0.1'], afterFix: null },
  },
  {
    name: 'php-fpm speaks FastCGI on 9000, which curl cannot ask: advice',
    given: 'FROM php:8.3-fpm\nRUN apt-get update && apt-get install -y curl\nEXPOSE 9000\nCMD ["php-fpm"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, advice: ['Port 9000 is FastCGI, not plain HTTP', 'cgi-fcgi -bind -connect 127.0.0.1:9000'], afterFix: null },
  },
  {
    name: 'the php fpm image keeps its CMD (php-fpm): FastCGI on 9000 gets advice, not curl',
    given: 'FROM php:8.3-fpm-bookworm\nRUN apt-get update && apt-get install -y curl\nCOPY . /var/www/html\nEXPOSE 9000\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], lines: [4], risks: { 'add-healthcheck': 'advice' }, advice: ['Port 9000 is FastCGI, not plain HTTP'], afterFix: null },
  },
  {
    name: 'the postgres image carries pg_isready: it is proposed for review',
    given: 'FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/\nEXPOSE 5432\n',
    expect: {
      status: 'warn', codes: ['CIS-4.6'], lines: [3], risks: { 'add-healthcheck': 'review' },
      afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD pg_isready -h 127.0.0.1 -p 5432 || exit 1'], warnings: ['listens only on its socket file', "docker inspect --format '{{json .State.Health}}'"] },
    },
  },
  {
    name: 'redis-server on port 7000 speaks Redis whatever the port: redis-cli, which comes with it, asks port 7000',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends redis-server curl\nEXPOSE 7000\nCMD ["redis-server", "--port", "7000"]\n',
    expect: {
      status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'review' },
      afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD redis-cli -h 127.0.0.1 -p 7000 ping | grep -q PONG || exit 1'], warnings: ['requirepass'] },
    },
  },
  {
    name: 'redis-server with no EXPOSE is asked on its own port, 6379',
    given: 'FROM redis:7-alpine\nCOPY redis.conf /usr/local/etc/redis/redis.conf\nCMD ["redis-server", "/usr/local/etc/redis/redis.conf"]\n',
    expect: { status: 'warn', findings: ['runs the server redis-server'], risks: { 'add-healthcheck': 'review' }, afterFix: { contains: ['CMD redis-cli -h 127.0.0.1 -p 6379 ping | grep -q PONG || exit 1'] } },
  },
  {
    name: 'mongo:7 carries mongosh: it is proposed for review',
    given: 'FROM mongo:7.0\nEXPOSE 27017\nCMD ["mongod"]\n',
    expect: { status: 'warn', risks: { 'add-healthcheck': 'review' }, afterFix: { contains: ['CMD mongosh --quiet --port 27017 --eval "db.adminCommand(\'ping\')" || exit 1'] } },
  },
  {
    name: 'mongo:4.4 has no mongosh: advice that names it',
    given: 'FROM mongo:4.4\nEXPOSE 27017\nCMD ["mongod"]\n',
    expect: { status: 'warn', risks: { 'add-healthcheck': 'advice' }, advice: ['such as HEALTHCHECK CMD mongosh --quiet --port 27017'], afterFix: null },
  },
  {
    name: 'curl installed only for the build (apk add --virtual, then apk del of the group) is not there to probe with: the wget of alpine\'s BusyBox is',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps curl tar && curl -fsSL https://example.com/app.tgz | tar -xz -C /usr/local/bin && apk del .build-deps\nEXPOSE 8080\nCMD ["/usr/local/bin/app"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'review' }, afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1'] } },
  },
  {
    name: "the official busybox image's BusyBox has wget too; an image merely built on busybox (prom/*) is not assumed to",
    given: 'FROM busybox:1.36\nCOPY www /www\nEXPOSE 8080\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n',
    expect: { status: 'warn', risks: { 'add-healthcheck': 'review' }, afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1'] } },
  },
  {
    name: 'prom/node-exporter is built on busybox, but its wget is not known: advice',
    given: 'FROM prom/node-exporter:v1.8.2\nEXPOSE 9100\n',
    expect: { status: 'warn', risks: { 'add-healthcheck': 'advice' }, afterFix: null },
  },
  {
    name: 'curl removed by name in a later RUN (apt-get purge) is not there either; one kept after removing others is',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl git\nRUN apt-get purge -y curl\nEXPOSE 8080\nCMD ["/app/server"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, afterFix: null },
  },
  {
    name: 'curl kept while git is removed: the curl probe',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl git && apt-get purge -y git\nEXPOSE 8080\nCMD ["/app/server"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'review' }, afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -sS -o /dev/null http://localhost:8080/ || exit 1'] } },
  },
  {
    name: "an EXPOSE with no CMD of its own still serves (the base image's start): the finding is at the EXPOSE",
    given: 'FROM nginx:alpine\nCOPY dist/ /usr/share/nginx/html/\nEXPOSE 8080\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], lines: [3], risks: { 'add-healthcheck': 'review' }, afterFix: { contains: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:8080/ || exit 1\nEXPOSE 8080\n'] } },
  },
  {
    name: "a base image with a HEALTHCHECK of its own (Jupyter's base-notebook): inherited, no finding",
    given: 'FROM quay.io/jupyter/base-notebook:2024-05-27\nCOPY notebooks/ /home/jovyan/work/\nEXPOSE 8888\n',
    expect: { status: 'pass', notes: ['defines a HEALTHCHECK, which this image inherits'], afterFix: null },
  },
  {
    name: 'nginx on Debian, no curl installed: advice, not a made-up probe',
    given: 'FROM nginx:1.27\nCOPY site /usr/share/nginx/html\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], lines: [4], risks: { 'add-healthcheck': 'advice' }, advice: ['without curl or wget', 'that asks port 80: with curl installed, HEALTHCHECK CMD curl -sS -o /dev/null http://localhost:80/'], afterFix: null },
  },
  {
    name: 'nginx:1.27-alpine without curl: the wget of its BusyBox, which fails on an HTTP error answer',
    given: 'FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n',
    expect: {
      status: 'warn', codes: ['CIS-4.6'], lines: [4], risks: { 'add-healthcheck': 'review' },
      afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD wget -q -O /dev/null http://127.0.0.1:80/ || exit 1'], warnings: ['answers plain HTTP on port 80'] },
    },
  },
  {
    name: 'an unknown image named alpine is not known to keep BusyBox: advice',
    given: 'FROM example.com/team/alpine-app:1\nEXPOSE 8080\nCMD ["/app"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, advice: ['docker-harden does not know a probe this image carries'], afterFix: null },
  },
  {
    name: 'a port that is not plain HTTP (OpenVPN on 1194, HTTPS on 443): advice with a probe that speaks it, no curl probe',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends openvpn curl\nEXPOSE 1194\nCMD ["openvpn", "--config", "/etc/openvpn/server.conf"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, advice: ['Port 1194 is OpenVPN, not plain HTTP'], afterFix: null },
  },
  {
    name: 'PostgreSQL installed with curl gets pg_isready (its client comes with it), not curl',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y postgresql curl\nEXPOSE 5432\nCMD ["/usr/lib/postgresql/15/bin/postgres"]\n',
    expect: { status: 'warn', risks: { 'add-healthcheck': 'review' }, afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD pg_isready -h 127.0.0.1 -p 5432 || exit 1'] } },
  },
  {
    name: 'MariaDB on 3306 with curl: no HTTP probe and no mysqladmin known to be there, so advice naming its own check',
    given: 'FROM mariadb:11\nRUN apt-get update && apt-get install -y curl\nEXPOSE 3306\nCMD ["mariadbd"]\n',
    expect: { status: 'warn', risks: { 'add-healthcheck': 'advice' }, advice: ['Port 3306 is the MySQL protocol, not plain HTTP', 'healthcheck.sh --connect --innodb_initialized'], afterFix: null },
  },
  {
    name: 'every EXPOSE line is named, the last one is probed',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nEXPOSE 1880\nEXPOSE 8443\nCMD ["/app/server"]\n',
    expect: { status: 'warn', findings: ['the image exposes 1880 8443, but'], codes: ['CIS-4.6'], lines: [5], risks: { 'add-healthcheck': 'review' } },
  },
  {
    name: 'a known server program without EXPOSE is a service',
    given: 'FROM python:3.12-slim\nCOPY . /app\nCMD ["gunicorn", "app:app"]\n',
    expect: { status: 'warn', findings: ['runs the server gunicorn'], codes: ['CIS-4.6'], lines: [3], afterFix: null },
  },
  {
    name: 'HEALTHCHECK NONE is reported for information',
    given: 'FROM nginx:1.27\nEXPOSE 80\nHEALTHCHECK NONE\nCMD ["nginx", "-g", "daemon off;"]\n',
    expect: { status: 'info', codes: ['DH-HEALTHCHECK-NONE'], lines: [3], risks: {}, afterFix: null },
  },
  {
    name: 'a service with a HEALTHCHECK passes',
    given: 'FROM debian:bookworm-slim\nEXPOSE 8080\nHEALTHCHECK CMD ["/app/server", "--health"]\nCMD ["/app/server"]\n',
    expect: { status: 'pass', codes: [], afterFix: null },
  },
  {
    name: 'a HEALTHCHECK in a build stage does not count for the final stage',
    given: 'FROM debian:bookworm-slim AS build\nHEALTHCHECK CMD true\nFROM debian:bookworm-slim\nEXPOSE 9000\nENTRYPOINT ["/srv"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], lines: [5], afterFix: null },
  },
  {
    name: 'a one-shot command is not a service',
    given: 'FROM alpine:3.20\nCOPY job.sh /job.sh\nCMD ["/job.sh"]\n',
    expect: { status: 'not-applicable', codes: [] },
  },
];

describe('step 14: healthcheck', () => {
  runStepTable(step, cases);

  it('a compose file that is a link to another is read through the link, as docker compose reads it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-healthcheck-link-'));
    try {
      const file = path.join(dir, 'Dockerfile');
      writeFileSync(file, CURL_SERVER);
      const compose = 'services:\n  web:\n    build: .\n    healthcheck:\n      test: ["CMD", "true"]\n';
      writeFileSync(path.join(dir, 'stack.yaml'), compose);
      symlinkSync('stack.yaml', path.join(dir, 'compose.yaml'));
      const result = await step.check(contextFor(dockerfileTarget(file), { probe: memoryProbe({ files: { [path.join(dir, 'compose.yaml')]: compose } }) }));
      expect(result.status).toBe('pass');
      expect(result.notes?.join('\n')).toMatch(/service web of compose\.yaml, which builds it, runs its own healthcheck test \(compose\.yaml line 4\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * The runtime probes run for real, as Docker runs an exec-form HEALTHCHECK: the argv of the line
 * the fix writes, against a server on this machine. Any HTTP answer (here 404) passes; no server,
 * or one that takes the connection and never answers, fails.
 */
describe('step 14: the python3 and node probes it writes, run', () => {
  /** What the HEALTHCHECK line the fix writes for a server on `port` of an image built on `base` runs: the part after CMD. */
  const probeCommand = async (base: string, port: number): Promise<string> => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-probe-'));
    try {
      const file = path.join(dir, 'Dockerfile');
      writeFileSync(file, `FROM ${base}\nEXPOSE ${port}\nCMD ["/app/server"]\n`);
      const ctx = contextFor(dockerfileTarget(file), { probe: memoryProbe({}) });
      const [proposal] = await step.propose!(ctx, await step.check(ctx));
      const line = proposal!.changes[0]!.after.split('\n').find((l) => l.startsWith('HEALTHCHECK'))!;
      return line.slice(line.indexOf(' CMD ') + 5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const probeArgv = async (base: string, port: number) => JSON.parse(await probeCommand(base, port)) as string[];
  const listen = async (server: Server): Promise<number> => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };
  const run = async (argv: string[]) => (await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 20_000 })).exitCode;

  it("alpine's probe is BusyBox's wget: it passes on 200 and fails on 404 and with no server", async (t) => {
    const busybox = (await execa('sh', ['-c', 'command -v busybox'], { reject: false })).stdout.trim();
    if (!busybox) t.skip('busybox is not installed here (apt-get install busybox-static)');
    // As in an Alpine image: wget is BusyBox, run by the shell form's /bin/sh -c.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'dh-busybox-'));
    symlinkSync(busybox, path.join(bin, 'wget'));
    let status = 200;
    const server = createServer((_req, res) => res.writeHead(status).end('ok'));
    const port = await listen(server);
    try {
      const command = await probeCommand('alpine:3.20', port);
      expect(command).toMatch(/^wget /);
      const probe = async () => (await execa('sh', ['-c', command], { reject: false, timeout: 20_000, env: { PATH: `${bin}:/usr/bin:/bin` } })).exitCode;
      expect(await probe(), 'a server that answers 200').toBe(0);
      status = 404;
      expect(await probe(), 'a server that answers 404').not.toBe(0);
      server.close();
      expect(await probe(), 'nothing listens').not.toBe(0);
    } finally {
      server.close();
      rmSync(bin, { recursive: true, force: true });
    }
  }, 30_000);

  describe.each([
    { base: 'python:3.12-slim', program: 'python3' },
    { base: 'node:20-alpine', program: 'node' },
  ])('$program', ({ base, program }) => {
    const missing = execa('sh', ['-c', 'command -v "$0"', program], { reject: false }).then((r) => r.exitCode !== 0);

    it('passes on any HTTP answer, fails with no server and with one that never answers', async (t) => {
      if (await missing) t.skip(`${program} is not installed here`);
      const answering = createServer((_req, res) => res.writeHead(404).end('not found'));
      const port = await listen(answering);
      const argv = await probeArgv(base, port);
      expect(argv[0]).toBe(program);
      try {
        expect(await run(argv), 'a server that answers 404 is up').toBe(0);
      } finally {
        answering.close();
      }
      expect(await run(await probeArgv(base, port)), 'nothing listens').not.toBe(0);
      const sockets: Socket[] = [];
      const silent = createNetServer((s) => sockets.push(s));
      const silentPort = await listen(silent);
      try {
        expect(await run(await probeArgv(base, silentPort)), 'a server that takes the connection and hangs').not.toBe(0);
      } finally {
        for (const s of sockets) s.destroy();
        silent.close();
      }
    }, 30_000);
  });
});
