import { describe, expect, it } from 'vitest';
import step, { verifyFinalStage } from '../../steps/07-multi-stage-build.js';
import { runStepTable, type StepCase } from './step-table.js';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nonRoot from '../../steps/04-non-root-user.js';
import type { Step } from '../../src/core/step.js';
import { contextFor, dockerfileTarget } from '../helpers/world.js';

const cases: StepCase[] = [
  {
    name: 'Node: npm ci with dev dependencies, then npm run build',
    given: 'FROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nENV NODE_ENV=production\nEXPOSE 3000\nUSER node\nCMD ["node", "dist/server.js"]\n',
    expect: {
      status: 'fail',
      findings: ['single-stage build: installs dev dependencies (line 4) to run `npm run build`'],
      lines: [6],
      afterFix: {
        equals:
          'FROM node:20 AS build\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nRUN npm prune --omit=dev\nENV NODE_ENV=production\n\n' +
          'FROM node:20-slim\nENV NODE_ENV=production\nWORKDIR /app\nCOPY --from=build /app/package*.json /app/\nCOPY --from=build /app/node_modules /app/node_modules\nCOPY --from=build /app/dist /app/dist\nEXPOSE 3000\nUSER node\nCMD ["node", "dist/server.js"]\n',
      },
    },
  },
  {
    name: 'Go: go build -o in the final image becomes a distroless final stage',
    given: 'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/server ./cmd/server\nEXPOSE 8080\nENTRYPOINT ["/out/server"]\n',
    expect: {
      status: 'fail',
      findings: ['is built on golang:1.22, which carries the Go toolchain', 'compiles with `go build -o /out/server ...`'],
      codes: ['DH-BUILD-TOOLS-SHIPPED', 'DH-BUILD-TOOLS-SHIPPED'], lines: [1, 4],
      afterFix: {
        equals:
          'FROM golang:1.22 AS build\nENV CGO_ENABLED=0\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/server ./cmd/server\n\n' +
          'FROM gcr.io/distroless/static-debian12:nonroot\nWORKDIR /src\nCOPY --from=build /out/server /out/server\nEXPOSE 8080\nENTRYPOINT ["/out/server"]\n',
        warnings: ['only the binary /out/server is copied'],
      },
    },
  },
  {
    name: 'Go built with a relative -o in golang\'s own WORKDIR (/go): the binary is copied from /go, and the final stage runs in /go too',
    given: 'FROM golang:1.22\nCOPY . .\nRUN go build -o server .\nEXPOSE 8080\nCMD ["./server"]\n',
    expect: {
      status: 'fail',
      codes: ['DH-BUILD-TOOLS-SHIPPED', 'DH-BUILD-TOOLS-SHIPPED'], lines: [1, 3],
      afterFix: {
        equals:
          'FROM golang:1.22 AS build\nENV CGO_ENABLED=0\nCOPY . .\nRUN go build -o server .\n\n' +
          'FROM gcr.io/distroless/static-debian12:nonroot\nWORKDIR /go\nCOPY --from=build /go/server /go/server\nEXPOSE 8080\nCMD ["./server"]\n',
        warnings: ['only the binary /go/server is copied'],
      },
    },
  },
  {
    name: 'Go built with -race needs cgo: no CGO_ENABLED=0, and the distroless image with glibc',
    given: 'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -race -o /out/server .\nENTRYPOINT ["/out/server"]\n',
    expect: {
      status: 'fail',
      afterFix: {
        equals:
          'FROM golang:1.22 AS build\nWORKDIR /src\nCOPY . .\nRUN go build -race -o /out/server .\n\n' +
          'FROM gcr.io/distroless/base-debian12:nonroot\nWORKDIR /src\nCOPY --from=build /out/server /out/server\nENTRYPOINT ["/out/server"]\n',
      },
    },
  },
  {
    name: 'Go: a named stage keeps its name, a created user becomes its uid on distroless',
    given: 'FROM golang:1.22-bookworm AS builder\nRUN useradd --uid 1500 gopher\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o app .\nUSER gopher\nCMD ["./app"]\n',
    expect: {
      status: 'fail',
      afterFix: {
        contains: ['FROM golang:1.22-bookworm AS builder\nRUN useradd', 'COPY --from=builder /src/app /src/app\nUSER 1500:1500\nCMD ["./app"]\n'],
        warnings: ['USER gopher becomes USER 1500:1500'],
      },
    },
  },
  {
    name: 'Go without -o: explain, propose nothing',
    given: 'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build ./...\nCMD ["/src/app"]\n',
    expect: { status: 'fail', notes: ['no automatic rewrite: `go build ./...` has no -o'], afterFix: null },
  },
  {
    name: 'Go: CMD does not run the built binary',
    given: 'FROM golang:1.22\nWORKDIR /src\nRUN go build -o /bin/tool .\nCMD ["go", "run", "."]\n',
    expect: { status: 'fail', notes: ['does not run the built binary /bin/tool'], afterFix: null },
  },
  {
    name: 'Python: build tools stay behind, the virtualenv moves',
    given:
      'FROM python:3.12\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev curl \\\n    && rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n# the web server\nCMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]\n',
    expect: {
      status: 'fail',
      findings: ['installs build tools (gcc, libpq-dev)'],
      lines: [3],
      afterFix: {
        equals:
          'FROM python:3.12 AS build\nRUN python -m venv /opt/venv\nENV PATH="/opt/venv/bin:$PATH"\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends gcc libpq-dev curl \\\n    && rm -rf /var/lib/apt/lists/*\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n\n' +
          'FROM python:3.12-slim\nWORKDIR /app\nENV PATH="/opt/venv/bin:$PATH"\nRUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*\nCOPY --from=build /opt/venv /opt/venv\nCOPY --from=build /app /app\n# the web server\nCMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]\n',
        warnings: ['install the runtime package there (for example libpq5 for libpq-dev)'],
      },
    },
  },
  {
    name: 'Python: a USER followed by build steps stays in the build stage and is set again in the final stage',
    given:
      'FROM python:3.12\nRUN apt-get update && apt-get install -y gcc\nRUN adduser --system app\nUSER app\nWORKDIR /home/app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\nCMD ["gunicorn", "app:app"]\n',
    expect: { status: 'fail', findings: ['installs build tools (gcc)'], afterFix: { contains: ['COPY --from=build /home/app /home/app\nUSER app\nCMD ["gunicorn", "app:app"]\n', 'FROM python:3.12-slim\nWORKDIR /home/app\nRUN adduser --system app\n'] } },
  },
  {
    name: 'a tool the container starts needs git at run time (pre-commit): git is not a build tool that stays behind',
    given: 'FROM python:3.12\nRUN apt-get update && apt-get install -y git\nRUN pip install pre-commit\nENTRYPOINT ["pre-commit", "run", "--all-files"]\n',
    expect: { status: 'pass' },
  },
  {
    name: 'Python on Alpine: apk runtime packages go to the final stage, and the -dev warning names the Alpine runtime package',
    given: 'FROM python:3.11-alpine\nWORKDIR /app\nRUN apk add --no-cache postgresql-dev gcc musl-dev curl\nCOPY . .\nRUN pip install -r requirements.txt\nCMD ["gunicorn", "app:app"]\n',
    expect: {
      status: 'fail',
      afterFix: { contains: ['\nRUN apk add --no-cache curl\nCOPY --from=build /opt/venv /opt/venv\n'], warnings: ['(for example libpq for postgresql-dev)'] },
    },
  },
  {
    name: 'Python: an entrypoint script copied to / goes to the final stage too',
    given: 'FROM python:3.12\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends gcc\nCOPY . .\nRUN pip install -r requirements.txt\nCOPY ./entrypoint.sh /\nENTRYPOINT ["sh", "/entrypoint.sh"]\n',
    expect: {
      status: 'fail',
      afterFix: { contains: ['COPY --from=build /app /app\nCOPY --from=build /entrypoint.sh /entrypoint.sh\nENTRYPOINT ["sh", "/entrypoint.sh"]\n'] },
    },
  },
  {
    name: 'Python: the blank line before the moved EXPOSE and CMD leaves one blank line between the stages',
    given: 'FROM python:3.12\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends gcc\nCOPY . .\nRUN pip install -r requirements.txt\n\n\nEXPOSE 8000\nCMD ["gunicorn", "app:app"]\n',
    expect: {
      status: 'fail',
      afterFix: {
        equals:
          'FROM python:3.12 AS build\nRUN python -m venv /opt/venv\nENV PATH="/opt/venv/bin:$PATH"\nWORKDIR /app\nRUN apt-get update && apt-get install -y --no-install-recommends gcc\nCOPY . .\nRUN pip install -r requirements.txt\n\n' +
          'FROM python:3.12-slim\nWORKDIR /app\nENV PATH="/opt/venv/bin:$PATH"\nCOPY --from=build /opt/venv /opt/venv\nCOPY --from=build /app /app\nEXPOSE 8000\nCMD ["gunicorn", "app:app"]\n',
      },
    },
  },
  {
    name: 'Python: pip --user cannot be moved as a virtualenv',
    given: 'FROM python:3.12\nWORKDIR /app\nRUN apt-get update && apt-get install -y gcc\nRUN pip install --user -r requirements.txt\nCMD ["python", "app.py"]\n',
    expect: { status: 'fail', notes: ['pip installs with --user'], afterFix: null },
  },
  {
    name: 'Java with Maven: the jar moves to a JRE',
    given: 'FROM maven:3.9-eclipse-temurin-21\nWORKDIR /app\nCOPY pom.xml .\nCOPY src ./src\nRUN mvn -B package -DskipTests\nUSER 1000\nCMD ["java", "-jar", "target/app.jar"]\n',
    expect: {
      status: 'fail',
      findings: ['carries a JDK and Maven', 'compiles with `mvn -B package -DskipTests`'],
      afterFix: { contains: ['FROM maven:3.9-eclipse-temurin-21 AS build\n', '\nFROM eclipse-temurin:21-jre\nWORKDIR /app\nCOPY --from=build /app/target/app.jar /app/target/\nUSER 1000\nCMD ["java", "-jar", "target/app.jar"]\n'] },
    },
  },
  {
    name: 'Java with Gradle on a JDK image',
    given: 'FROM eclipse-temurin:17-jdk-jammy\nWORKDIR /w\nCOPY . .\nRUN ./gradlew bootJar\nENTRYPOINT java -jar build/libs/*.jar\n',
    expect: { status: 'fail', afterFix: { contains: ['FROM eclipse-temurin:17-jre-jammy\nWORKDIR /w\nCOPY --from=build /w/build/libs/*.jar /w/build/libs/\nENTRYPOINT java -jar build/libs/*.jar\n'] } },
  },
  {
    name: 'Java run through the build tool: explain',
    given: 'FROM maven:3.9-eclipse-temurin-21\nWORKDIR /app\nCOPY . .\nRUN mvn package\nCMD ["mvn", "spring-boot:run"]\n',
    expect: { status: 'fail', notes: ['runs the build tool itself'], afterFix: null },
  },
  {
    name: 'Node: an init the build ADDs for the ENTRYPOINT moves too; node-gyp tools are not reinstalled',
    given:
      'FROM node:20\nRUN apt-get update && apt-get install -y build-essential python3 git\nWORKDIR /app\nCOPY . .\nRUN npm ci\nRUN npm run build\nADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /usr/local/bin/tini\nRUN chmod +x /usr/local/bin/tini\nENTRYPOINT ["/usr/local/bin/tini", "--"]\nCMD ["node", "dist/server.js"]\n',
    expect: {
      status: 'fail',
      findings: ['installs build tools (build-essential, git)', 'installs dev dependencies (line 5)'],
      lines: [2, 6],
      afterFix: {
        contains: ['\nFROM node:20-slim\nWORKDIR /app\nCOPY --from=build /app/package*.json /app/\n', 'COPY --from=build /app/dist /app/dist\nCOPY --from=build /usr/local/bin/tini /usr/local/bin/tini\nENTRYPOINT ["/usr/local/bin/tini", "--"]\nCMD ["node", "dist/server.js"]\n'],
      },
    },
  },
  {
    name: 'Node started by npm start: the artefact cannot be told',
    given: 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm install\nRUN npm run build\nCMD ["npm", "start"]\n',
    expect: { status: 'fail', notes: ['can only tell the built files apart when CMD runs `node <built file>`'], afterFix: null },
  },
  {
    name: 'Node on a base that is not a valid reference: explained, its reference never copied into a new FROM',
    given: 'FROM MyNode:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\nCMD ["node", "dist/server.js"]\n',
    expect: { status: 'fail', notes: ['no automatic rewrite: the image at line 1, "MyNode:20", is not a valid image reference'], afterFix: null },
  },
  {
    name: 'Node with yarn: explain',
    given: 'FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn install\nRUN yarn build\nCMD ["node", "dist/index.js"]\n',
    expect: { status: 'fail', notes: ['installed with yarn'], afterFix: null },
  },
  {
    name: 'Rust: flagged, not rewritten',
    given: 'FROM rust:1.79\nWORKDIR /src\nCOPY . .\nRUN cargo build --release\nCMD ["/src/target/release/app"]\n',
    expect: { status: 'fail', notes: ['rewrites only Node, Go, Python and Java'], afterFix: null },
  },
  {
    name: 'build-essential with nothing identifiable',
    given: 'FROM debian:bookworm-slim\nRUN apt-get update && apt-get install -y build-essential git\nCOPY . /src\nRUN make -C /src install\nCMD ["/usr/local/bin/app"]\n',
    expect: { status: 'fail', findings: ['installs build tools (build-essential, git)'], notes: ['cannot tell what the build produces'], afterFix: null },
  },
  {
    name: 'build dependencies removed in the same RUN do not stay',
    given: 'FROM python:3.12-alpine\nRUN apk add --no-cache --virtual .build-deps gcc musl-dev && pip install uwsgi && apk del .build-deps\nCMD ["uwsgi"]\n',
    expect: { status: 'pass' },
  },
  {
    name: 'production dependencies only',
    given: 'FROM node:20-slim\nWORKDIR /app\nCOPY . .\nRUN npm ci --omit=dev\nCMD ["node", "index.js"]\n',
    expect: { status: 'pass' },
  },
  {
    name: 'a multi-stage build with a clean final stage',
    given: 'FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /out/app /app\nCMD ["/app"]\n',
    expect: { status: 'pass', notes: ['2 stages'] },
  },
  {
    name: 'a final stage built FROM the build stage still carries the toolchain',
    given: 'FROM golang:1.22 AS build\nRUN go build -o /out/app .\nFROM build\nCMD ["/out/app"]\n',
    expect: { status: 'fail', findings: ['the final stage is built on golang:1.22'], notes: ['already has several stages'], afterFix: null },
  },
  {
    name: 'CRLF and the escape directive: the build stage keeps every byte',
    given: '# escape=`\r\nFROM golang:1.22\r\nWORKDIR /src\r\n# compile\r\nRUN go mod download && `\r\n    go build -o /out/app .\r\nCMD ["/out/app"]',
    expect: {
      status: 'fail',
      afterFix: {
        equals:
          '# escape=`\r\nFROM golang:1.22 AS build\r\nENV CGO_ENABLED=0\r\nWORKDIR /src\r\n# compile\r\nRUN go mod download && `\r\n    go build -o /out/app .\r\n\r\n' +
          'FROM gcr.io/distroless/static-debian12:nonroot\r\nWORKDIR /src\r\nCOPY --from=build /out/app /out/app\r\nCMD ["/out/app"]\r\n',
      },
    },
  },
];

