import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { FairQueue } from "./fair-queue.js";

/** A task whose completion the test controls; records its start in `log`. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  let signal: AbortSignal | undefined;
  const task = async (s: AbortSignal) => {
    signal = s;
    log.push(name);
    await opened;
    return name;
  };
  return { task, open, signal: () => signal };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("FairQueue", () => {
  it("alternates between conversations and keeps each conversation in order", async () => {
    const q = new FairQueue({ concurrency: 1 });
    const starts: string[] = [];
    const run = (name: string) => async () => {
      starts.push(name);
      await tick();
      return name;
    };
    const results = await Promise.all([
      q.enqueue("a", run("a1")),
      q.enqueue("a", run("a2")),
      q.enqueue("a", run("a3")),
      q.enqueue("b", run("b1")),
      q.enqueue("b", run("b2")),
      q.enqueue("c", run("c1")),
    ]);
    expect(results).toEqual(["a1", "a2", "a3", "b1", "b2", "c1"]);
    expect(starts).toEqual(["a1", "b1", "c1", "a2", "b2", "a3"]);
  });

  it("never runs two jobs of one conversation at once, even with spare concurrency", async () => {
    const q = new FairQueue({ concurrency: 3 });
    const log: string[] = [];
    const a1 = gate(log, "a1");
    const a2 = gate(log, "a2");
    const b1 = gate(log, "b1");
    const p = [q.enqueue("a", a1.task), q.enqueue("a", a2.task), q.enqueue("b", b1.task)];
    await tick();
    expect(log).toEqual(["a1", "b1"]);
    expect(q.active).toBe(2);
    expect(q.queued).toBe(1);
    a1.open();
    await tick();
    expect(log).toEqual(["a1", "b1", "a2"]);
    a2.open();
    b1.open();
    await Promise.all(p);
    expect(q.active).toBe(0);
  });

  it("removes a waiting job at once when its signal aborts", async () => {
    const q = new FairQueue();
    const log: string[] = [];
    const first = gate(log, "first");
    const running = q.enqueue("a", first.task);
    const controller = new AbortController();
    const waiting = q.enqueue("b", gate(log, "second").task, { signal: controller.signal });
    expect(q.queued).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: "cancelled", status: 499 });
    expect(q.queued).toBe(0);
    first.open();
    await running;
    expect(log).toEqual(["first"]);
  });

  it("rejects an already aborted signal without running the task", async () => {
    const q = new FairQueue();
    const log: string[] = [];
    await expect(q.enqueue("a", gate(log, "x").task, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      UserError,
    );
    expect(log).toEqual([]);
  });

  it("aborts a running job's signal on cancel and lets the task decide the result", async () => {
    const q = new FairQueue();
    const controller = new AbortController();
    const result = q.enqueue(
      "a",
      (signal) =>
        new Promise<string>((resolve) => {
          signal.addEventListener("abort", () => resolve(`stopped: ${(signal.reason as UserError).code}`));
        }),
      { signal: controller.signal },
    );
    await tick();
    controller.abort();
    await expect(result).resolves.toBe("stopped: cancelled");
  });

  it("times out a job that waits too long with timeout", async () => {
    const q = new FairQueue();
    const log: string[] = [];
    const blocker = gate(log, "blocker");
    const running = q.enqueue("a", blocker.task);
    const late = q.enqueue("b", gate(log, "late").task, { timeoutMs: 20 });
    await expect(late).rejects.toMatchObject({ code: "timeout", status: 504 });
    expect(q.queued).toBe(0);
    blocker.open();
    await running;
    expect(log).toEqual(["blocker"]);
  });

  it("aborts a running job's signal with timeout when its time runs out", async () => {
    const q = new FairQueue();
    const reason = await q.enqueue(
      "a",
      (signal) =>
        new Promise<string>((resolve) => signal.addEventListener("abort", () => resolve(signal.reason.code))),
      { timeoutMs: 20 },
    );
    expect(reason).toBe("timeout");
  });

  it("refuses work beyond the queue cap with busy", async () => {
    const q = new FairQueue({ maxQueued: 2 });
    const log: string[] = [];
    const g = gate(log, "run");
    const all = [q.enqueue("a", g.task), q.enqueue("b", g.task), q.enqueue("c", g.task)];
    await expect(q.enqueue("d", g.task)).rejects.toMatchObject({ code: "busy", status: 503 });
    g.open();
    await Promise.all(all);
  });

  it("holds new jobs while paused and reports idle once running jobs finish", async () => {
    const q = new FairQueue();
    const log: string[] = [];
    const first = gate(log, "first");
    const p1 = q.enqueue("a", first.task);
    q.pause();
    const second = gate(log, "second");
    const p2 = q.enqueue("b", second.task);
    let idle = false;
    const idlePromise = q.onIdle().then(() => {
      idle = true;
    });
    await tick();
    expect(idle).toBe(false);
    first.open();
    await idlePromise;
    await p1;
    expect(log).toEqual(["first"]);
    expect(q.queued).toBe(1);
    q.resume();
    await tick();
    expect(log).toEqual(["first", "second"]);
    q.cancelAll(new UserError("closing", { code: "engine_closed" }));
    expect(second.signal()?.aborted).toBe(true);
    second.open();
    await expect(p2).resolves.toBe("second");
  });

  it("a throwing task rejects only its own job", async () => {
    const q = new FairQueue();
    const bad = q.enqueue("a", () => {
      throw new Error("boom");
    });
    const good = q.enqueue("b", async () => 42);
    await expect(bad).rejects.toThrow("boom");
    await expect(good).resolves.toBe(42);
  });
});
