// PLACEHOLDER: replaced by the real step.
import { defineStep } from '../src/core/step.js';

export default defineStep({
  meta: {
    id: 'seccomp-apparmor-capabilities',
    order: 11,
    title: 'seccomp-apparmor-capabilities',
    scope: 'both',
    targets: ['host', 'dockerfile', 'compose'],
    summary: '',
    explain: '',
    references: [],
  },
  async check() {
    throw new Error('not implemented');
  },
});
