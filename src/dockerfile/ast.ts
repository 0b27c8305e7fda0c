/**
 * dockerfile-ast's parser, with one change: an instruction's arguments are computed once.
 * dockerfile-ast scans an instruction's whole text again on every getArguments() call (flags,
 * ranges and content each ask), several times while parsing and more while the steps read it, so
 * one RUN of 150,000 continuation lines cost seconds. An instruction's text never changes after
 * parsing, so the first answer is kept (per instance) and a copy handed out, because
 * ModifiableInstruction.getArguments() shifts flags off the array it gets.
 */
import { DockerfileParser, Instruction, type Dockerfile } from 'dockerfile-ast';

type Args = ReturnType<Instruction['getArguments']>;
const computed = new WeakMap<Instruction, Args>();
// getRawArguments is private in the typings; it is what every getArguments() call runs.
const proto = Instruction.prototype as unknown as { getRawArguments: ((this: Instruction) => Args) & { memoized?: boolean } };
const original = proto.getRawArguments;
if (!original.memoized) {
  const memoized = function (this: Instruction): Args {
    let args = computed.get(this);
    if (!args) {
      args = original.call(this);
      computed.set(this, args);
    }
    return args.slice();
  };
  proto.getRawArguments = Object.assign(memoized, { memoized: true });
}

/** Parse Dockerfile text into dockerfile-ast's tree. */
export function parseAst(text: string): Dockerfile {
  return DockerfileParser.parse(text);
}
