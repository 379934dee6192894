import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";

/** One command a client sent, as MONITOR saw it (commands run inside scripts are left out). */
export interface SeenCommand {
  name: string;
  args: string[];
}

/**
 * Counts the commands clients send to a server, with MONITOR. Commands run by Lua scripts are reported
 * by MONITOR with the source "lua" and are not round trips, so they are not counted.
 */
export class CommandMonitor {
  private constructor(
    private readonly probe: Redis,
    private readonly base: Redis,
    private readonly monitor: Redis,
  ) {}

  static async open(host: string, port: number): Promise<CommandMonitor> {
    const probe = new Redis({ host, port });
    // monitor() opens a connection of its own; the one it is called on must be closed too.
    const base = new Redis({ host, port });
    const monitor = await base.monitor();
    return new CommandMonitor(probe, base, monitor);
  }

  /**
   * The client commands sent while `run` ran (run must not overlap other traffic on the server). MONITOR
   * reports asynchronously, so counting starts at a marker sent before `run` and stops at one sent after.
   */
  async during(run: () => Promise<unknown>): Promise<SeenCommand[]> {
    return (await this.watch(run)).filter((command) => !command.fromScript);
  }

  /** Every command run while `run` ran: the clients' and those their scripts ran (`fromScript`). */
  async duringWithScripts(run: () => Promise<unknown>): Promise<(SeenCommand & { fromScript: boolean })[]> {
    return this.watch(run);
  }

  private async watch(run: () => Promise<unknown>): Promise<(SeenCommand & { fromScript: boolean })[]> {
    const seen: (SeenCommand & { fromScript: boolean })[] = [];
    const begin = `begin-${randomUUID()}`;
    const end = `end-${randomUUID()}`;
    let counting = false;
    let markerSeen: (marker: string) => void = () => {};
    const waitFor = (marker: string) =>
      new Promise<void>((resolve) => {
        markerSeen = (seenMarker) => {
          if (seenMarker === marker) resolve();
        };
      });
    const listener = (_time: string, args: string[], source: string) => {
      const marker = String(args[1]);
      if (marker === begin || marker === end) {
        counting = marker === begin;
        markerSeen(marker);
      } else if (counting) {
        const name = String(args[0]).toUpperCase();
        seen.push({ name, args: args.slice(1).map(String), fromScript: source === "lua" });
      }
    };
    this.monitor.on("monitor", listener);
    try {
      const begun = waitFor(begin);
      await this.probe.echo(begin);
      await begun;
      await run();
      // Every command of `run` reached the server before this one, so once MONITOR shows it, it showed them.
      const ended = waitFor(end);
      await this.probe.echo(end);
      await ended;
    } finally {
      this.monitor.off("monitor", listener);
    }
    return seen;
  }

  /** The server's clock (Redis TIME) in epoch ms, rounded down like the stores' scripts read it. */
  async serverNowMs(): Promise<number> {
    const [seconds, micros] = await this.probe.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async close(): Promise<void> {
    this.monitor.disconnect();
    await Promise.all([this.probe.quit(), this.base.quit()]);
  }
}

/**
 * When an expiry command makes its key expire, in server epoch ms, for a command that ran while the server's
 * clock read between `fromMs` and `toMs`: exactly its time for PEXPIREAT, its milliseconds after some moment
 * in that window for PEXPIRE. Null for any other command.
 */
export function expiryDeadline(
  command: SeenCommand,
  fromMs: number,
  toMs: number,
): { key: string; earliest: number; latest: number } | null {
  const key = command.args[0] ?? "";
  const ms = Number(command.args[1]);
  if (command.name === "PEXPIREAT") return { key, earliest: ms, latest: ms };
  if (command.name === "PEXPIRE") return { key, earliest: fromMs + ms, latest: toMs + ms };
  return null;
}
