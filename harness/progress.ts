/**
 * Progress while a run goes: phase, elapsed, ops/s and the faults active. On a terminal, one
 * bar redrawn in place (cli-progress); in a log (CI, nohup) a line every few seconds, so a
 * nightly log shows progress without being flooded.
 */
import cliProgress from 'cli-progress';

export interface ProgressState {
  phase: string;
  elapsedMs: number;
  totalMs: number;
  opsPerSec: number;
  errors: number;
  faults: string;
}

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private lastLine = 0;

  constructor(
    private readonly label: string,
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly quiet = false,
  ) {}

  private get tty(): boolean {
    return this.stream.isTTY === true;
  }

  update(s: ProgressState): void {
    if (this.quiet) return;
    const payload = { label: this.label, phase: s.phase.padEnd(9), ops: String(Math.round(s.opsPerSec)).padStart(6), errors: s.errors, faults: s.faults || '-' };
    if (this.tty) {
      if (!this.bar) {
        this.bar = new cliProgress.SingleBar(
          {
            format: '{label} {phase} [{bar}] {value}/{total}s  {ops} ops/s  errors {errors}  faults: {faults}',
            stream: this.stream,
            hideCursor: true,
            clearOnComplete: true,
            barsize: 24,
          },
          cliProgress.Presets.shades_classic,
        );
        this.bar.start(Math.round(s.totalMs / 1000), 0, payload);
      }
      this.bar.setTotal(Math.round(s.totalMs / 1000));
      this.bar.update(Math.round(s.elapsedMs / 1000), payload);
      return;
    }
    const now = Date.now();
    if (now - this.lastLine < 5000) return;
    this.lastLine = now;
    this.stream.write(`${this.label} ${s.phase} ${Math.round(s.elapsedMs / 1000)}/${Math.round(s.totalMs / 1000)}s ${payload.ops.trim()} ops/s errors ${s.errors} faults: ${payload.faults}\n`);
  }

  /** A one-off line (a fault fired, a phase changed) that does not break the bar. */
  note(line: string): void {
    if (this.quiet) return;
    this.stop();
    this.stream.write(`${this.label} ${line}\n`);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}
