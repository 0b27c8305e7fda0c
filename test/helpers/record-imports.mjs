// `node --import ./test/helpers/record-imports.mjs ...`: appends every module URL the program
// resolves through the ESM loader to the file named by $RECORD_IMPORTS_FILE, one a line.
import { register } from 'node:module';

register(new URL('./record-imports-hooks.mjs', import.meta.url), { data: { file: process.env.RECORD_IMPORTS_FILE } });
