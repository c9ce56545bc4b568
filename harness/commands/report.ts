import type { Command } from 'commander';
import type { SetExitCode } from './shared.js';

export function registerReport(cli: Command, setCode: SetExitCode): void {
  cli
    .command('report')
    .description('render report.html from one or more results (a folder means its results.json); several runs are compared (docs/report.md)')
    .argument('<results...>', 'results folders or results.json files, any order (sorted by start time)')
    .option('--out <file>', 'where to write the page (default: report.html in the first folder)')
    .option('--junit <file>', 'also write JUnit XML for the latest run, one testcase per checker verdict')
    .option('--no-summary', 'do not print the terminal summary table')
    .action(async (results: string[], opts: { out?: string; junit?: string; summary: boolean }) => {
      const { runReport } = await import('../../reports/command.js');
      setCode(await runReport(results, opts));
    });
}
