// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'rootless-docker',
    order: 12,
    title: 'rootless-docker',
    scope: 'host',
    targets: ['host'],
    summary: '',
    explain: '',
    references: [],
  },
  async check() {
    throw new Error('not implemented');
  },
});