describe('multi-stage-build', () => {
  runStepTable(step, cases);
});

describe('verifyFinalStage', () => {
  it('rejects a COPY --from that names no earlier stage, at its line in the whole file', () => {
    expect(verifyFinalStage('FROM b\nCOPY --from=two /x /x\nCOPY --from=one /y /y\n', 'Dockerfile', ['one'], 5)).toEqual(['line 6: COPY --from=two names no earlier stage']);
  });
  it('rejects a final stage that still compiles', () => {
    expect(verifyFinalStage('FROM golang:1.22\nRUN go build -o /x .\n', 'Dockerfile', ['build'], 3)[0]).toContain('the final stage still');
  });
  it('rejects a final stage built on an earlier stage', () => {
    expect(verifyFinalStage('FROM Build\nCOPY --from=build /x /x\n', 'Dockerfile', ['build'], 3)).toEqual(['the final stage builds on the stage Build']);
  });
  it('accepts stage indexes', () => {
    expect(verifyFinalStage('FROM scratch\nCOPY --from=0 /x /x\n', 'Dockerfile', ['build'], 3)).toEqual([]);
    expect(verifyFinalStage('FROM scratch\nCOPY --from=1 /x /x\n', 'Dockerfile', ['build'], 3)).toEqual(['line 4: COPY --from=1 names no earlier stage']);
  });
});

