import { describe, expect, it } from 'vitest';
import { canonicalName, createUserCommand, describeImage, invalidReferenceReason, isFloatingTag, isImageReference, jreImageFor, parseImageRef } from '../../src/dockerfile/images.js';

describe('parseImageRef', () => {
  it.each([
    ['node', null, 'node', null, null],
    ['node:20', null, 'node', '20', null],
    ['docker.io/library/node:20-slim', null, 'node', '20-slim', null],
    ['library/python:3.12', null, 'python', '3.12', null],
    ['bitnami/redis:7.2', null, 'bitnami/redis', '7.2', null],
    ['gcr.io/distroless/static-debian12:nonroot', 'gcr.io', 'distroless/static-debian12', 'nonroot', null],
    ['localhost:5000/app:1.0', 'localhost:5000', 'app', '1.0', null],
    ['node:20@sha256:abc', null, 'node', '20', 'sha256:abc'],
  ])('%s', (text, registry, repository, tag, digest) => {
    expect(parseImageRef(text)).toMatchObject({ registry, repository, tag, digest });
  });
  it('canonical names', () => {
    expect(canonicalName(parseImageRef('docker.io/library/node:20'))).toBe('node');
    expect(canonicalName(parseImageRef('gcr.io/distroless/base'))).toBe('gcr.io/distroless/base');
  });
  it('an empty tag (from an empty ARG) is not taken for no tag, in either order', () => {
    expect(describeImage(parseImageRef('node:')).smaller).toBeUndefined();
    expect(describeImage(parseImageRef('node')).smaller?.reference).toBe('node:slim');
    expect(describeImage(parseImageRef('node:')).smaller).toBeUndefined();
  });
  it('floating tags', () => {
    expect(isFloatingTag(parseImageRef('node'))).toBe(true);
    expect(isFloatingTag(parseImageRef('node:latest'))).toBe(true);
    expect(isFloatingTag(parseImageRef('node@sha256:abc'))).toBe(false);
    expect(isFloatingTag(parseImageRef('node:20'))).toBe(false);
  });
});

describe("isImageReference: Docker's reference grammar", () => {
  const hex = (n: number) => 'a'.repeat(n);
  it.each([
    'node',
    'node:20',
    'docker.io/library/node:20-slim',
    'gcr.io/distroless/static-debian12:nonroot',
    'localhost:5000/app:1.0',
    '[::1]:5000/app:1',
    // An uppercase first component is a registry host, which may be uppercase.
    'MyRegistry/app:1',
    'a__b/c-d---e.f_g:_x.Y-1',
    `node:20@sha256:${hex(64)}`,
    `node@sha512:${hex(128)}`,
    `node:${'t'.repeat(128)}`,
  ])('%s is valid', (reference) => {
    expect(isImageReference(reference)).toBe(true);
  });
  it.each([
    '',
    ' node:20',
    'node:20 ',
    'Node:20',
    'myorg/App:1',
    'node:20\x1b[2J',
    'node:20\x07',
    'python:3.12\u202e',
    'node:',
    'node:-20',
    `node:${'t'.repeat(129)}`,
    'node:20@',
    'node@sha256:abc',
    `node@sha256:${'A'.repeat(64)}`,
    `node@md5:${hex(32)}`,
    'node/',
    '-node',
    'a..b',
    'a'.repeat(256),
    hex(64),
  ])('%j is not valid', (reference) => {
    expect(isImageReference(reference)).toBe(false);
  });
  it('the reason names the line and shows control characters, and a long reference is cut', () => {
    expect(invalidReferenceReason('node:20', 3)).toBeNull();
    expect(invalidReferenceReason('node:20\x1b]52;c;x\x07', 3)).toContain('the image at line 3, "node:20\\x1b]52;c;x\\x07", is not a valid image reference');
    const long = invalidReferenceReason(`Node:${'9'.repeat(500)}`, 1)!;
    expect(long).toContain(`"Node:${'9'.repeat(72)}..."`);
    expect(long.length).toBeLessThan(400);
  });
});

