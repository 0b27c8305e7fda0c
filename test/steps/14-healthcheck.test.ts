import { describe } from 'vitest';
import step from '../../steps/14-healthcheck.js';
import { runStepTable, type StepCase } from './step-table.js';

const cases: StepCase[] = [
  {
    name: 'a server that installs curl gets a curl probe before its CMD',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends curl\nEXPOSE 8080\nCMD ["/app/server"]\n',
    expect: {
      status: 'warn', codes: ['CIS-4.6'], lines: [4], risks: { 'add-healthcheck': 'review' },
      afterFix: { removed: [], added: ['HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD curl -sS -o /dev/null http://localhost:8080/ || exit 1'] },
    },
  },
  {
    name: 'curl installed only for the build (apk add --virtual, then apk del of the group) is not there to probe with: advice',
    given: 'FROM alpine:3.20\nRUN apk add --no-cache --virtual .build-deps curl tar && curl -fsSL https://example.com/app.tgz | tar -xz -C /usr/local/bin && apk del .build-deps\nEXPOSE 8080\nCMD ["/usr/local/bin/app"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, advice: ['docker-harden does not know a probe this image carries'], afterFix: null },
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
    expect: { status: 'warn', codes: ['CIS-4.6'], lines: [3], risks: { 'add-healthcheck': 'advice' }, afterFix: null },
  },
  {
    name: "a base image with a HEALTHCHECK of its own (Jupyter's base-notebook): inherited, no finding",
    given: 'FROM quay.io/jupyter/base-notebook:2024-05-27\nCOPY notebooks/ /home/jovyan/work/\nEXPOSE 8888\n',
    expect: { status: 'pass', notes: ['defines a HEALTHCHECK, which this image inherits'], afterFix: null },
  },
  {
    name: 'nginx:alpine without curl gets advice, not a made-up probe',
    given: 'FROM nginx:1.27-alpine\nCOPY site /usr/share/nginx/html\nEXPOSE 80\nCMD ["nginx", "-g", "daemon off;"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], lines: [4], risks: { 'add-healthcheck': 'advice' }, advice: ['without curl or wget'], afterFix: null },
  },
  {
    name: 'a port that is not plain HTTP (OpenVPN on 1194, HTTPS on 443): advice with a probe that speaks it, no curl probe',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y --no-install-recommends openvpn curl\nEXPOSE 1194\nCMD ["openvpn", "--config", "/etc/openvpn/server.conf"]\n',
    expect: { status: 'warn', codes: ['CIS-4.6'], risks: { 'add-healthcheck': 'advice' }, advice: ['Port 1194 is OpenVPN, not plain HTTP'], afterFix: null },
  },
  {
    name: 'PostgreSQL\'s port gets pg_isready, not curl',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y postgresql curl\nEXPOSE 5432\nCMD ["/usr/lib/postgresql/15/bin/postgres"]\n',
    expect: { status: 'warn', risks: { 'add-healthcheck': 'advice' }, advice: ['pg_isready -h 127.0.0.1'], afterFix: null },
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
});
