// A one-line progress bar on stderr (redrawn in place on a terminal, a line per update otherwise).

export function progressBar(label: string, total: number): { update(n: number, note: string): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let drawn = false;
  return {
    update(n, note) {
      if (total <= 0) return;
      const width = 24;
      const filled = Math.round((n / total) * width);
      const line = `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${n}/${total}  ${note}`;
      process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
      drawn = true;
    },
    done() {
      if (drawn && tty) process.stderr.write('\n');
    },
  };
}