// Applying every proposal of steps 4 and 7 gives the same file in either order: no user-creating
// RUN left behind in the build stage, no USER 10001 over a distroless :nonroot.
describe('order: non-root-user and multi-stage-build commute', () => {
  const inputs = [
    'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN go build -o /out/server ./cmd/server\nEXPOSE 8080\nENTRYPOINT ["/out/server"]\n',
    'FROM golang:1.22\nWORKDIR /src\nCOPY . .\nRUN CGO_ENABLED=0 go build -o /out/app .\nCMD ["/out/app"]\n',
    'FROM node:20\nWORKDIR /app\nCOPY package*.json ./\nRUN npm ci\nCOPY . .\nRUN npm run build\nENV NODE_ENV=production\nEXPOSE 3000\nCMD ["node", "dist/server.js"]\n',
  ];
  async function applyAll(file: string, order: Step[]): Promise<string> {
    for (let round = 0; round < 4; round++) {
      for (const s of order) {
        const ctx = contextFor(dockerfileTarget(file));
        const result = await s.check(ctx);
        for (const p of (await s.propose!(ctx, result)).filter((x) => x.changes.length > 0 && x.risk !== 'advice')) {
          if (p.changes[0]!.before !== readFileSync(file, 'utf8')) continue;
          writeFileSync(file, p.changes[0]!.after);
        }
      }
    }
    return readFileSync(file, 'utf8');
  }
  it.each(inputs)('%s', async (given) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dh-order-'));
    const a = path.join(dir, 'a.Dockerfile');
    const b = path.join(dir, 'b.Dockerfile');
    writeFileSync(a, given);
    writeFileSync(b, given);
    const userFirst = await applyAll(a, [nonRoot, step]);
    const splitFirst = await applyAll(b, [step, nonRoot]);
    expect(userFirst).toBe(splitFirst);
    expect(userFirst).not.toBe(given);
    const build = userFirst.split(/\n(?=FROM )/)[0]!;
    expect(build).not.toMatch(/useradd|adduser/);
    if (/distroless.*:nonroot/.test(userFirst)) expect(userFirst).not.toMatch(/USER 10001/);
  });
});
