import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import step, { stripSudo } from '../../steps/04-non-root-user.js';
import { dockerfileName, runStepTable, type StepCase } from './step-table.js';
import { contextFor, dockerfileTarget, hostTarget, unreachableHost } from '../helpers/world.js';
import { systemProbe } from '../../src/core/probe.js';
import { runStep } from '../../src/core/runner.js';
import { runCli } from '../helpers/cli.js';
import type { ContainerDetails, HostFacts } from '../../src/host/facts.js';

const DEBIAN_USER = 'RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app';
const ALPINE_USER = 'RUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app';

const SERVER = 'FROM debian:bookworm-slim\nCOPY app /app\nCMD ["/app/run"]\n';

/** A compose file beside the case's Dockerfile whose service web builds it and runs it as `user`. */
function composeRunningAs(caseName: string, user: string): Record<string, string> {
  return { 'compose.yaml': `services:\n  web:\n    build:\n      context: .\n      dockerfile: ${dockerfileName(caseName)}\n    user: "${user}"\n` };
}

const COMPOSE_USER = "a compose service that builds the image runs it as its own user: the finding stays (the image alone runs as root), and the check and the fix say where compose runs it as whom";
const COMPOSE_ROOT = 'a compose service that runs the image as root: the USER fix warns that compose keeps it root there';
const COMPOSE_USER_FROM_ENV = "a compose user: that the environment decides (no default) is not guessed at";