describe('smaller variants come only from tag shapes the image publishes', () => {
  const cases: [string, string | null][] = [
    ['node:20', 'node:20-slim'],
    ['node:20.11.1', 'node:20.11.1-slim'],
    ['node:lts', 'node:lts-slim'],
    ['node:iron', 'node:iron-slim'],
    ['node:20-bookworm', 'node:20-bookworm-slim'],
    ['node:latest', 'node:slim'],
    ['node:20-slim', null],
    ['node:20-alpine', null],
    ['node:20-alpine3.19', null],
    ['node:20-onbuild', null],
    ['python:3.12', 'python:3.12-slim'],
    ['python:3.12-bookworm', 'python:3.12-slim-bookworm'],
    ['python:3', 'python:3-slim'],
    ['python:3.12-slim-bookworm', null],
    ['python:3.12-windowsservercore', null],
    ['debian:bookworm', 'debian:bookworm-slim'],
    ['debian:12', 'debian:12-slim'],
    ['debian:12.5', 'debian:12.5-slim'],
    ['debian:bookworm-20240110', 'debian:bookworm-20240110-slim'],
    ['debian:stable', 'debian:stable-slim'],
    ['debian:latest', 'debian:stable-slim'],
    ['debian:bookworm-slim', null],
    ['debian:bookworm-backports', null],
    ['ubuntu:24.04', null],
    ['alpine:3.20', null],
    ['eclipse-temurin:21-jdk', 'eclipse-temurin:21-jre'],
    ['eclipse-temurin:21', 'eclipse-temurin:21-jre'],
    ['eclipse-temurin:17-jdk-jammy', 'eclipse-temurin:17-jre-jammy'],
    ['eclipse-temurin:21-jdk-alpine', 'eclipse-temurin:21-jre-alpine'],
    ['eclipse-temurin:21.0.2_13-jdk', 'eclipse-temurin:21.0.2_13-jre'],
    ['eclipse-temurin:22-jdk', null],
    ['eclipse-temurin:21-jre', null],
    ['openjdk:17-jdk-slim', 'eclipse-temurin:17-jre'],
    // openjdk 12 and later without a variant is Oracle Linux 8 slim: a JRE that keeps microdnf.
    ['openjdk:17', 'eclipse-temurin:17-jre-ubi9-minimal'],
    ['openjdk:21-jdk-oraclelinux8', 'eclipse-temurin:21-jre-ubi9-minimal'],
    ['openjdk:11', 'eclipse-temurin:11-jre'],
    ['eclipse-temurin:21-jdk-ubi9-minimal', 'eclipse-temurin:21-jre-ubi9-minimal'],
    ['openjdk:11-jre-slim', null],
    ['maven:3.9-eclipse-temurin-21', 'eclipse-temurin:21-jre'],
    ['maven:3.9.6-eclipse-temurin-17-alpine', 'eclipse-temurin:17-jre-alpine'],
    ['maven:3.9-amazoncorretto-21', null],
    ['gradle:8.5-jdk21', 'eclipse-temurin:21-jre'],
    ['buildpack-deps:bookworm', 'debian:bookworm-slim'],
    ['golang:1.22', null],
    ['myorg/app:1.0', null],
  ];
  it.each(cases)('%s -> %s', (reference, smaller) => {
    expect(describeImage(parseImageRef(reference)).smaller?.reference ?? null).toBe(smaller);
  });
});

