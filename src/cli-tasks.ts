import type { Command } from 'commander';

/** Task commands: train, eval, classify, analyze, recommend. Each imports its module lazily. */
export function registerTaskCommands(program: Command): void {
  void program;
}