const cases: StepCase[] = [
  {
    name: COMPOSE_USER,
    given: SERVER,
    context: composeRunningAs(COMPOSE_USER, '1000:1000'),
    expect: {
      status: 'fail', codes: ['DH-USER-ROOT'],
      notes: ['service web of compose.yaml, which builds it, runs it as 1000:1000 (its user: at compose.yaml line 6) in place of any USER the image sets: where docker compose starts it, it does not run as root; run alone (docker run, another orchestrator), it does'],
      afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'], warnings: ['where docker compose starts it, that user runs it, not the one this USER line sets'] },
    },
  },
  {
    name: COMPOSE_ROOT,
    given: SERVER,
    context: composeRunningAs(COMPOSE_ROOT, 'root'),
    expect: {
      status: 'fail', codes: ['DH-USER-ROOT'],
      notes: ['runs it as root (its user: at compose.yaml line 6) in place of any USER the image sets: where docker compose starts it, it runs as root whatever USER the image sets'],
      afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'], warnings: ['where docker compose starts it, it stays root whatever USER the image sets; change that user: too'] },
    },
  },
  {
    name: COMPOSE_USER_FROM_ENV,
    given: SERVER,
    context: composeRunningAs(COMPOSE_USER_FROM_ENV, '${UID}'),
    expect: { status: 'fail', codes: ['DH-USER-ROOT'], afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'], noWarnings: ['where docker compose starts it'] } },
  },
  {
    name: 'no USER on Debian: create app and switch by number, before CMD',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y curl\nCOPY app /app\nEXPOSE 8080\nCMD ["/app/run"]\n',
    expect: {
      status: 'fail',
      findings: ['sets no USER, so the container runs as root'],
      lines: [1],
      afterFix: { removed: [], added: [DEBIAN_USER, 'USER 10001:10001'], contains: [`COPY app /app\n${DEBIAN_USER}\nUSER 10001:10001\nEXPOSE 8080`] },
    },
  },
  {
    name: 'USER root is replaced in place',
    given: 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nUSER root\nCMD ["node", "server.js"]\n',
    expect: { status: 'fail', findings: ['USER root makes the container run as root'], codes: ['DH-USER-ROOT'], lines: [4], afterFix: { removed: ['USER root'], added: ['USER node'] } },
  },
  {
    name: 'USER 0:0 on Alpine',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache python3\nUSER 0:0\nENTRYPOINT ["python3"]\n',
    expect: { status: 'fail', findings: ['USER 0:0 makes the container run as root'], lines: [3], afterFix: { removed: ['USER 0:0'], added: [ALPINE_USER, 'USER 10001:10001'] } },
  },
  {
    name: 'USER root:root followed by a RUN keeps root for the RUN and switches after it',
    given: 'FROM ubuntu:24.04\nUSER root:root\nRUN apt-get update\nCMD ["bash"]\n',
    expect: { status: 'fail', findings: ['USER root:root'], lines: [2], afterFix: { removed: [], added: [DEBIAN_USER, 'USER 10001:10001'], contains: [`RUN apt-get update\n${DEBIAN_USER}\nUSER 10001:10001\nCMD`] } },
  },
  {
    name: 'root inherited from an earlier stage',
    given: 'FROM debian:bookworm-slim AS base\nUSER root\nRUN true\n\nFROM base\nCOPY app /app\nCMD ["/app"]\n',
    expect: { status: 'fail', findings: ['inherits USER root from stage "base" (line 1)'], lines: [2], afterFix: { removed: [], added: [DEBIAN_USER, 'USER 10001:10001'] } },
  },
  {
    name: 'no USER in a chain of stages points at the final FROM',
    given: 'FROM python:3.12-slim AS base\nRUN pip install flask\nFROM base\nCMD ["flask", "run"]\n',
    expect: { status: 'fail', findings: ['and the stages it is built on set no USER'], lines: [3], afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'] } },
  },
  {
    name: 'USER from an ARG default that is root',
    given: 'FROM debian:bookworm\nARG APP_USER=root\nUSER ${APP_USER}\nCMD ["sh"]\n',
    expect: { status: 'fail', findings: ['USER ${APP_USER} (${APP_USER} resolves to root)'], lines: [3], afterFix: { removed: ['USER ${APP_USER}'], added: [DEBIAN_USER, 'USER 10001:10001'] } },
  },
  {
    name: 'USER from a global ARG default that is not root passes',
    given: 'ARG APP_USER=app\nFROM debian:bookworm\nARG APP_USER\nUSER ${APP_USER}\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'USER from an ARG without a default is a warning, not a guess',
    given: 'FROM debian:bookworm\nARG APP_USER\nUSER $APP_USER\n',
    expect: { status: 'warn', findings: ['has no default here'], codes: ['DH-USER-UNRESOLVED'], lines: [3], afterFix: null },
  },
  {
    name: 'scratch gets a numeric uid and no RUN',
    given: 'FROM scratch\nCOPY server /server\nENTRYPOINT ["/server"]\n',
    expect: { status: 'fail', lines: [1], afterFix: { removed: [], added: ['USER 10001:10001'], contains: ['COPY server /server\nUSER 10001:10001\nENTRYPOINT'] } },
  },
  {
    name: 'distroless gets its nonroot user, by number (Kubernetes runAsNonRoot verifies only a number)',
    given: 'FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /out/app /app\nCMD ["/app"]\n',
    expect: { status: 'fail', lines: [3], afterFix: { added: ['USER 65532:65532'] } },
  },
  {
    name: 'Chainguard -dev images run as 65532 by themselves; after USER root the fix goes back to 65532:65532',
    given: 'FROM cgr.dev/chainguard/python:latest-dev\nUSER root\nRUN apk add --no-cache libpq\nCOPY app.py /app/app.py\nCMD ["python", "/app/app.py"]\n',
    expect: { status: 'fail', afterFix: { added: ['USER 65532:65532'] } },
  },
  {
    name: 'Chainguard node runs as node (65532): no finding, and the note names node',
    given: 'FROM cgr.dev/chainguard/node:latest\nCOPY --chown=node:node . /app\nCMD ["/app/index.js"]\n',
    expect: { status: 'pass', notes: ["node (the base image's own user)"] },
  },
  {
    name: 'wolfi-base runs as root (run-as 0): the fix creates a user with BusyBox adduser',
    given: 'FROM cgr.dev/chainguard/wolfi-base:latest\nRUN apk add --no-cache python3\nCOPY app.py /app.py\nCMD ["python3", "/app.py"]\n',
    expect: { status: 'fail', findings: ['runs as root'], afterFix: { added: ['RUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app', 'USER 10001:10001'] } },
  },
  {
    name: 'Red Hat s2i images run as 1001: no finding; after USER root the fix goes back to 1001, creating no user',
    given: 'FROM registry.access.redhat.com/ubi8/nodejs-16\nUSER root\nRUN dnf install -y jq\nCOPY . /opt/app-root/src\nCMD ["npm", "start"]\n',
    expect: { status: 'fail', afterFix: { added: ['USER 1001'], noWarnings: ['groupadd'] } },
  },
  {
    name: 'an s2i image with no USER of its own passes',
    given: 'FROM registry.access.redhat.com/ubi9/python-311\nCOPY . /opt/app-root/src\nCMD ["python", "app.py"]\n',
    expect: { status: 'pass' },
  },
  {
    name: 'bitnami/minideb is a root Debian base, not one of the 1001 application images',
    given: 'FROM bitnami/minideb:bookworm\nRUN install_packages curl\nCMD ["bash"]\n',
    expect: { status: 'fail', findings: ['runs as root'] },
  },
  {
    name: 'distroless :nonroot runs as nonroot by itself',
    given: 'FROM gcr.io/distroless/static-debian12:nonroot\nCOPY app /app\nCMD ["/app"]\n',
    expect: { status: 'pass', notes: ["nonroot (the base image's own user)"] },
  },
  {
    name: 'a user the Dockerfile already creates is used',
    given: 'FROM debian:bookworm-slim\nRUN useradd --uid 2000 --create-home worker\nCOPY . /srv\nCMD ["/srv/run"]\n',
    expect: { status: 'fail', afterFix: { removed: [], added: ['USER 2000'] } },
  },
  {
    name: 'an image unknown to docker-harden gets a numeric uid with a warning',
    given: 'FROM registry.example.com/base/runtime:4.1\nCOPY app /app\nCMD ["/app"]\n',
    expect: { status: 'fail', afterFix: { added: ['USER 10001:10001'], warnings: ['does not know how registry.example.com/base/runtime creates users'] } },
  },
  {
    name: 'a base image a build argument names, with no default, is named as written in the warnings',
    given: 'ARG BASE\nFROM ${BASE}\nCMD ["sleep", "600"]\n',
    expect: { status: 'fail', afterFix: { added: ['USER 10001:10001'], warnings: ['does not know how ${BASE} creates users', "{{.Config.Cmd}}' ${BASE}` and"] } },
  },
  {
    name: 'a port below 1024 is a warning of the fix',
    given: 'FROM node:20-slim\nCOPY . /app\nEXPOSE 80\nCMD ["node", "/app/server.js"]\n',
    expect: { status: 'fail', afterFix: { added: ['USER node'], warnings: ['port 80 (line 3), below 1024'] } },
  },
  {
    name: 'CRLF, the escape directive and continuations stay byte for byte',
    given: '# escape=`\r\nFROM debian:bookworm-slim\r\n# install tools\r\nRUN apt-get update && `\r\n    apt-get install -y curl\r\nCOPY app /app\r\nCMD ["/app"]',
    expect: {
      status: 'fail',
      lines: [2],
      afterFix: {
        equals: `# escape=\`\r\nFROM debian:bookworm-slim\r\n# install tools\r\nRUN apt-get update && \`\r\n    apt-get install -y curl\r\nCOPY app /app\r\n${DEBIAN_USER}\r\nUSER 10001:10001\r\nCMD ["/app"]`,
      },
    },
  },
  {
    name: 'a final stage that runs as non-root passes',
    given: 'FROM node:20 AS build\nRUN npm ci\nFROM node:20-slim\nCOPY --from=build /app /app\nUSER node\nCMD ["node", "/app/index.js"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'nginx: the finding says why USER alone is not the fix',
    given: 'FROM nginx:1.27\nCOPY site /usr/share/nginx/html\n',
    expect: { status: 'fail', notes: ['nginxinc/nginx-unprivileged'], afterFix: null },
  },
  {
    name: 'sudo -u another user, run as root, drops privileges: the finding names runuser instead of calling sudo needless',
    given: 'FROM postgres:16\nRUN apt-get update && apt-get install -y sudo\nRUN sudo -u postgres initdb -D /tmp/db\nUSER postgres\n',
    expect: { status: 'fail', findings: ['RUN uses sudo -u postgres to run a command as another user, which needs no sudo: `runuser -u postgres -- ...`'], absent: ['sudo is not needed'] },
  },
  {
    name: 'sudo where the build runs as root is dropped',
    given: 'FROM debian:bookworm\nRUN sudo apt-get update && sudo -E apt-get install -y curl\nUSER 1000\n',
    expect: { status: 'fail', findings: ['RUN uses sudo: the build already runs as root'], codes: ['DH-USER-SUDO'], lines: [2], afterFix: { removed: ['RUN sudo apt-get update && sudo -E apt-get install -y curl'], added: ['RUN apt-get update && apt-get install -y curl'] } },
  },
  {
    name: 'sudo inside if ... then ... fi is found and dropped, as the shell runs it',
    given: 'FROM debian:bookworm\nRUN if [ -n "$EXTRA" ]; then sudo apt-get install -y curl; fi\nUSER 1000\n',
    expect: { status: 'fail', codes: ['DH-USER-SUDO'], lines: [2], afterFix: { removed: ['RUN if [ -n "$EXTRA" ]; then sudo apt-get install -y curl; fi'], added: ['RUN if [ -n "$EXTRA" ]; then apt-get install -y curl; fi'] } },
  },
  {
    name: 'sudo in a here-document that is data (a sudoers file, a motd) is text, not a command: no finding, never edited',
    given: '# syntax=docker/dockerfile:1\nFROM debian:12\nRUN cat <<EOF > /etc/sudoers.d/app\napp ALL=(ALL) NOPASSWD: /usr/bin/apt-get\nsudo apt-get install -y curl\nEOF\nRUN tee /etc/motd <<-EOT\n\tsudo is not installed here\n\tEOT\nUSER 1000\n',
    expect: { status: 'pass', absent: ['sudo'], afterFix: null },
  },
  {
    name: 'sudo in a here-document the shell runs (the RUN script, bash <<EOF) is dropped; in one that is data it stays',
    given: '# syntax=docker/dockerfile:1\nFROM debian:12\nRUN <<EOF\nset -e\nsudo apt-get update\nEOF\nRUN bash -eux <<\'SCRIPT\'\nsudo apt-get install -y curl\nSCRIPT\nRUN <<EOF\n#!/usr/bin/env python3\nimport os; os.system("id")\nsudo = True\nEOF\nRUN cat <<-EOT > /etc/motd && sudo chmod 644 /etc/motd\n\tsudo is not installed here\n\tEOT\nUSER 1000\n',
    expect: {
      status: 'fail',
      codes: ['DH-USER-SUDO', 'DH-USER-SUDO', 'DH-USER-SUDO'],
      lines: [3, 7, 15],
      afterFix: {
        removed: ['sudo apt-get update', 'sudo apt-get install -y curl', 'RUN cat <<-EOT > /etc/motd && sudo chmod 644 /etc/motd'],
        added: ['apt-get update', 'apt-get install -y curl', 'RUN cat <<-EOT > /etc/motd && chmod 644 /etc/motd'],
        contains: ['sudo = True\n', '\tsudo is not installed here\n'],
      },
    },
  },
  {
    name: 'a here-document marker line that goes on: its next line is a command (sudo dropped there), the body after it is data',
    given: '# syntax=docker/dockerfile:1\nFROM debian:12\nRUN cat <<EOF > /etc/sudoers.d/app \\\n    && sudo chmod 0440 /etc/sudoers.d/app\napp ALL=(ALL) NOPASSWD: /usr/bin/sudo apt-get\nEOF\nUSER 1000\n',
    expect: {
      status: 'fail',
      codes: ['DH-USER-SUDO'],
      lines: [3],
      afterFix: { removed: ['    && sudo chmod 0440 /etc/sudoers.d/app'], added: ['    && chmod 0440 /etc/sudoers.d/app'], contains: ['app ALL=(ALL) NOPASSWD: /usr/bin/sudo apt-get\n'] },
    },
  },
  {
    name: 'sudo under another user becomes USER root around that RUN',
    given: 'FROM debian:bookworm\nUSER app\nRUN sudo make install\nCMD ["app"]\n',
    expect: { status: 'fail', findings: ['switch with USER root for that step'], afterFix: { removed: ['RUN sudo make install'], added: ['USER root', 'RUN make install', 'USER app'] } },
  },
  {
    name: 'sudo over an image docker-harden does not know: root is a guess, so dropping sudo is a review',
    given: 'FROM gitpod/workspace-full\nRUN sudo apt-get update \\\n    && sudo apt-get install -y redis postgresql\n',
    expect: {
      status: 'fail',
      findings: [
        'sets no USER, so the container runs as root unless gitpod/workspace-full sets a USER of its own (docker-harden does not know that image)',
        'RUN uses sudo: unless gitpod/workspace-full sets a USER of its own (docker-harden does not know that image), the build runs as root here, so sudo is not needed',
      ],
      risks: { 'set-user': 'review', 'drop-sudo': 'review' },
      afterFix: {
        removed: ['RUN sudo apt-get update \\', '    && sudo apt-get install -y redis postgresql'],
        added: ['RUN apt-get update \\', '    && apt-get install -y redis postgresql', 'USER 10001:10001'],
        warnings: ['line 2: docker-harden does not know which user gitpod/workspace-full builds as and takes it for root'],
      },
    },
  },
  {
    name: 'sudo the command goes; the sudo package and the sudo group stay',
    given: 'FROM debian:bookworm\nRUN apt-get update && apt-get install -y sudo vim && sudo usermod -aG sudo dev\nUSER dev\n',
    expect: {
      status: 'fail',
      risks: { 'drop-sudo': 'safe' },
      afterFix: { removed: ['RUN apt-get update && apt-get install -y sudo vim && sudo usermod -aG sudo dev'], added: ['RUN apt-get update && apt-get install -y sudo vim && usermod -aG sudo dev'] },
    },
  },
  {
    name: 'code-server builds as coder: sudo becomes USER root around the RUN and back to coder',
    given: 'FROM codercom/code-server:4.20.0\nRUN sudo apt-get update && sudo apt-get install -y python3\n',
    expect: {
      status: 'fail',
      risks: { 'drop-sudo': 'safe' },
      afterFix: { removed: ['RUN sudo apt-get update && sudo apt-get install -y python3'], added: ['USER root', 'RUN apt-get update && apt-get install -y python3', 'USER coder'] },
    },
  },
  {
    name: 'code-server: a RUN that also makes a folder as coder without sudo: review, since that folder would belong to root',
    given: 'FROM codercom/code-server:4.20.0\nWORKDIR /home/coder\nRUN sudo mkdir -p /opt/tool && mkdir -p cache\n',
    expect: {
      status: 'fail',
      risks: { 'drop-sudo': 'review' },
      afterFix: {
        removed: ['RUN sudo mkdir -p /opt/tool && mkdir -p cache'],
        added: ['USER root', 'RUN mkdir -p /opt/tool && mkdir -p cache', 'USER coder'],
        warnings: ['line 3: `mkdir -p cache` ran as coder and now runs as root too, so what it makes belongs to root'],
      },
    },
  },
  {
    name: 'an app copied whole into /mattermost and started from there: review, naming that folder',
    given: 'FROM ubuntu:22.04\nCOPY --from=extract /mattermost /mattermost\nRUN useradd --uid 2000 mattermost\nCMD ["/mattermost/bin/mattermost"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER 2000'], warnings: ["the app's folder /mattermost and what COPY put there (line 2) belong to root, so 2000 cannot write there"] } },
  },
  {
    name: 'an entrypoint made executable for root alone (chmod u+x): the warning says the new user cannot run it',
    given: 'FROM consul-base:1\nCOPY entrypoint.sh /entrypoint.sh\nRUN chmod u+x /entrypoint.sh\nENTRYPOINT ["/entrypoint.sh"]\n',
    expect: { status: 'fail', afterFix: { added: ['USER 10001:10001'], warnings: ['line 3 leaves /entrypoint.sh, which the container starts, to its owner only (chmod u+x)'] } },
  },
  {
    name: 'a script a shell runs needs only to be readable: 750 is named, 744 is not',
    given: 'FROM debian:bookworm-slim\nWORKDIR /srv\nCOPY run.sh app.sh ./\nRUN chmod 750 run.sh && chmod 755 app.sh\nCMD ["sh", "run.sh"]\n',
    expect: { status: 'fail', afterFix: { warnings: ['leaves /srv/run.sh, which the container starts, to its owner only (chmod 750)'] } },
  },
  {
    name: 'a program made 755 runs for anyone: no warning of its own for the switch to the shipped user',
    given: 'FROM node:20-slim\nCOPY server /usr/local/bin/server\nRUN chmod 755 /usr/local/bin/server\nCMD ["/usr/local/bin/server"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warningCount: 1,  added: ['USER node'] } },
  },
  {
    name: 'the same program made 744: review, the new user cannot run it',
    given: 'FROM node:20-slim\nCOPY server /usr/local/bin/server\nRUN chmod 744 /usr/local/bin/server\nCMD ["/usr/local/bin/server"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER node'], warnings: ['to its owner only (chmod 744)'] } },
  },
  {
    name: 'UBI minimal has no useradd: the bare uid, and the warning says why',
    given: 'FROM registry.access.redhat.com/ubi8/ubi-minimal:8.9\nWORKDIR /work/\nCOPY target/*-runner /work/application\nEXPOSE 8080\nCMD ["./application"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER 10001:10001'], warnings: ['cannot create a user (it ships without shadow-utils, so there is no useradd)'] } },
  },
  {
    name: 'no WORKDIR anywhere: the new user cannot write /, where an app that writes relative paths starts (mlflow ./mlruns)',
    given: 'FROM python:3.8-slim\nRUN pip install mlflow==2.9.2\nEXPOSE 5000\nENTRYPOINT ["mlflow", "server", "--host", "0.0.0.0"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warnings: ['the container starts in / (neither the Dockerfile nor python:3.8-slim sets a WORKDIR), which 10001:10001 cannot write'] } },
  },
  {
    name: 'Gitea starts as root and runs the server as git (s6, su-exec): advice; its -rootless tags run as git by themselves',
    given: 'FROM gitea/gitea:1.22\nCOPY custom /data/gitea\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['-rootless tag'] },
  },
  {
    name: 'Gitea rootless runs as git: no finding',
    given: 'FROM gitea/gitea:1.22-rootless\nCOPY custom /var/lib/gitea/custom\n',
    expect: { status: 'pass', notes: ["git (the base image's own user)"] },
  },
  {
    name: 'webdevops images start supervisord as root for the web server and PHP-FPM: advice',
    given: 'FROM webdevops/php-nginx:8.2-alpine\nCOPY . /app\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['supervisord --user root'] },
  },
  {
    name: 'SonarQube and Nexus run as their own users: no finding',
    given: 'FROM sonarqube:10-community\nCOPY plugins/ /opt/sonarqube/extensions/plugins/\n',
    expect: { status: 'pass', notes: ["sonarqube (the base image's own user)"] },
  },
  {
    name: 'a Laravel app on FrankenPHP that gives only Caddy\'s folders to its user: storage and bootstrap/cache are given too, and the FrankenPHP note makes it review',
    given: 'FROM dunglas/frankenphp\nARG USER=appuser\nRUN useradd ${USER}; chown -R ${USER}:${USER} /data/caddy /config/caddy\nCOPY . /app\nENTRYPOINT ["php", "artisan", "octane:frankenphp"]\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review' },
      afterFix: { added: ['RUN mkdir -p storage bootstrap/cache && chown -R ${USER} storage bootstrap/cache', 'USER ${USER}'], warnings: ['/data/caddy and /config/caddy'] },
    },
  },
  {
    name: 'a Laravel Octane app on php: storage and bootstrap/cache are given, and the fix stays review (Octane writes in the app folder)',
    given: 'FROM php:8.3-alpine\nCOPY . /var/www\nWORKDIR /var/www\nRUN composer install --no-dev\nENTRYPOINT ["php", "artisan", "octane:start", "--server=roadrunner", "--port=9803"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['RUN mkdir -p storage bootstrap/cache && chown -R www-data storage bootstrap/cache', 'USER www-data'], warnings: ["RoadRunner's .rr.yaml"] } },
  },
  {
    name: 'a Laravel app whose folder is already given to its user gets no extra RUN',
    given: 'FROM php:8.3-cli\nRUN useradd app\nWORKDIR /var/www\nCOPY --chown=app . .\nCMD ["php", "artisan", "serve", "--host=0.0.0.0", "--port=8000"]\n',
    expect: { status: 'fail', afterFix: { added: ['USER app'] } },
  },
  {
    // The file is written as docker-action.Dockerfile, which the action.yml names.
    name: 'docker action',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache bash\nCOPY entrypoint.sh /entrypoint.sh\nENTRYPOINT ["/entrypoint.sh"]\n',
    context: { 'action.yml': "name: scan\nruns:\n  using: 'docker'\n  image: 'docker-action.Dockerfile'\n", 'entrypoint.sh': '#!/bin/sh\nexec tfsec "$GITHUB_WORKSPACE"\n' },
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['GitHub runs Docker actions as root'] },
  },
  {
    name: "BusyBox's httpd on a high port is not a web server that must start as root: the USER fix is proposed",
    given: 'FROM busybox:1.36\nCOPY site /www\nCMD ["busybox", "httpd", "-f", "-p", "127.0.0.1:8080", "-h", "/www"]\n',
    expect: { status: 'fail', afterFix: { added: ['RUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app', 'USER 10001:10001'] } },
  },
  {
    name: "BusyBox's httpd (-p), named alone or handed to by a start script copied into the WORKDIR: the USER fix is proposed, as a review",
    given: 'FROM busybox:1.36\nWORKDIR /app\nCOPY app.sh .\nCMD ["./app.sh"]\n',
    context: { 'app.sh': '#!/bin/sh\nexec httpd -f -p 8080 -h /app\n' },
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['RUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app', 'USER 10001:10001'] } },
  },
  {
    name: "Apache's httpd from a start script starts as root to bind its port and switch to its user: advice",
    given: 'FROM httpd:2.4\nWORKDIR /app\nCOPY app.sh .\nCMD ["./app.sh"]\n',
    context: { 'app.sh': '#!/bin/sh\nexec httpd -DFOREGROUND\n' },
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['app.sh line 2: `exec httpd -DFOREGROUND`'], afterFix: null },
  },
  {
    name: "httpd -p8080 in CMD is BusyBox's httpd (Apache's has no -p): the USER fix is proposed",
    given: 'FROM busybox:1.36\nCMD ["httpd", "-f", "-p8080"]\n',
    expect: { status: 'fail', afterFix: { added: ['RUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app', 'USER 10001:10001'] } },
  },
  {
    name: 'a pre-commit image: the user the fix creates gets a home, where pre-commit keeps its hook environments',
    given: 'FROM python:3.12-slim\nRUN apt-get update && apt-get install -y git && pip install pre-commit\nWORKDIR /src\nENTRYPOINT ["pre-commit", "run", "--all-files"]\n',
    expect: { status: 'fail', afterFix: { contains: ['--create-home --home-dir /home/app'], warnings: [] } },
  },
  {
    name: 'docker:dind starts dockerd as root: advice naming dind-rootless; dind-rootless runs as rootless by itself',
    given: 'FROM docker:dind\nRUN apk add --no-cache curl\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['docker:dind-rootless'] },
  },
  {
    name: 'docker:dind-rootless runs as rootless (uid 1000): no finding',
    given: 'FROM docker:27-dind-rootless\nCOPY daemon.json /home/rootless/.config/docker/daemon.json\n',
    expect: { status: 'pass', notes: ["rootless (the base image's own user)"] },
  },
  {
    name: 'a dev container image ships vscode (uid 1000): the fix switches to it, creating no user',
    given: 'FROM mcr.microsoft.com/devcontainers/python:1-3.12-bookworm\nRUN pip install --no-cache-dir ruff\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER vscode'], noWarnings: ['bare uid'], warnings: ['"remoteUser": "vscode"'] } },
  },
  {
    name: 'the Node dev container image ships node',
    given: 'FROM mcr.microsoft.com/devcontainers/javascript-node:1-20-bookworm\nRUN npm install -g pnpm\n',
    expect: { status: 'fail', afterFix: { added: ['USER node'] } },
  },
  {
    name: 'an entrypoint script from the build context that switches user itself (gosu): advice, quoting its line',
    given: 'FROM ubuntu:24.04\nRUN useradd -m runner\nCOPY token.sh entrypoint.sh /\nENTRYPOINT ["/entrypoint.sh"]\nCMD ["./bin/Runner.Listener", "run"]\n',
    context: { 'entrypoint.sh': '#!/bin/bash\nset -e\n# start as root, then hand over\nif [[ ${RUN_AS_ROOT} == "false" ]]; then\n  exec /usr/sbin/gosu runner "$@"\nfi\nexec "$@"\n' },
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['which switches to another user itself (entrypoint.sh line 5: `exec /usr/sbin/gosu runner "$@"`)'] },
  },
  {
    name: 'a start script named `start` (no .sh, no "entrypoint") is read when its first line says a shell runs it: it hands the container to su, advice',
    given: 'FROM busybox:1.36\nRUN adduser -D -u 1000 app && mkdir -p /data\nCOPY start /usr/local/bin/start\nVOLUME /data\nENTRYPOINT ["start"]\nCMD ["sleep", "3600"]\n',
    context: { 'start': '#!/bin/sh\nchown -R app:app /data\nexec su app -s /bin/sh -c "$*"\n' },
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['line 5 starts the container with start, which hands the container to su (start line 3'] },
  },
  {
    name: 'a program of that kind that is not a shell script is not read as one: the USER fix is proposed',
    given: 'FROM busybox:1.36\nRUN adduser -D -u 1000 app\nCOPY start /usr/local/bin/start\nENTRYPOINT ["start"]\n',
    context: { 'start': '#!/usr/bin/env python3\nimport os\nos.setuid(1000)\n' },
    expect: { status: 'fail', risks: { 'set-user': 'review' } },
  },
  {
    name: 'an entrypoint script that hands the container to supervisord: advice, with supervisord\'s reason',
    given: 'FROM php:8.3-fpm\nCOPY docker-entrypoint.sh /usr/local/bin/\nENTRYPOINT ["docker-entrypoint.sh"]\n',
    context: { 'docker-entrypoint.sh': '#!/bin/sh\nset -e\nchown -R www-data:www-data /var/lib/nginx\nexec supervisord -c /etc/supervisord.conf\n' },
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['which hands the container to supervisord (docker-entrypoint.sh line 4: `exec supervisord -c /etc/supervisord.conf`)'] },
  },
  {
    name: 'an entrypoint script copied into a folder that chowns at each start: review, naming the command and line',
    given: 'FROM debian:bookworm-slim\nWORKDIR /app\nCOPY docker/ /usr/local/bin/\nENTRYPOINT ["docker-entrypoint.sh"]\n',
    context: { 'docker/docker-entrypoint.sh': '#!/bin/sh\nmkdir -p /data\n[ "$(id -u)" = 0 ] && chown -R app /data\nexec /app/server\n' },
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { warnings: ['starts the container with docker-entrypoint.sh, which runs chown (docker/docker-entrypoint.sh line 3:'] } },
  },
  {
    name: 'an entrypoint script read and found plain: still review, saying it was read',
    given: 'FROM debian:bookworm-slim\nCOPY . /app\nENTRYPOINT ["/app/start.sh"]\n',
    context: { 'start.sh': '#!/bin/sh\n# sudo -u is only in this comment\necho "starting"\nexec /app/server --port 8080\n' },
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { warnings: ['(start.sh, read: it switches no user and runs no chown, usermod or setcap)'] } },
  },
  {
    name: 'a script started through tini is still a script docker-harden does not read: review, naming it',
    given: 'FROM python:3.11-slim\nRUN apt-get update && apt-get install -y tini && rm -rf /var/lib/apt/lists/*\nCOPY prepare.sh /usr/bin/prepare.sh\nENTRYPOINT ["tini", "-g", "--", "/usr/bin/prepare.sh"]\nCMD ["dask-scheduler"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warnings: ['starts the container with /usr/bin/prepare.sh, a script docker-harden does not read'] } },
  },
  {
    name: 'ollama keeps its models under ~/.ollama: the USER change says so',
    given: 'FROM ollama/ollama:0.3.12\nRUN ollama serve & sleep 5 && ollama pull llama3\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warnings: ['ollama serve keeps its models and keys under ~/.ollama'] } },
  },
  {
    name: "rocker/rstudio's CMD is s6-overlay's /init, which must be root: a final USER root stays, as advice",
    given: 'FROM rocker/rstudio:4.1.3\nWORKDIR /home/rstudio\nCOPY --chown=rstudio:rstudio renv.lock .\nUSER rstudio\nRUN Rscript -e "renv::restore()"\nUSER root\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ["its CMD is s6-overlay's /init"], afterFix: null },
  },
  {
    name: 'rocker/rstudio with a CMD of its own (Rscript) does not start /init: USER rstudio',
    given: 'FROM rocker/rstudio:4.4.1\nCOPY analysis.R /home/rstudio/\nCMD ["Rscript", "/home/rstudio/analysis.R"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER rstudio'] } },
  },
  {
    name: 'Loki 2.0 and later run as loki (10001) by themselves: no finding; after USER root the fix goes back to loki',
    given: 'FROM grafana/loki:3.1.0\nCOPY loki.yaml /etc/loki/local-config.yaml\n',
    expect: { status: 'pass', notes: ["loki (the base image's own user)"] },
  },
  {
    name: 'a Loki image with USER root for a build step is switched back to loki, not to a new user',
    given: 'FROM grafana/loki:3.1.0\nUSER root\nRUN mkdir -p /loki/extra\n',
    expect: { status: 'fail', afterFix: { added: ['USER loki'] } },
  },
  {
    name: 'haproxy from 2.4 runs as haproxy by itself: no finding; older tags run as root',
    given: 'FROM haproxy:2.8-alpine\nCOPY haproxy.cfg /usr/local/etc/haproxy/haproxy.cfg\n',
    expect: { status: 'pass', notes: ["haproxy (the base image's own user)"] },
  },
  {
    name: 'an image that runs as its own user, switched to root for a step: back to that user, not a new one',
    given: 'FROM haproxy:2.8\nUSER root\nRUN mkdir -p /run/haproxy\nCOPY haproxy.cfg /usr/local/etc/haproxy/haproxy.cfg\n',
    expect: { status: 'fail', afterFix: { added: ['USER haproxy'] } },
  },
  {
    name: 'bitnami images run as 1001: after USER root the image goes back to 1001',
    given: 'FROM bitnami/spark:3.4.1\nUSER root\nCOPY requirements.txt /app/requirements.txt\nRUN pip install --no-cache-dir -r /app/requirements.txt\n',
    expect: { status: 'fail', afterFix: { added: ['USER 1001'] } },
  },
  {
    name: 'micromamba runs as mambauser, and USER $MAMBA_USER is its ENV, not a build argument',
    given: 'FROM mambaorg/micromamba:1.5.8\nCOPY --chown=$MAMBA_USER:$MAMBA_USER env.yaml /tmp/env.yaml\nRUN micromamba install -y -n base -f /tmp/env.yaml\nUSER $MAMBA_USER\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'OpenResty started by its own path is nginx: advice',
    given: 'FROM openresty/openresty:alpine\nCOPY nginx.conf /usr/local/openresty/nginx/conf/nginx.conf\nCMD ["/usr/local/openresty/bin/openresty", "-g", "daemon off;"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, afterFix: null },
  },
  {
    name: 'openjdk:17 is Oracle Linux 8 slim, without useradd: the bare uid, not a useradd line that fails the build',
    given: 'FROM openjdk:17\nRUN microdnf install -y procps && microdnf clean all\nCOPY app.jar /app.jar\nCMD ["java", "-jar", "/app.jar"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER 10001:10001'], warnings: ['openjdk cannot create a user (it is built on oraclelinux:8-slim, which ships without shadow-utils, so there is no useradd)'] } },
  },
  {
    name: 'consul\'s entrypoint switches to consul with su-exec: advice',
    given: 'FROM hashicorp/consul:1.17\nCOPY config.json /consul/config/\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['runs the service as consul with su-exec'], afterFix: null },
  },
  {
    name: 'Ghost\'s entrypoint gives its content to node and switches with gosu: advice',
    given: 'FROM ghost:5-alpine\nCOPY themes /var/lib/ghost/content/themes\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['runs the service as node with gosu'], afterFix: null },
  },
  {
    name: 'Elasticsearch already runs as uid 1000 in group 0: passes',
    given: 'FROM docker.elastic.co/elasticsearch/elasticsearch:8.1.3\nRUN bin/elasticsearch-plugin install --batch analysis-icu\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'Confluent images already run as appuser: passes',
    given: 'FROM confluentinc/cp-kafka-connect:7.3.0\nRUN confluent-hub install --no-prompt confluentinc/kafka-connect-jdbc:10.7.4\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'Playwright ships pwuser: that user, not a bare uid',
    given: 'FROM mcr.microsoft.com/playwright:v1.44.0-jammy\nCOPY tests /tests\nCMD ["npx", "playwright", "test"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER pwuser'] } },
  },
  ...['selenium/standalone-chrome:124.0', 'prom/prometheus:v2.52.0'].map((image): StepCase => ({
    name: `${image} already runs as its own non-root user: passes`,
    given: `FROM ${image}\nCOPY config /etc/app/\n`,
    expect: { status: 'pass', afterFix: null },
  })),
  {
    name: 'Mosquitto switches to its own user itself: advice',
    given: 'FROM eclipse-mosquitto:2\nCOPY mosquitto.conf /mosquitto/config/mosquitto.conf\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['switches to the user its configuration names'], afterFix: null },
  },
  {
    name: 'Puppeteer\'s image already runs as pptruser, who owns its Chrome: passes',
    given: 'FROM ghcr.io/puppeteer/puppeteer:21.6.1\nWORKDIR /home/pptruser/app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nCMD ["node", "index.js"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  // Risk per rule: each case names the class its proposal lands in.
  {
    name: 'risk: a known base user and nothing that needs root: review, with no warning of its own',
    given: 'FROM node:20-slim\nCOPY index.js /srv/index.js\nCMD ["node", "/srv/index.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warningCount: 1,  added: ['USER node'] } },
  },
  {
    name: 'risk: an app tree copied whole, as root, into the folder it starts from is review',
    given: 'FROM node:20-slim\nCOPY . /app\nCMD ["node", "/app/index.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER node'], warnings: ["the app's folder /app and what COPY put there (line 2) belong to root"] } },
  },
  {
    name: 'risk: a user the file creates, and an entrypoint script that may need it to start as root, is a review',
    given: 'FROM alpine:3.20\nRUN adduser -D user\nCOPY scripts /opt/scripts\nENTRYPOINT ["sh", "/opt/scripts/entrypoint.root.sh"]\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review', 'set-user-own-folder': 'review' },
      afterFix: { added: ['USER user'], warnings: ['line 4 starts the container with /opt/scripts/entrypoint.root.sh, a script docker-harden does not read: if it needs root (usermod, chown, su, gosu), it fails as the new user'] },
    },
  },
  {
    name: 'risk: a shell with options before its script names the script',
    given: 'FROM alpine:3.20\nCOPY start.sh /start.sh\nCMD ["/bin/sh", "-e", "/start.sh"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: [ALPINE_USER, 'USER 10001:10001'], warnings: ['line 3 starts the container with /start.sh, a script'] } },
  },
  {
    name: 'risk: an *entrypoint* script in exec form is a review too',
    given: 'FROM node:20-slim\nCOPY . /app\nENTRYPOINT ["/app/docker-entrypoint"]\nCMD ["node", "/app/index.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' } },
  },
  {
    name: 'risk: a user the file creates and a program started directly: review, with no warning of its own',
    given: 'FROM alpine:3.20\nRUN adduser -D user\nCOPY server /usr/local/bin/server\nCMD ["server"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warningCount: 1,  added: ['USER user'] } },
  },
  {
    name: 'risk: a port below 1024 makes USER a review',
    given: 'FROM node:20-slim\nCOPY . /app\nEXPOSE 443\nCMD ["node", "/app/server.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' } },
  },
  {
    name: 'risk: an unknown image with a bare uid is a review',
    given: 'FROM registry.example.com/base/runtime:4.1\nCOPY app /app\nCMD ["/app"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' } },
  },
  {
    name: 'gosu in the entrypoint: advice, no USER line',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y gosu\nCOPY entrypoint.sh /\nENTRYPOINT ["gosu", "app", "/app/run"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['gosu switches from root', 'https://github.com/tianon/gosu'], afterFix: null },
  },
  {
    name: 'su-exec installed for a script entrypoint: advice',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache su-exec\nCOPY docker-entrypoint.sh /usr/local/bin/\nENTRYPOINT ["docker-entrypoint.sh"]\nCMD ["app"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['installs su-exec'], afterFix: null },
  },
  {
    name: 'setpriv in the entrypoint: advice',
    given: 'FROM debian:bookworm-slim\nCOPY app /app\nENTRYPOINT ["setpriv", "--reuid=1000", "--regid=1000", "--init-groups", "/app"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['changes user itself'], afterFix: null },
  },
  {
    name: 's6-overlay /init: advice',
    given: 'FROM alpine:3.20\nADD s6-overlay-noarch.tar.xz /\nCOPY root/ /\nENTRYPOINT ["/init"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['s6-overlay (/init) runs as root'], afterFix: null },
  },
  {
    name: 'a linuxserver.io base image: advice with PUID/PGID',
    given: 'FROM lscr.io/linuxserver/baseimage-alpine:3.20\nCOPY root/ /\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['PUID and PGID', 'https://docs.linuxserver.io/misc/non-root/'], afterFix: null },
  },
  {
    name: 'php-fpm: the www-data user the image ships and the files were given to, not a new uid',
    given: 'FROM php:8.1-fpm\nRUN docker-php-ext-install pdo pdo_mysql\nWORKDIR /var/www/html\nRUN chown -R www-data:www-data /var/www/html\nEXPOSE 9000\nCMD ["php-fpm"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER www-data'] } },
  },
  {
    name: 'php on Alpine ships www-data too (uid 82)',
    given: 'FROM php:8.3-fpm-alpine\nCOPY . /var/www/html\nCMD ["php-fpm"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER www-data'] } },
  },
  {
    name: 'USER root to install, never switched back: the earlier user again, after the install',
    given: 'FROM python:3.12-slim\nUSER 1000\nCOPY main.py /srv/main.py\nUSER root\nRUN apt-get update && apt-get install -y libpq5\nCMD ["python", "/srv/main.py"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER 1000'], contains: ['libpq5\nUSER 1000\nCMD'] } },
  },
  {
    name: 'an image docker-harden does not know, files given to its user with chown: that user, not a new uid',
    given: 'FROM example/ci-runner:3\nUSER root\nRUN apt-get update && apt-get install -y docker.io\nRUN chown -R runner:runner /home/runner/work\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review' },
      afterFix: { added: ['USER runner'], contains: ['/home/runner/work\nUSER runner\n'], warnings: ['line 3 installs the Docker CLI'] },
    },
  },
  {
    name: 'the same without the Docker CLI: no warning of its own',
    given: 'FROM example/ci-runner:3\nUSER root\nRUN apt-get update && apt-get install -y git\nRUN chown -R runner:runner /home/runner/work\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warningCount: 1,  added: ['USER runner'] } },
  },
  {
    name: 'files given to a numeric uid and gid (COPY --chown): USER keeps both; review, as the image\'s own ENTRYPOINT is not known',
    given: 'FROM registry.example.com/base/python:3.11\nWORKDIR /opt/app-root\nCOPY --chown=1001:0 . .\nCMD ["python", "app.py"]\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review' },
      afterFix: { added: ['USER 1001:0'], warnings: ['the container starts with what registry.example.com/base/python sets (its ENTRYPOINT, if it has one, which runs this CMD), and docker-harden does not know that image'] },
    },
  },
  {
    name: 'the same with an ENTRYPOINT of its own: what starts is known, no warning of its own',
    given: 'FROM registry.example.com/base/python:3.11\nWORKDIR /opt/app-root\nCOPY --chown=1001:0 . .\nENTRYPOINT ["python", "app.py"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warningCount: 1,  added: ['USER 1001:0'] } },
  },
  {
    name: 'phusion/passenger images start /sbin/my_init, which must be root: advice, even with the app user given its files',
    given: 'FROM phusion/passenger-full:0.9.29\nCOPY --chown=app:app . /home/app/webapp\nCMD ["/sbin/my_init"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ["phusion's /sbin/my_init runs as root"], afterFix: null },
  },
  {
    name: 'an unknown image started with /sbin/my_init: advice',
    given: 'FROM example/ruby-base:2\nRUN useradd -m app && chown -R app /home/app\nCMD ["/sbin/my_init"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['line 3 starts my_init'], afterFix: null },
  },
  {
    name: 'an ENTRYPOINT of /sbin/init (an s6 or systemd init) must start as root: advice',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache s6 execline\nCOPY rootfs/ /\nENTRYPOINT ["/sbin/init"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['line 4 starts init: an init system'], afterFix: null },
  },
  {
    name: 'lsiobase/, linuxserver.io\'s older name for its base images, starts s6-overlay as root: advice',
    given: 'FROM lsiobase/alpine:3.11\nRUN apk add --no-cache aria2\nCOPY root/ /\nEXPOSE 6800\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['linuxserver.io images start s6-overlay'], afterFix: null },
  },
  {
    name: 'drupal\'s default tags are its Apache variant, built on php:*-apache: advice',
    given: 'FROM drupal:10-apache\nRUN chown www-data:www-data /opt/drupal/web/sites/default\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['drupal (the Apache variant, built on php:*-apache) starts Apache as root'], afterFix: null },
  },
  {
    name: 'drupal\'s FPM variant runs as the www-data it ships',
    given: 'FROM drupal:10-fpm\nRUN chown www-data:www-data /opt/drupal/web/sites/default\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER www-data'] } },
  },
  {
    name: 'rocker/shiny ships shiny, the user its shiny-server runs apps as',
    given: 'FROM rocker/shiny:4.4\nCOPY app/ /srv/shiny-server/app/\nEXPOSE 3838\nCMD ["/usr/bin/shiny-server"]\n',
    expect: { status: 'fail', afterFix: { added: ['USER shiny'] } },
  },
  {
    name: 'a Rails app known by its puma.rb and tmp/pids: its writable folders are given to the new user',
    given: 'FROM ruby:3.3\nWORKDIR /app_rails\nCOPY . /app_rails\nRUN bundle install\nCMD rm -rf tmp/pids/server.pid && bundle exec puma -C config/puma.rb\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app', 'RUN mkdir -p db log storage tmp && chown -R 10001:10001 db log storage tmp', 'USER 10001:10001'] } },
  },
  {
    name: 'node ships node (uid 1000): files chowned to 1000 keep the shipped user',
    given: 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN chown -R 1000 /app/data\nCMD ["node", "server.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER node'] } },
  },
  {
    name: 'files chowned with a variable or to root are not a user to switch to',
    given: 'FROM debian:bookworm-slim\nARG OWNER\nCOPY --chown=root:root conf /etc/app\nRUN chown -R $OWNER /srv\nCMD ["/srv/run"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'] } },
  },
  {
    name: 'a Rails app: the folders Rails writes to are given to the new user before USER',
    given: 'FROM ruby:2.5\nRUN apt-get update -qq \\\n  && apt-get install -y nodejs libpq-dev build-essential\nCOPY . /app\nWORKDIR /app\nRUN bundle install\nRUN bundle exec rake assets:precompile\nEXPOSE 5000\nCMD bin/rails s\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review' },
      afterFix: { added: [DEBIAN_USER, 'RUN mkdir -p db log storage tmp && chown -R 10001:10001 db log storage tmp', 'USER 10001:10001'], contains: ['assets:precompile\n' + DEBIAN_USER + '\nRUN mkdir -p'] },
    },
  },
  {
    name: 'a Rails app on an image docker-harden does not know: the folders still go to the bare uid',
    given: 'FROM example/ruby:2.7.2-prod\nENV RAILS_ENV=production\nCOPY . /app\nWORKDIR /app\nRUN bundle install\nCMD ["bundle", "exec", "puma"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['RUN mkdir -p db log storage tmp && chown -R 10001:10001 db log storage tmp', 'USER 10001:10001'] } },
  },
  {
    name: 'a Rails app that gives its folders to its own user already: that user, no second chown',
    given: 'FROM ruby:3.3-slim\nWORKDIR /rails\nCOPY . .\nRUN useradd rails --uid 1000 && chown -R rails:rails db log storage tmp\nCMD ["./bin/rails", "server"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER 1000'] } },
  },
  {
    name: 'a Rails app without a WORKDIR: no folders guessed under /',
    given: 'FROM ruby:3.3\nCOPY . /\nRUN bundle install\nCMD ["rails", "server"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'] } },
  },
  {
    name: '.NET before 8 has no app user: the Debian user is created instead',
    given: 'FROM mcr.microsoft.com/dotnet/aspnet:6.0\nWORKDIR /app\nCOPY out .\nENTRYPOINT ["dotnet", "App.dll"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'] } },
  },
  {
    name: '.NET 8 ships app',
    given: 'FROM mcr.microsoft.com/dotnet/aspnet:8.0\nWORKDIR /app\nCOPY out .\nENTRYPOINT ["dotnet", "App.dll"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER app'], warnings: ["the app's folder /app and what COPY put there (line 3) belong to root, so app cannot write there"] } },
  },
  {
    name: 'Keycloak runs as 1000 of its own: nothing to fix',
    given: 'FROM quay.io/keycloak/keycloak:26.0\nENV KC_DB=postgres\nRUN /opt/keycloak/bin/kc.sh build\nENTRYPOINT ["/opt/keycloak/bin/kc.sh"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'a Jenkins agent left as root goes back to jenkins, the user that owns its work folder',
    given: 'FROM jenkins/inbound-agent:latest-jdk17\nUSER root\nRUN apt-get update && apt-get install -y git\n',
    expect: { status: 'fail', findings: ['USER root makes the container run as root'], risks: { 'set-user': 'review' }, afterFix: { added: ['USER jenkins'] } },
  },
  {
    name: 'a comment about switching to root to install is not a reason to stay root',
    given: 'FROM jenkins/agent:latest-jdk17\n# switch to root to install git\nUSER root\nRUN apt-get update && apt-get install -y git\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER jenkins'] } },
  },
  {
    name: 'a comment that says the image stays root on purpose: review, quoting it',
    given: 'FROM jenkins/agent:latest-jdk17\nUSER root\nRUN apt-get update && apt-get install -y docker-ce-cli\n# Stay as root, so we can access docker.sock\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER jenkins'], warnings: ['line 4 says why the image stays root ("# Stay as root, so we can access docker.sock")'] } },
  },
  {
    name: 'wordpress (Apache): advice, no USER line',
    given: 'FROM wordpress:6.6\nCOPY plugins/ /usr/src/wordpress/wp-content/plugins/\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['starts Apache as root'], afterFix: null },
  },
  {
    name: 'wordpress on php-fpm runs as the www-data it ships',
    given: 'FROM wordpress:6.6-fpm\nCOPY plugins/ /usr/src/wordpress/wp-content/plugins/\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER www-data'] } },
  },
  {
    name: 'caddy: a new user, review, with its /data and /config named',
    given: 'FROM caddy:2-alpine\nCOPY Caddyfile /etc/caddy/Caddyfile\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: [ALPINE_USER, 'USER 10001:10001'], warnings: ['caddy keeps its certificates in /data'] } },
  },
  {
    name: 'node from Google\'s Docker Hub mirror ships node too',
    given: 'FROM mirror.gcr.io/library/node:20-slim\nWORKDIR /app\nCOPY . .\nCMD ["node", "server.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER node'], warnings: ["the app's folder /app and what COPY put there (line 3) belong to root, so node cannot write there"] } },
  },
  {
    name: 'Strapi copied into its folder as root: the shipped node user cannot write its SQLite file or uploads, so review',
    given: 'FROM node:20\nWORKDIR /app/strapi\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nEXPOSE 1337\nCMD ["npm", "run", "start"]\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review', 'set-user-own-folder': 'review' },
      afterFix: { added: ['USER node'], warnings: ["the app's folder /app/strapi and what COPY put there (line 3) belong to root, so node cannot write there", 'RUN chown -R node /app/strapi'] },
    },
  },
  {
    name: 'an app folder written with a trailing slash (WORKDIR /app/) is the same folder COPY . . fills: review',
    given: 'FROM node:20-slim\nWORKDIR /app/\nCOPY . .\nCMD ["node", "server.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER node'], warnings: ["the app's folder /app and what COPY put there (line 3) belong to root, so node cannot write there"] } },
  },
  {
    name: 'a release copied into / and started by a relative path: its top folder is the app folder that belongs to root (Elixir writes RELEASE_TMP there)',
    given: 'FROM elixir:1.9 AS app_builder\nWORKDIR /app\nCOPY . .\nRUN mix release\nFROM debian:buster\nCOPY --from=app_builder /app/_build .\nCMD ["./prod/rel/realtime/bin/realtime", "start"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'], warnings: ["the app's folder /prod and what COPY put there (line 6) belong to root"] } },
  },
  {
    name: 'COPY . . into an image\'s own WORKDIR (oven/bun\'s /home/bun/app): that folder is the app\'s, not a folder of / its arguments name',
    given: 'FROM oven/bun\nCOPY . .\nRUN bun install\nEXPOSE 3000/tcp\nENTRYPOINT [ "bun", "run", "src/index.ts" ]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER bun'], warnings: ["the app's folder /home/bun/app and what COPY put there (line 2) belong to root"] } },
  },
  {
    name: 'php-fpm\'s workers already run as www-data: files COPY put in its WORKDIR (/var/www/html) change nothing for them, no warning of its own',
    given: 'FROM php:8.3-fpm\nCOPY . .\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warningCount: 1,  added: ['USER www-data'] } },
  },
  {
    name: 'the PHP command line started as root, its files copied into the image\'s WORKDIR: review, www-data cannot write them',
    given: 'FROM php:8.3-cli\nCOPY . .\nCMD ["php", "worker.php"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER www-data'], warnings: ["the app's folder /var/www/html and what COPY put there (line 2) belong to root"] } },
  },
  {
    name: 'an app folder opened to every user (chmod -R go=u) is not reported as belonging to root',
    given: 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN chmod -R go=u /app\nCMD ["node", "server.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER node'] } },
  },
  {
    name: 'a port below 1024 given in the start command (puma -p 80) is named, though nothing is exposed',
    given: 'FROM ruby:3.3-slim\nWORKDIR /app\nCOPY --chown=1000:1000 . .\nRUN useradd -u 1000 web\nCMD ["bundle", "exec", "puma", "-p", "80"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER 1000'], warnings: ['the image listens on port 80 (CMD at line 5: -p 80), below 1024'] } },
  },
  {
    name: 'a port below 1024 set by the Dockerfile (ENV PORT, an ARG default) is named, though nothing is exposed',
    given: 'FROM node:20-slim\nARG HTTP_PORT=443\nENV PORT=80\nCOPY . /app\nCMD ["node", "/app/server.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER node'], warnings: ['the image listens on port 80 (PORT=80), 443 (HTTP_PORT=443), below 1024'] } },
  },
  {
    name: 'ASP.NET Core before .NET 8 listens on port 80 (ASPNETCORE_URLS from the image); from .NET 8 on 8080',
    given: 'FROM mcr.microsoft.com/dotnet/aspnet:6.0\nWORKDIR /app\nCOPY --chown=10001:10001 out/ .\nENTRYPOINT ["dotnet", "Web.dll"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER 10001:10001'], warnings: ['the image listens on port 80 (ASPNETCORE_URLS=http://+:80), below 1024'] } },
  },
  {
    name: 'jetty and WildFly already run as their own users (jetty, jboss): no USER to add',
    given: 'FROM jetty:9-jre11\nCOPY target/app.war /var/lib/jetty/webapps/ROOT.war\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'quay.io/wildfly runs as jboss (1000, group 0): no USER to add',
    given: 'FROM quay.io/wildfly/wildfly:latest\nADD target/app.war /opt/jboss/wildfly/standalone/deployments/\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'tomcat unpacks WARs into webapps/, which belongs to root: review, the warning says what to give the user',
    given: 'FROM tomcat:9.0\nCOPY target/app.war /usr/local/tomcat/webapps/\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'], warnings: ['Tomcat unpacks each WAR in webapps/ at start'] } },
  },
  {
    name: 'certbot keeps its state where only root writes: advice, for the image and for a Dockerfile that starts it',
    given: 'FROM python:3.12-slim\nRUN pip install certbot certbot-dns-cloudflare\nENTRYPOINT ["certbot"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['certbot keeps its accounts, certificates and logs in /etc/letsencrypt'], afterFix: null },
  },
  {
    name: 'the certbot/certbot image starts certbot itself: advice',
    given: 'FROM certbot/certbot:v2.11.0\nRUN pip install certbot-dns-ovh\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['its entrypoint, certbot'], afterFix: null },
  },
  {
    name: 'wg-quick and tailscaled make interfaces and firewall rules as root: advice',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache wireguard-tools iptables tailscale\nCMD wg-quick up wg0 ; tailscaled --state=/var/lib/tailscale/tailscaled.state\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['wg-quick refuses to run as anyone but root'], afterFix: null },
  },
  {
    name: 'a server started in a working folder WORKDIR made as root (a Minecraft world): review, the warning names that folder',
    given: 'FROM eclipse-temurin:21-jre\nWORKDIR /data\nRUN echo "eula=true" > eula.txt\nCOPY server.jar /opt/minecraft/server.jar\nCMD ["java", "-jar", "/opt/minecraft/server.jar", "nogui"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'], warnings: ["the app's working folder /data, made by WORKDIR at line 2, belongs to root", '`RUN chown -R 10001:10001 /data` before the USER line'] } },
  },
  {
    name: 'a Jenkins agent with the Docker CLI back to jenkins: review, the socket\'s group is named',
    given: 'FROM jenkins/inbound-agent:latest\nUSER root\nRUN apt-get update && apt-get install -y docker-ce-cli\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER jenkins'], warnings: ['installs the Docker CLI: a mounted /var/run/docker.sock belongs to root and the host\'s docker group'] } },
  },
  {
    name: 'a program copied right into / has no folder of its own to name',
    given: 'FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app .\nFROM scratch\nCOPY --from=build /out/app /\nENTRYPOINT ["/app"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER 10001:10001'] } },
  },
  {
    name: 'the app folder given to the shipped user by uid: no warning of its own',
    given: 'FROM node:20-slim\nWORKDIR /app\nCOPY --chown=1000:1000 . .\nCMD ["node", "server.js"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warningCount: 1,  added: ['USER node'] } },
  },
  {
    name: 'a binary copied outside any app folder: no warning of its own',
    given: 'FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app .\nFROM alpine:3.20\nCOPY --from=build /out/app /usr/local/bin/app\nRUN addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app\nCMD ["app"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { warningCount: 1,  added: ['USER 10001'] } },
  },
  {
    name: 'oven/bun ships bun',
    given: 'FROM oven/bun:1\nWORKDIR /app\nCOPY . .\nCMD ["bun", "run", "index.ts"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER bun'], warnings: ["the app's folder /app and what COPY put there (line 3) belong to root, so bun cannot write there"] } },
  },
  {
    name: 'a root-owned VOLUME before the last build step: given to the new user by uid right before its line; the warning names volumes made before',
    given: 'FROM python:3.12-slim\nWORKDIR /app\nRUN mkdir -p /data\nVOLUME /data\nCOPY . .\nCMD ["python", "app.py"]\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review', 'set-user-own-folder': 'review' },
      afterFix: {
        equals: `FROM python:3.12-slim\nWORKDIR /app\nRUN mkdir -p /data\nRUN mkdir -p /data && chown -R 10001:10001 /data\nVOLUME /data\nCOPY . .\n${DEBIAN_USER}\nUSER 10001:10001\nCMD ["python", "app.py"]\n`,
        warnings: ['VOLUME /data (line 4): new volumes belong to the user now, but a volume made before this change keeps root as its owner', 'busybox chown -R 10001:10001 /data'],
      },
    },
  },
  {
    name: 'a VOLUME after the last build step, with a shipped user: the RUN goes before the USER line, by the user\'s uid',
    given: 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nVOLUME ["/app/uploads", "/var/lib/app"]\nCMD ["node", "server.js"]\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review', 'set-user-own-folder': 'review' },
      afterFix: {
        equals: 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN mkdir -p /app/uploads /var/lib/app && chown -R 1000:1000 /app/uploads /var/lib/app\nUSER node\nVOLUME ["/app/uploads", "/var/lib/app"]\nCMD ["node", "server.js"]\n',
      },
    },
  },
  {
    name: 'a VOLUME on scratch with no shell: not given away (no mkdir or chown there), the warning says how: copy an owned folder in',
    given: 'FROM golang:1.22 AS build\nCOPY . /src\nRUN cd /src && CGO_ENABLED=0 go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\nVOLUME /data\nENTRYPOINT ["/app"]\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review' },
      afterFix: { added: ['USER 10001:10001'], warnings: ['VOLUME /data (line 6) starts out owned by root', 'e.g. `COPY --chown=<user> <an empty folder> /data` (this image has no shell to RUN mkdir and chown)'] },
    },
  },
  {
    name: 'a VOLUME already given to the user: no warning, and its owner is the user',
    given: 'FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN mkdir -p /data && chown -R 1000:1000 /data\nVOLUME ["/data"]\nCMD ["python", "app.py"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['USER 1000:1000'] } },
  },
  {
    name: 'FROM scratch with USER by name and no /etc/passwd: the uid the build stage gave that user',
    given: 'FROM golang:1.22 AS build\nRUN useradd -u 10123 app\nCOPY . /src\nRUN cd /src && CGO_ENABLED=0 go build -o /app .\nFROM scratch\nCOPY --from=build /app /app\nUSER app\nENTRYPOINT ["/app"]\n',
    expect: {
      status: 'fail',
      codes: ['DH-USER-NO-PASSWD'],
      lines: [7],
      findings: ['USER app names a user, but the image is built FROM scratch and nothing copies an /etc/passwd into it'],
      risks: { 'numeric-user': 'review' },
      afterFix: { removed: ['USER app'], added: ['USER 10123:10123'] },
    },
  },
  {
    name: 'FROM scratch with USER by name and /etc/passwd copied from the build stage passes',
    given: 'FROM golang:1.22 AS build\nRUN useradd -u 10123 app\nRUN go build -o /app .\nFROM scratch\nCOPY --from=build /etc/passwd /etc/passwd\nCOPY --from=build /app /app\nUSER app\nENTRYPOINT ["/app"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'distroless with USER by a name its /etc/passwd lacks: the image\'s nonroot by number',
    given: 'FROM golang:1.22 AS build\nCOPY . /src\nRUN cd /src && CGO_ENABLED=0 go build -o /app .\nFROM gcr.io/distroless/static-debian12\nCOPY --from=build /app /app\nUSER app\nENTRYPOINT ["/app"]\n',
    expect: {
      status: 'fail',
      codes: ['DH-USER-NO-PASSWD'],
      lines: [6],
      findings: ['USER app names a user, but the /etc/passwd of gcr.io/distroless/static-debian12 has only root, nonroot, nobody and nothing copies an /etc/passwd into it'],
      risks: { 'numeric-user': 'review' },
      afterFix: { removed: ['USER app'], added: ['USER 65532:65532'] },
    },
  },
  {
    name: 'distroless with USER nonroot passes',
    given: 'FROM gcr.io/distroless/static-debian12\nCOPY app /app\nUSER nonroot\nENTRYPOINT ["/app"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'distroless :debug with a RUN that may add the user: not named',
    given: 'FROM gcr.io/distroless/base-debian12:debug\nRUN adduser -D app\nUSER app\nENTRYPOINT ["/app"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'an app started with uv run: the new user gets a home for uv\'s cache',
    given: 'FROM python:3.12-slim\nCOPY --from=ghcr.io/astral-sh/uv:0.5 /uv /bin/uv\nWORKDIR /app\nCOPY . .\nRUN uv sync --frozen\nCMD ["uv", "run", "app.py"]\n',
    expect: {
      status: 'fail',
      risks: { 'set-user': 'review', 'set-user-own-folder': 'review' },
      afterFix: { added: ['RUN groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app', 'USER 10001:10001'] },
    },
  },
  {
    name: 'tor as the new user keeps its data under HOME: a home folder for it',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache tor\nCOPY torrc /etc/tor/torrc\nCMD ["tor", "-f", "/etc/tor/torrc"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { added: ['RUN addgroup -S -g 10001 app && adduser -S -D -h /home/app -u 10001 -G app app', 'USER 10001:10001'] } },
  },
  {
    name: 'npm start on Alpine through a shell: a home for npm too',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache nodejs npm\nWORKDIR /app\nCOPY . .\nCMD sh -c "exec npm start"\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['RUN addgroup -S -g 10001 app && adduser -S -D -h /home/app -u 10001 -G app app', 'USER 10001:10001'] } },
  },
  {
    name: 'a distribution nginx started directly: advice, no USER line',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y nginx\nCOPY site /var/www/html\nCMD ["nginx", "-g", "daemon off;"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['line 4 starts nginx: the web server\'s master process starts as root'], afterFix: null },
  },
  {
    name: 'httpd from dnf: advice, no USER line',
    given: 'FROM rockylinux:9\nRUN dnf install -y httpd && dnf clean all\nCOPY site /var/www/html\nCMD ["/usr/sbin/httpd", "-DFOREGROUND"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['starts httpd'], afterFix: null },
  },
  {
    name: 'supervisord: advice',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y supervisor\nCOPY supervisord.conf /etc/supervisor/conf.d/\nCMD ["/usr/bin/supervisord", "-n"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['`user=`'], afterFix: null },
  },
  {
    name: 'Postfix in the foreground: advice (the postfix command is for the superuser)',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y postfix\nCOPY main.cf /etc/postfix/main.cf\nEXPOSE 25\nCMD ["postfix", "start-fg"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['reserved for the superuser'], afterFix: null },
  },
  {
    name: 'Samba: advice (smbd becomes each user who logs in)',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache samba\nCOPY smb.conf /etc/samba/smb.conf\nEXPOSE 139/tcp 445/tcp\nCMD ["smbd", "--foreground", "--no-process-group"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['each connection'], afterFix: null },
  },
  {
    name: 'cron (shell form): advice for a rootless scheduler',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y cron\nCOPY crontab /etc/cron.d/app\nCMD cron -f\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['supercronic'], afterFix: null },
  },
  ...(
    [
      ['postgres:16', 'bitnami/postgresql'],
      ['redis:7-alpine', 'bitnami/redis'],
      ['mysql:8.4', 'bitnami/mysql'],
      ['mariadb:11', 'bitnami/mariadb'],
      ['mongo:7', 'bitnami/mongodb'],
      ['nginx:1.27-alpine', 'nginxinc/nginx-unprivileged'],
      ['httpd:2.4', 'Listen 8080'],
      ['php:8.3-apache', 'ports.conf'],
    ] as const
  ).map(([image, instead]): StepCase => ({
    name: `${image}: advice naming ${instead}, no USER`,
    given: `FROM ${image}\nCOPY conf /etc/app/\n`,
    // The databases' entrypoints hand the server to their own user: the container only starts as root.
    expect: { status: instead.startsWith('bitnami/') ? 'warn' : 'fail', risks: { 'set-user': 'advice' }, advice: [instead], afterFix: null },
  })),
  {
    name: 'postgres started its own way: low, and the finding says the server runs as postgres',
    given: 'FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/\nCMD ["postgres", "-c", "shared_buffers=256MB"]\n',
    expect: {
      status: 'warn',
      codes: ['DH-USER-ROOT'],
      findings: ['sets no USER, so the container starts as root; the postgres image\'s entrypoint starts as root to give the data directory to postgres, then drops to postgres with gosu, so the server itself runs as postgres'],
      risks: { 'set-user': 'advice' },
      afterFix: null,
    },
  },
  {
    name: 'postgres with its own ENTRYPOINT, or a CMD that is not the server: the entrypoint does not drop, high',
    given: 'FROM postgres:16\nCOPY start.sh /start.sh\nCMD ["/start.sh"]\n',
    expect: { status: 'fail', findings: ['sets no USER, so the container runs as root'], risks: { 'set-user': 'advice' }, afterFix: null },
  },
  {
    name: 'php without apache runs as the www-data user the image ships',
    given: 'FROM php:8.3-cli\nCOPY . /app\nCMD ["php", "/app/run.php"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: ['USER www-data'], warnings: ["the app's folder /app and what COPY put there (line 2) belong to root, so www-data cannot write there"] } },
  },
  {
    name: 'an ONBUILD parent image: advice',
    given: 'FROM node:20\nWORKDIR /app\nONBUILD COPY package*.json ./\nONBUILD RUN npm install\nONBUILD COPY . .\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['parent image (ONBUILD at line 3, 4, 5)'], afterFix: null },
  },
  {
    name: 'an app and PATH under /root: review',
    given: 'FROM python:3.12-slim\nWORKDIR /root/app\nCOPY . .\nENV PATH=/root/.local/bin:$PATH\nCMD ["python", "main.py"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review', 'set-user-own-folder': 'review' }, afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'], warnings: ['the app lives under /root (WORKDIR at line 2, PATH under /root at line 4)'] } },
  },
  {
    name: '.NET: USER $APP_UID from the base image counts as non-root',
    given: 'FROM mcr.microsoft.com/dotnet/aspnet:8.0\nWORKDIR /app\nCOPY out .\nUSER $APP_UID\nENTRYPOINT ["dotnet", "App.dll"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: '.NET chiseled runs as app by itself',
    given: 'FROM mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled\nCOPY app /app\nENTRYPOINT ["/app/app"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'Jupyter: USER ${NB_UID} from the base image is jovyan, not root',
    given: 'FROM quay.io/jupyter/scipy-notebook:2024-10-07\nUSER root\nRUN apt-get update && apt-get install -y graphviz\nUSER ${NB_UID}\nRUN pip install --no-cache-dir altair\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'Jupyter ending as root switches back to jovyan, not to a nameless uid',
    given: 'FROM jupyter/base-notebook:latest\nUSER root\nRUN apt-get update && apt-get install -y git\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { removed: [], added: ['USER jovyan'] } },
  },
  {
    name: 'Windows nanoserver already runs as ContainerUser',
    given: 'FROM mcr.microsoft.com/dotnet/runtime:8.0-nanoserver-ltsc2022\nCOPY app C:/app\nENTRYPOINT ["C:\\\\app\\\\app.exe"]\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'Windows Server Core gets ContainerUser by name, never a numeric uid',
    given: 'FROM mcr.microsoft.com/windows/servercore:ltsc2022\nCOPY app C:/app\nUSER ContainerAdministrator\nRUN setup.exe\nCMD ["C:/app/app.exe"]\n',
    expect: { status: 'fail', findings: ['USER ContainerAdministrator makes the container run as root'], risks: { 'set-user': 'review' }, afterFix: { removed: [], added: ['USER ContainerUser'] } },
  },
  {
    name: 'a start that sets sysctls, iptables rules and starts IPsec (strongSwan) needs root: advice',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache strongswan iptables\nEXPOSE 500/udp 4500/udp\nCMD set -xe \\\n    && sysctl -w net.ipv4.ip_forward=1 \\\n    && iptables -t nat -A POSTROUTING -s $VPN_SUBNET -o eth0 -j MASQUERADE \\\n    && ipsec start --nofork\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['line 4 starts sysctl: it changes kernel settings, firewall rules or IPsec state'], afterFix: null },
  },
  {
    // The uid is a build argument: `chown ${UID}` and `--chown=$UID` name the user `useradd -u ${UID}` made.
    name: 'a user made with a uid from a build argument, given the app folder by that argument: no warning that it belongs to root',
    given: 'FROM python:3.12-slim\nARG UID\nARG GID\nRUN useradd -u ${UID} -M -d /app appuser\nWORKDIR /app\nCOPY --chown=${UID}:${GID} app/ /app/\nRUN chown -R $UID:$GID /app\nCMD ["python", "-m", "app"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'review' }, afterFix: { removed: [], added: ['USER appuser'], noWarnings: ['to root'] } },
  },
  {
    // Windows has no root, no chown and no --chown: its administrator and icacls instead.
    name: "Windows Server Core with no USER: runs as ContainerAdministrator; the app's folder is granted with icacls, its drive path kept",
    given: 'FROM mcr.microsoft.com/windows/servercore\nSHELL ["powershell", "-Command"]\nWORKDIR C:/example\nCOPY . .\nRUN ./importer.ps1\nCMD ./listCertificates.ps1\n',
    expect: {
      status: 'fail',
      findings: ["sets no USER, so the container runs as ContainerAdministrator (the Windows images' root)"],
      afterFix: {
        removed: [],
        added: ['USER ContainerUser'],
        warnings: ['the app\'s folder C:/example and what COPY put there (line 4) belong to ContainerAdministrator, so ContainerUser cannot write there', '`RUN icacls "C:\\example" /grant "ContainerUser:(OI)(CI)M"` before the USER line'],
        noWarnings: ['chown'],
      },
    },
  },
  {
    name: 'the IIS image starts ServiceMonitor.exe for W3SVC: advice, no USER line',
    given: 'FROM mcr.microsoft.com/windows/servercore/iis:windowsservercore-ltsc2022\nWORKDIR /inetpub/wwwroot\nCOPY content/ .\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['ServiceMonitor.exe, runs the IIS service (W3SVC) and needs ContainerAdministrator'], afterFix: null },
  },
  {
    name: 'Server Core with IIS installed and started through C:\\ServiceMonitor.exe: advice',
    given: 'FROM mcr.microsoft.com/windows/servercore:ltsc2022\nRUN powershell -Command Install-WindowsFeature Web-Server\nCOPY ServiceMonitor.exe C:/\nENTRYPOINT ["C:\\\\ServiceMonitor.exe", "w3svc"]\n',
    expect: { status: 'fail', risks: { 'set-user': 'advice' }, advice: ['line 4 starts ServiceMonitor.exe'], afterFix: null },
  },
];