describe('families and users', () => {
  it.each([
    ['node:20', 'debian', 'node'],
    ['node:20-alpine', 'alpine', 'node'],
    ['python:3.12-slim', 'debian', undefined],
    ['eclipse-temurin:21-jre', 'ubuntu', undefined],
    ['alpine:3.20', 'alpine', undefined],
    ['busybox:1.36', 'busybox', undefined],
    ['scratch', 'scratch', undefined],
    ['gcr.io/distroless/static-debian12', 'distroless', 'nonroot'],
    ['registry.access.redhat.com/ubi9/ubi:9.3', 'rhel', undefined],
    ['myorg/app:1.0', 'unknown', undefined],
    ['myorg/app:1.0-alpine', 'alpine', undefined],
  ])('%s is %s and ships %s', (reference, family, user) => {
    const info = describeImage(parseImageRef(reference));
    expect(info.family).toBe(family);
    expect(info.ships?.name).toBe(user);
  });
  it.each([
    ['openjdk:17', 'rhel', true],
    ['openjdk:17-jdk', 'rhel', true],
    ['openjdk:21-jdk-oraclelinux8', 'rhel', true],
    ['openjdk:17-jdk-slim', 'debian', false],
    ['openjdk:17-jdk-bullseye', 'debian', false],
    ['openjdk:17-alpine', 'alpine', false],
    ['openjdk:11', 'debian', false],
    ['openjdk:8-jre', 'debian', false],
    ['oraclelinux:9-slim', 'rhel', true],
    ['oraclelinux:9', 'rhel', false],
    ['amazonlinux:2023', 'rhel', true],
    ['amazonlinux:2', 'rhel', false],
    ['eclipse-temurin:21-jre-ubi9-minimal', 'rhel', true],
    ['eclipse-temurin:21-jre', 'ubuntu', false],
    ['registry.access.redhat.com/ubi9/ubi-minimal:9.4', 'rhel', true],
  ])('%s is %s; without useradd: %s', (reference, family, noUserTools) => {
    const info = describeImage(parseImageRef(reference));
    expect(info.family).toBe(family);
    expect(Boolean(info.noUserTools)).toBe(noUserTools);
  });
  it('the user an image runs as by itself', () => {
    expect(describeImage(parseImageRef('gcr.io/distroless/static-debian12:nonroot')).runsAs?.uid).toBe(65532);
    expect(describeImage(parseImageRef('gcr.io/distroless/static-debian12:latest')).runsAs).toBeUndefined();
    expect(describeImage(parseImageRef('node:20')).runsAs).toBeUndefined();
    expect(describeImage(parseImageRef('cgr.dev/chainguard/node:latest')).runsAs?.uid).toBe(65532);
    // Chainguard's -dev tags run as 65532 too; wolfi-base, chainguard-base and go run as root.
    expect(describeImage(parseImageRef('cgr.dev/chainguard/python:latest-dev')).runsAs?.uid).toBe(65532);
    expect(describeImage(parseImageRef('cgr.dev/chainguard/node:latest-dev')).runsAs?.name).toBe('node');
    for (const root of ['cgr.dev/chainguard/wolfi-base:latest', 'cgr.dev/chainguard/go:latest-dev', 'bitnami/minideb:bookworm']) expect(describeImage(parseImageRef(root)).runsAs, root).toBeUndefined();
    expect(describeImage(parseImageRef('bitnami/postgresql:16')).runsAs?.uid).toBe(1001);
    // Red Hat's s2i language images end with USER 1001; their OpenJDK images run as 185.
    expect(describeImage(parseImageRef('registry.access.redhat.com/ubi8/nodejs-16')).runsAs).toMatchObject({ uid: 1001, gid: 0 });
    expect(describeImage(parseImageRef('registry.redhat.io/ubi9/python-311:latest')).runsAs).toMatchObject({ uid: 1001, gid: 0 });
    expect(describeImage(parseImageRef('registry.access.redhat.com/ubi9/openjdk-21-runtime:1.20')).runsAs).toMatchObject({ uid: 185, gid: 0 });
    expect(describeImage(parseImageRef('registry.access.redhat.com/ubi9/ubi:9.4')).runsAs).toBeUndefined();
  });
  it('toolchains and Java versions', () => {
    expect(describeImage(parseImageRef('golang:1.22')).toolchain).toBe('go');
    expect(describeImage(parseImageRef('maven:3.9-eclipse-temurin-21')).javaMajor).toBe(21);
    expect(jreImageFor(17, '17-jdk-alpine')).toBe('eclipse-temurin:17-jre-alpine');
    expect(jreImageFor(23)).toBeNull();
  });
  it('user creation per family', () => {
    expect(createUserCommand('debian')).toBe('groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --no-create-home --shell /usr/sbin/nologin app');
    expect(createUserCommand('alpine')).toBe('addgroup -S -g 10001 app && adduser -S -D -H -u 10001 -G app app');
    expect(createUserCommand('busybox')).toBe(createUserCommand('alpine'));
    expect(createUserCommand('debian', true)).toBe('groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app --shell /usr/sbin/nologin app');
    expect(createUserCommand('alpine', true)).toBe('addgroup -S -g 10001 app && adduser -S -D -h /home/app -u 10001 -G app app');
    expect(createUserCommand('scratch')).toBeNull();
    expect(createUserCommand('distroless')).toBeNull();
  });
});
