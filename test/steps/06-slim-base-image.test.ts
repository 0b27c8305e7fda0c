import { describe } from 'vitest';
import step from '../../steps/06-slim-base-image.js';
import { runStepTable, type StepCase } from './step-table.js';

const cases: StepCase[] = [
  {
    name: 'node:20 becomes node:20-slim',
    given: 'FROM node:20\nWORKDIR /app\nCOPY . .\nUSER node\nCMD ["node", "server.js"]\n',
    expect: { status: 'fail', findings: ['full image node:20; node:20-slim is the smaller image'], codes: ['DH-BASE-LARGE'], lines: [1], afterFix: { removed: ['FROM node:20'], added: ['FROM node:20-slim'] } },
  },
  {
    name: 'an official image from the ECR Public mirror: the slim tag from the same mirror',
    given: 'FROM public.ecr.aws/docker/library/node:20\nWORKDIR /app\nCOPY . .\nUSER node\nCMD ["node", "server.js"]\n',
    expect: { status: 'fail', codes: ['DH-BASE-LARGE'], afterFix: { removed: ['FROM public.ecr.aws/docker/library/node:20'], added: ['FROM public.ecr.aws/docker/library/node:20-slim'] } },
  },
  {
    name: 'a namespaced image under a mirror path is not taken for an official one',
    given: 'FROM public.ecr.aws/docker/library/acme/node:20\nUSER 1000\n',
    expect: { status: 'pass', afterFix: null },
  },
  {
    name: 'python with a Debian suite keeps the suite in the slim tag',
    given: 'FROM python:3.12-bookworm\nCOPY . /app\nCMD ["python", "/app/main.py"]\n',
    expect: { status: 'fail', afterFix: { removed: ['FROM python:3.12-bookworm'], added: ['FROM python:3.12-slim-bookworm'] } },
  },
  {
    name: 'debian codename',
    given: 'FROM debian:bookworm\nRUN apt-get update && apt-get install -y --no-install-recommends ca-certificates\n',
    expect: { status: 'fail', afterFix: { added: ['FROM debian:bookworm-slim'] } },
  },
  {
    name: 'a registry prefix stays as written; only the tag changes',
    given: 'FROM docker.io/library/node:20.11.1 AS app\nCMD ["node"]\n',
    expect: { status: 'fail', afterFix: { added: ['FROM docker.io/library/node:20.11.1-slim AS app'] } },
  },
  {
    name: 'JDK to JRE',
    given: 'FROM eclipse-temurin:21-jdk\nCOPY app.jar /app.jar\nCMD ["java", "-jar", "/app.jar"]\n',
    expect: { status: 'fail', findings: ['a JDK (eclipse-temurin:21-jdk) where a JRE would do'], afterFix: { added: ['FROM eclipse-temurin:21-jre'] } },
  },
  {
    name: 'a Go toolchain image that only runs a binary becomes distroless',
    given: 'FROM golang:1.22\nCOPY server /server\nENTRYPOINT ["/server"]\n',
    expect: {
      status: 'fail',
      findings: ['Go toolchain image golang:1.22'],
      afterFix: { added: ['FROM gcr.io/distroless/static-debian12:nonroot'], warnings: ['CGO_ENABLED=0'] },
    },
  },
  {
    name: 'a Go toolchain image that compiles in the final stage is left to multi-stage-build',
    given: 'FROM golang:1.22\nCOPY . .\nRUN go build -o /server .\nENTRYPOINT ["/server"]\n',
    expect: { status: 'fail', findings: ['split it into a build stage and a small final stage first (step multi-stage-build)'], afterFix: null },
  },
  {
    name: 'maven in the final stage that builds is left to multi-stage-build',
    given: 'FROM maven:3.9-eclipse-temurin-21\nCOPY . .\nRUN mvn package\nCMD ["java", "-jar", "target/app.jar"]\n',
    expect: { status: 'fail', findings: ['eclipse-temurin:21-jre', 'which needs the JDK'], afterFix: null },
  },
  {
    name: 'only the final stage matters',
    given: 'FROM node:20 AS build\nRUN npm ci && npm run build\nFROM node:20-slim\nCOPY --from=build /app /app\nUSER node\n',
    expect: { status: 'pass', notes: ['already a small variant'] },
  },
  {
    name: 'the base reached through FROM <stage> is the one judged',
    given: 'FROM python:3.12 AS base\nRUN pip install flask\nFROM base\nCMD ["flask", "run"]\n',
    expect: { status: 'fail', findings: ['through stage 1\'s FROM chain'], lines: [1], afterFix: { added: ['FROM python:3.12-slim AS base'] } },
  },
  {
    name: 'an image from a global ARG: the ARG default changes',
    given: 'ARG BASE=node:20\nFROM ${BASE}\nCMD ["node"]\n',
    expect: { status: 'fail', lines: [2], afterFix: { removed: ['ARG BASE=node:20'], added: ['ARG BASE=node:20-slim'] } },
  },
  {
    name: 'a tag from an ARG: the suffix is appended',
    given: 'ARG NODE_VERSION=20\nFROM node:${NODE_VERSION}\nCMD ["node"]\n',
    expect: { status: 'fail', afterFix: { added: ['FROM node:${NODE_VERSION}-slim'] } },
  },
  {
    name: 'an image from an ARG without a default cannot be judged',
    given: 'ARG BASE\nFROM ${BASE}\nCMD ["sh"]\n',
    expect: { status: 'warn', findings: ['depends on $BASE, which has no default'], absent: ['not declared'], codes: ['DH-BASE-UNRESOLVED'], lines: [2], afterFix: null },
  },
  {
    name: 'an ARG no ARG declares: empty in FROM whatever --build-arg passes, so the build fails; said with the line',
    given: 'FROM ${BASE}\nCMD ["sh"]\n',
    expect: {
      status: 'warn',
      findings: ['FROM ${BASE} at line 1 uses $BASE, which is not declared before the first FROM: Docker reads it as empty there, and --build-arg cannot set it, so the build fails ("base name (${BASE}) should not be blank"). Declare it above the first FROM with a default, for example ARG BASE=...'],
      absent: ['has no default'],
      codes: ['DH-BASE-UNRESOLVED'],
      lines: [1],
      afterFix: null,
    },
  },
  {
    name: 'a tag from an undeclared ARG leaves an invalid reference',
    given: 'FROM node:${NODE_VERSION}\nCMD ["node"]\n',
    expect: { status: 'warn', findings: ['uses $NODE_VERSION, which is not declared before the first FROM', 'so the build fails: "node:" is not a valid image reference', 'ARG NODE_VERSION=...'], lines: [1], afterFix: null },
  },
  {
    name: 'an ARG declared in an earlier stage is not declared for a later FROM',
    given: 'FROM alpine:3.20 AS tools\nARG BASE=node:20\nFROM ${BASE}\nCMD ["node"]\n',
    expect: { status: 'warn', findings: ['FROM ${BASE} at line 3 uses $BASE, which is not declared before the first FROM'], lines: [3], afterFix: null },
  },
  {
    name: 'a control character in the tag: advice naming the line, never a FROM that copies it',
    given: 'FROM node:20\x1b[2J\nCMD ["node"]\n',
    expect: { status: 'fail', codes: ['DH-BASE-LARGE'], risks: { 'smaller-base': 'advice' }, advice: ['the image at line 1, "node:20\\x1b[2J", is not a valid image reference'], afterFix: null },
  },
  {
    name: 'an uppercase name is not a valid reference: advice, not a fix built on it',
    given: 'FROM Node:20\nCMD ["node"]\n',
    expect: { status: 'fail', risks: { 'smaller-base': 'advice' }, advice: ['the image at line 1, "Node:20", is not a valid image reference'], afterFix: null },
  },
  {
    name: 'an ARG default that makes the reference invalid: advice naming the FROM line',
    given: 'ARG NODE_VERSION=20\x07\nFROM node:${NODE_VERSION}\nCMD ["node"]\n',
    expect: { status: 'fail', risks: { 'smaller-base': 'advice' }, advice: ['the image at line 2, "node:20\\x07", is not a valid image reference'], afterFix: null },
  },
  {
    name: 'a digest-pinned full image: explain, do not drop the pin',
    given: 'FROM node:20@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\nCMD ["node"]\n',
    expect: { status: 'fail', findings: ['pinned by digest'], afterFix: null },
  },
  {
    name: 'no tag at all',
    given: 'FROM node\nCMD ["node"]\n',
    expect: { status: 'fail', findings: ['has no tag and so means "latest"', 'node:slim'], absent: ['is the smaller image'], afterFix: null },
  },
  {
    name: 'already slim, alpine, distroless or scratch',
    given: 'FROM node:20-alpine\nCMD ["node"]\n',
    expect: { status: 'pass' },
  },
  { name: 'scratch', given: 'FROM scratch\nCOPY app /app\n', expect: { status: 'pass', notes: ['FROM scratch'] } },
  { name: 'ubuntu has no slimmer official variant', given: 'FROM ubuntu:24.04\n', expect: { status: 'pass' } },
  { name: 'an unknown image is not judged by invention', given: 'FROM myorg/runtime:4.1\n', expect: { status: 'pass', notes: ['family unknown'] } },
  {
    name: 'warns about tools the slim image lacks',
    given: 'FROM debian:bookworm\nRUN curl -fsSL https://example.com/x -o /x\n',
    expect: { status: 'fail', afterFix: { added: ['FROM debian:bookworm-slim'], warnings: ['uses curl, which debian:bookworm-slim does not include'] } },
  },
  {
    name: 'a tool used inside a command substitution is named too, with ca-certificates for an https URL',
    given: 'FROM node:20\nRUN sh -c "$(wget -qO- https://example.com/install.sh)"\nCMD ["node", "server.js"]\n',
    expect: { status: 'fail', afterFix: { added: ['FROM node:20-slim'], warnings: ['RUN at line 2 uses wget, which node:20-slim does not include: install it in that RUN (or an earlier one), with ca-certificates for its https:// URLs'] } },
  },
  {
    name: "Chainguard's free images have only latest tags: the finding says to pin the digest, not a version",
    given: 'FROM cgr.dev/chainguard/node:latest\nCOPY . /app\nCMD ["/app/index.js"]\n',
    expect: { status: 'fail', findings: ["Chainguard's free images are published as latest and latest-dev only: pin the digest"], absent: ['pin a version'] },
  },
  {
    name: 'a pip install from a git repository needs git, which slim lacks: said by line; not when the RUN installs git first',
    given: 'FROM python:3.12\nRUN pip install --no-cache-dir "mylib @ git+https://github.com/example/mylib@v1.2"\nRUN apt-get update && apt-get install -y git && pip install git+https://github.com/example/other.git\nCMD ["python"]\n',
    expect: { status: 'fail', afterFix: { added: ['FROM python:3.12-slim'], warnings: ['RUN at line 2 installs a package from a git repository (git+https://...), which takes git, which python:3.12-slim does not include'], noWarnings: ['RUN at line 3 installs a package from a git repository'] } },
  },
  {
    name: 'CRLF and the escape directive stay byte for byte',
    given: '# escape=`\r\nFROM python:3.12\r\nRUN pip install `\r\n    flask\r\nCMD ["flask"]\r\n',
    expect: { status: 'fail', afterFix: { equals: '# escape=`\r\nFROM python:3.12-slim\r\nRUN pip install `\r\n    flask\r\nCMD ["flask"]\r\n' } },
  },
  {
    name: 'the size of the local image is shown when docker has it',
    given: 'FROM node:20-slim\n',
    world: { which: { docker: '/usr/bin/docker' }, stats: { '/var/run/docker.sock': { isSocket: true, isFile: false } }, commands: { 'docker image inspect --format {{.Size}} -- node:20-slim': { stdout: '219000000\n' } } },
    expect: { status: 'pass', notes: ['the local image node:20-slim is 219 MB'] },
  },
];

// What Trivy's DS-0001 (latest_tag) covers, in cases of our own (theirs run in
// test/conformance/peer-cases.test.ts). A pinned full Debian tag has no "latest" finding but
// still fails here, because this step also asks for the slim variant.
const latest: StepCase[] = [
  { name: 'a pinned tag: no "latest", but the slim variant is asked for', given: 'FROM debian:12\nRUN apt-get update && apt-get -y install curl && apt-get clean\nUSER app', expect: { status: 'fail', findings: ['debian:12-slim is the smaller image'], absent: ['latest'], afterFix: { added: ['FROM debian:12-slim'] } } },
  { name: 'FROM debian:latest: the tag moves, and no slim tag is guessed for it', given: 'FROM debian:latest\nRUN apt-get update && apt-get -y install curl && apt-get clean\nUSER app', expect: { status: 'fail', findings: ['built on debian:latest', '"latest" moves to a new version'], afterFix: null } },
];

describe('slim-base-image', () => {
  runStepTable(step, [...cases, ...latest]);
});