// What Trivy's DS-0002 (root_user) and DS-0010 (run_using_sudo) cover, in cases of our own; theirs
// run in test/conformance/peer-cases.test.ts when the peer corpus is there.
const rootAndSudo: StepCase[] = [
  { name: 'a named USER after the installs passes', given: 'FROM debian:12\nRUN apt-get update && apt-get -y install curl && apt-get clean\nUSER app', expect: { status: 'pass', afterFix: null } },
  { name: 'no USER at all, no final newline: a user is made and switched to', given: 'FROM debian:12\nRUN apt-get update && apt-get -y install curl && apt-get clean', expect: { status: 'fail', findings: ['runs as root'], afterFix: { added: [DEBIAN_USER, 'USER 10001:10001'] } } },
  { name: 'RUN without sudo before a later USER passes', given: 'FROM alpine:3.20\nRUN  pip install --no-cache-dir flask\nUSER app', expect: { status: 'pass' } },
  { name: 'sudo in a RUN that already runs as root is dropped, spacing kept', given: 'FROM alpine:3.20\nRUN  sudo pip install --no-cache-dir flask\nUSER app', expect: { status: 'fail', findings: ['RUN uses sudo'], afterFix: { removed: ['RUN  sudo pip install --no-cache-dir flask'], added: ['RUN  pip install --no-cache-dir flask'] } } },
];

