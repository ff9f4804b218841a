import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import type { ClawboxConfig } from "../config/config-schema.js";
import { applyOverrides, configDataDir, loadConfig, parseIntFlag } from "../config/load-config.js";
import { ErrorCode } from "../error-codes.js";
import { UserError } from "../errors.js";
import type { ChatMessage } from "../inference/types.js";
import { modelsDir } from "../paths.js";
import { clientBaseUrl } from "../server/agent-url.js";
import { AgentClient } from "../server/api-client.js";
import { readApiToken } from "../server/api-token.js";

/** Where replies come from: the running agent over HTTP, or a model loaded in this process. */
export interface ChatBackend {
  /** Shown at the start, e.g. "agent at http://127.0.0.1:8080" or "stories260K (in-process)". */
  label: string;
  /** Generates the reply to `messages`, calling `onText` with each piece; returns the whole text. */
  reply(
    messages: ChatMessage[],
    conversationId: string,
    onText: (t: string) => void,
    signal: AbortSignal,
  ): Promise<string>;
  close(): Promise<void>;
}

/**
 * The terminal chat loop: reads lines from `input`, streams each reply to `output` as it is generated,
 * keeps the conversation (all turns are sent each time, under one conversation id). Commands: `/reset`
 * starts a new conversation, `/exit` (or end of input) quits. Ctrl-C stops a reply in progress, or quits
 * at the prompt.
 */
export async function runChat(opts: {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  backend: ChatBackend;
}): Promise<void> {
  const { output, backend } = opts;
  const rl = createInterface({
    input: opts.input,
    output,
    terminal: (opts.input as { isTTY?: boolean }).isTTY,
  });
  let messages: ChatMessage[] = [];
  let conversationId = `cli-${randomUUID()}`;
  let current: AbortController | null = null;
  rl.on("SIGINT", () => (current ? current.abort() : rl.close()));
  output.write(`chatting with ${backend.label} — /reset for a new conversation, /exit to quit\n`);
  rl.setPrompt("you> ");
  rl.prompt();
  try {
    for await (const raw of rl) {
      const line = raw.trim();
      if (line === "/exit" || line === "/quit") break;
      if (line === "/reset") {
        messages = [];
        conversationId = `cli-${randomUUID()}`;
        output.write("(new conversation)\n");
      } else if (line) {
        messages.push({ role: "user", content: line });
        current = new AbortController();
        output.write("assistant> ");
        try {
          const text = await backend.reply(messages, conversationId, (t) => output.write(t), current.signal);
          messages.push({ role: "assistant", content: text });
          output.write("\n");
        } catch (err) {
          messages.pop();
          if (current.signal.aborted) output.write("\n(stopped)\n");
          else
            output.write(
              `\n(error: ${err instanceof UserError && err.fix ? `${err.message} — ${err.fix}` : (err as Error).message})\n`,
            );
        } finally {
          current = null;
        }
      }
      rl.prompt();
    }
  } finally {
    rl.close();
    await backend.close();
  }
}

/** Backend over the running agent's `/v1/chat/completions` (stream: true). */
export function remoteBackend(client: AgentClient): ChatBackend {
  return {
    label: `the agent at ${client.baseUrl}`,
    async reply(messages, conversationId, onText, signal) {
      return (await client.streamChat(messages, { conversationId, onText, signal })).text;
    },
    async close() {},
  };
}

/**
 * Backend with the model loaded in this process (when no agent is running): same engine, same runtime
 * settings from the device profile as `clawbox start`. Throws UserError when no model is given/configured.
 */
export async function localBackend(config: ClawboxConfig): Promise<ChatBackend> {
  if (!config.model) {
    throw new UserError("no agent is running and no model is given", {
      code: ErrorCode.MODEL_NOT_LOADED,
      fix: "start the agent (`clawbox start`), or pass --model FILE.gguf (or set model: in the config)",
    });
  }
  // Loaded here, not at the top: only the in-process backend needs the engine, hardware detection and
  // node-llama-cpp (talking to a running agent does not).
  const [{ createLogger }, { detectHardware }, { decideRuntime, loadProfilesOrNone, modelSpecFor }] =
    await Promise.all([
      import("../log.js"),
      import("../hardware/detect.js"),
      import("../app/agent-runtime.js"),
    ]);
  const [{ ModelStore }, { loadCatalogue }, { createInferenceService }] = await Promise.all([
    import("../models/store.js"),
    import("../models/catalogue.js"),
    import("../inference/engine.js"),
  ]);
  const logger = createLogger({ level: process.env.CLAWBOX_LOG_LEVEL ?? "warn" });
  const models = modelsDir(configDataDir(config));
  const report = await detectHardware({ modelsDir: models });
  const runtime = decideRuntime(report, loadProfilesOrNone(logger), config.inference);
  const spec = await modelSpecFor(config.model, runtime, (ref) =>
    new ModelStore(models, { catalogue: loadCatalogue() }).resolve(ref),
  );
  const inference = createInferenceService({
    logger,
    defaultMaxTokens: config.inference.maxTokensDefault,
    defaultTimeoutMs: config.inference.requestTimeoutMs,
  });
  try {
    await inference.load(spec);
  } catch (err) {
    await inference.close();
    throw err;
  }
  return {
    label: `${spec.id} (in this process, ${spec.threads} threads)`,
    async reply(messages, conversationId, onText, signal) {
      const result = await inference.complete({
        conversationId,
        messages,
        onText,
        signal,
        maxTokens: config.inference.maxTokensDefault,
        timeoutMs: config.inference.requestTimeoutMs,
      });
      return result.text;
    },
    close: () => inference.close(),
  };
}

interface ChatFlags {
  url?: string;
  dataDir?: string;
  config?: string;
  model?: string;
  threads?: number;
}

/**
 * `clawbox chat [--url U] [--data-dir D] [--config FILE] [--model PATH|ID] [--threads N]`: talks to the
 * running agent when it answers, else loads the model in this process (with --threads, or the profile's).
 */
export function register(program: Command): void {
  program
    .command("chat")
    .option(
      "--url <url>",
      "agent URL (default: the running agent of the data dir, else the config's host:port)",
    )
    .option("--data-dir <dir>", "agent data folder (its API token is used)")
    .option("--config <file>", "config file (default: /etc/clawbox/config.yaml if it exists)")
    .option("--model <path|id>", "model to load in this process when no agent is running")
    .option("--threads <n>", "CPU threads for the in-process model", parseIntFlag("--threads", 1, 1024))
    .action(async (opts: ChatFlags) => {
      const config = applyOverrides(loadConfig(opts.config).config, {
        dataDir: opts.dataDir,
        model: opts.model,
        threads: opts.threads,
      });
      const dataDir = opts.dataDir ? resolve(opts.dataDir) : configDataDir(config);
      const client = new AgentClient(
        clientBaseUrl({ url: opts.url, dataDir, config }),
        readApiToken(dataDir),
      );
      let backend: ChatBackend;
      if (await client.reachable()) backend = remoteBackend(client);
      else {
        if (config.model)
          process.stderr.write(`no agent answers at ${client.baseUrl}; loading the model here\n`);
        backend = await localBackend(config);
      }
      await runChat({ input: process.stdin, output: process.stdout, backend });
    });
}
