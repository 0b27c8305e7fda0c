// The floor for checking Dockerfiles: read and parse each with dockerfile-ast, nothing else.
// node bench/parse-only.js FILE...
import { readFileSync } from 'node:fs';
import { DockerfileParser } from 'dockerfile-ast';

let instructions = 0;
for (const file of process.argv.slice(2)) instructions += DockerfileParser.parse(readFileSync(file, 'utf8')).getInstructions().length;
process.stdout.write(`${instructions}\n`);