describe('non-root-user on a Dockerfile', () => {
  runStepTable(step, [...cases, ...rootAndSudo]);

  it("checked with the other Dockerfiles of its repository, the one a compose service builds gets that service's user: and the others do not", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-user-compose-'));
    try {
      mkdirSync(path.join(dir, '.git'));
      for (const sub of ['api', 'worker']) {
        mkdirSync(path.join(dir, sub));
        writeFileSync(path.join(dir, sub, 'Dockerfile'), SERVER);
      }
      writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  api:\n    build: ./api\n    user: "1000"\n');
      const r = await runCli(['check', '--json', '--only', 'non-root-user', path.join(dir, 'api', 'Dockerfile'), path.join(dir, 'worker', 'Dockerfile')]);
      const notes = Object.fromEntries((JSON.parse(r.stdout) as { results: { target: string; notes?: string[] }[] }).results.map((e) => [path.relative(dir, e.target), (e.notes ?? []).join('\n')]));
      expect(notes['api/Dockerfile']).toContain('service api of ../compose.yaml, which builds it, runs it as 1000 (its user: at ../compose.yaml line 4)');
      expect(notes['worker/Dockerfile']).not.toContain('compose');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('stripSudo', () => {
  it.each([
    ['RUN sudo x', 'RUN x'],
    ['RUN a && sudo -E -H b', 'RUN a && b'],
    ['RUN (sudo x)', 'RUN (x)'],
    ['RUN echo pseudo y', 'RUN echo pseudo y'],
    ['RUN sudo -u postgres psql', null],
    // Only sudo the command goes: the package and the group named sudo stay.
    ['RUN apt-get update && apt-get install -y sudo vim && sudo usermod -aG sudo dev', 'RUN apt-get update && apt-get install -y sudo vim && usermod -aG sudo dev'],
    ['RUN apt-get install -y \\\n    sudo \\\n    vim', 'RUN apt-get install -y \\\n    sudo \\\n    vim'],
    ['RUN apt-get update \\\n    && sudo apt-get install -y vim', 'RUN apt-get update \\\n    && apt-get install -y vim'],
    ['RUN if [ -x /x ]; then true; fi && sudo /x', 'RUN if [ -x /x ]; then true; fi && /x'],
    ['RUN if [ -x /x ]; then sudo /x; fi', 'RUN if [ -x /x ]; then /x; fi'],
    ['RUN for p in a b; do sudo install $p; done', 'RUN for p in a b; do install $p; done'],
    ['RUN env HOME=/root sudo make', null],
    ['RUN <<EOF\nsudo apt-get update\necho sudo\nEOF', 'RUN <<EOF\napt-get update\necho sudo\nEOF'],
    ['RUN ["sh", "-c", "sudo make install"]', 'RUN ["sh", "-c", "make install"]'],
    ['RUN --mount=type=cache,target=/root/.cache sudo pip install x', 'RUN --mount=type=cache,target=/root/.cache pip install x'],
    ['RUN echo "%sudo ALL=(ALL) NOPASSWD: ALL" >> /etc/sudoers', 'RUN echo "%sudo ALL=(ALL) NOPASSWD: ALL" >> /etc/sudoers'],
  ])('%s', (input, output) => {
    expect(stripSudo(input)).toBe(output);
  });
});

/** Host facts for the container part: running containers as dockerd's inspect returns them. */
function hostWith(containers: Partial<ContainerDetails>[], securityOptions: string[] = []): HostFacts {
  return {
    ...unreachableHost(),
    ping: async () => undefined,
    info: async () => ({ SecurityOptions: securityOptions }),
    containers: async () => containers as ContainerDetails[],
  };
}

describe('non-root-user on a host', () => {
  // The same check runs against a real dockerd in test/integration/non-root-user-dockerd.test.ts;
  // these cases cover the user namespace remap that the test daemon does not run with.
  it('names containers whose Config.User is root, empty or 0', async () => {
    const host = hostWith([
      { Id: 'a'.repeat(64), Name: '/web', Image: 'sha256:1', Config: { User: '', Image: 'nginx:1.27' } as ContainerDetails['Config'] },
      { Id: 'b'.repeat(64), Name: '/db', Image: 'sha256:2', Config: { User: '0:0', Image: 'postgres:16' } as ContainerDetails['Config'] },
      { Id: 'c'.repeat(64), Name: '/app', Image: 'sha256:3', Config: { User: '10001', Image: 'app:1' } as ContainerDetails['Config'] },
    ]);
    const result = await step.check(contextFor(hostTarget, { host }));
    expect(result.status).toBe('fail');
    expect(result.findings.map((f) => f.message)).toEqual([expect.stringContaining('container web (image nginx:1.27) runs as root (Config.User is empty)'), expect.stringContaining('container db (image postgres:16) runs as root (Config.User "0:0")')]);
    expect(await step.propose!(contextFor(hostTarget, { host }), result)).toEqual([]);
  });
  it('softens the finding when user namespaces remap root', async () => {
    const host = hostWith([{ Id: 'a'.repeat(64), Name: '/web', Image: 'x', Config: { User: 'root', Image: 'nginx' } as ContainerDetails['Config'] }], ['name=seccomp,profile=builtin', 'name=userns']);
    const result = await step.check(contextFor(hostTarget, { host }));
    expect(result.status).toBe('warn');
    expect(result.findings[0]!.message).toContain('user namespaces map that root');
  });
  it('passes with no running containers', async () => {
    const result = await step.check(contextFor(hostTarget, { host: hostWith([]) }));
    expect(result.status).toBe('pass');
    expect(result.notes).toEqual(['0 running containers looked at']);
  });
  it('reports an unreachable daemon as an error (from the runner, since the step needs the daemon)', async () => {
    const { result } = await runStep(step, contextFor(hostTarget, { host: unreachableHost() }));
    expect(result.status).toBe('error');
    expect(result.findings.map((f) => f.code)).toEqual(['DH-DAEMON-UNREACHABLE']);
  });
});

describe('the USER change where the app\'s folder belongs to root: a second way that gives it the folder', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'dh-own-folder-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  let made = 0;
  const proposalsFor = async (text: string) => {
    const file = path.join(tmp, `Dockerfile.${made++}`);
    writeFileSync(file, text);
    return { file, run: await runStep(step, contextFor(dockerfileTarget(file), { probe: systemProbe() })) };
  };

  it('node with WORKDIR /app and COPY . .: the plain change first, then one with a chown of /app before USER, as alternatives', async () => {
    const text = 'FROM node:20-slim\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nCMD ["node", "server.js"]\n';
    const { run } = await proposalsFor(text);
    expect(run.proposals.map((p) => [p.id, p.risk, p.group])).toEqual([
      ['set-user', 'review', 'set-user'],
      ['set-user-own-folder', 'review', 'set-user'],
    ]);
    const [plain, owning] = run.proposals;
    expect(plain!.changes[0]!.after).toBe(text.replace('COPY . .\n', 'COPY . .\nUSER node\n'));
    expect(owning!.changes[0]!.after).toBe(text.replace('COPY . .\n', 'COPY . .\nRUN chown -R node /app\nUSER node\n'));
    expect(owning!.title).toBe('Run the final stage as node, owning /app');
    expect(owning!.description).toContain('after `RUN chown -R node /app`, which gives it the app\'s folder');
    expect(owning!.description).toContain('Files that COPY or ADD put outside /app belong to root');
    // What it costs is said: the app can change its own code, and the image grows.
    expect(owning!.warnings.join('\n')).toContain('an intruder in the app can change the app\'s own files, which the plain USER change keeps root\'s');
    expect(owning!.warnings.join('\n')).not.toContain('so node cannot write there');
    expect(plain!.warnings.join('\n')).toContain('so node cannot write there');
  });

  it.each([
    // No app folder of root's: the binary is in /usr/local/bin and the app starts in /.
    ['no folder of its own', 'FROM debian:bookworm-slim\nCOPY app /usr/local/bin/app\nCMD ["app"]\n'],
    // An image with no shell to chown with.
    ['no shell (distroless)', 'FROM gcr.io/distroless/static-debian12\nWORKDIR /app\nCOPY app .\nCMD ["/app/app"]\n'],
  ])('%s: the plain change alone', async (_label, text) => {
    const { run } = await proposalsFor(text);
    expect(run.proposals.filter((p) => p.id.startsWith('set-user')).map((p) => p.id)).toEqual(['set-user']);
  });
});
